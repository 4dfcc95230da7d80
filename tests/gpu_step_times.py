"""Step times on a GPU: run `python tests/gpu_step_times.py` on a machine with CUDA.

It prints, for the paper's CIFAR-10 network at batch 500 in float32, each method's median step time and its ratio
to SGD's (the same measurement as benchmarks/step_time.py, on `cuda`), then runs the notebooks' `cuda` cells.
Not collected by pytest (its name does not start with test_).
"""
import runpy
import subprocess
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]

if __name__ == '__main__':
    if not torch.cuda.is_available(): sys.exit('no CUDA device here')
    print(torch.cuda.get_device_name())
    sys.argv = ['step_time.py', '--device', 'cuda', *sys.argv[1:]]
    runpy.run_path(str(ROOT / 'benchmarks' / 'step_time.py'), run_name='__main__')
    sys.exit(subprocess.call([sys.executable, '-m', 'pytest', '-q', str(ROOT / 'tests' / 'test_notebooks.py'), '-k', 'optimizer']))
