"""Run every notebook in `nbs/` as one pytest test, with nbdev's notebook runner and the `tst_flags` of settings.ini."""
import os

import pytest
import torch
from nbdev import test as nbdev_test  # the module, so pytest does not collect `test_nb` itself
from nbdev.config import get_config

cfg = get_config()
NOTEBOOKS = sorted(p for p in cfg.path('nbs_path').glob('*.ipynb') if not p.name.startswith('_'))


def run_flags():
    "Flags whose cells run: those named in `EACG_TEST_FLAGS`, plus `cuda` where a GPU exists."
    force = set(os.environ.get('EACG_TEST_FLAGS', '').split())
    if torch.cuda.is_available(): force.add('cuda')
    return sorted(force)


@pytest.fixture(autouse=True)
def torch_defaults():
    "Notebooks share this process: give each the default dtype it would get alone."
    dtype = torch.get_default_dtype()
    yield
    torch.set_default_dtype(dtype)


@pytest.mark.parametrize('nb', NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook(nb):
    force = run_flags()
    skip = [f for f in cfg.tst_flags.split() if f not in force]
    ok, _ = nbdev_test.test_nb(nb, skip_flags=skip, force_flags=force, showerr=True, basepath=cfg.config_path)
    assert ok, f'{nb.name} failed (traceback above)'
