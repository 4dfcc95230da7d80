"""Regenerate the README's figure from the default `eacg_train` run, and print how long that run took.

    python tools/readme_figure.py     # writes nbs/images/digits_sgd_eacg.png

The figure is the run's own `curves.png`: what a user who types `eacg_train` gets.
"""
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIGURE = ROOT / 'nbs' / 'images' / 'digits_sgd_eacg.png'

if __name__ == '__main__':
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run([sys.executable, '-m', 'eacg_nb', '--out', tmp], check=True)
        print(f'the default run took {time.perf_counter() - start:.0f} s')
        shutil.copyfile(Path(tmp) / 'curves.png', FIGURE)
    print(f'wrote {FIGURE.relative_to(ROOT)}')
