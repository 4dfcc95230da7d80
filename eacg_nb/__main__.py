"""`python -m eacg_nb` is `eacg_train`: the form torchrun starts (torchrun --nproc_per_node N -m eacg_nb ...)."""
from eacg_nb.cli import main

raise SystemExit(main())
