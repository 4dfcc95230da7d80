"""Execute notebooks in place so that the docs show their outputs, skipping cells marked with a test flag.

    python tools/run_nbs.py                 # every notebook in nbs/
    python tools/run_nbs.py nbs/05_pch.ipynb --flags slow   # also run the cells marked #| slow

Cells that are skipped keep the outputs they had (so precomputed results of slow cells stay in place).
Run `nbdev_clean` afterwards.
"""
import argparse
import os
from pathlib import Path

from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell
from nbdev.config import get_config
from fastcore.basics import AttrDict
from nbdev.process import extract_directives


def run(path, flags=()):
    "Execute the notebook at `path` in its folder and save it with its outputs."
    cfg, path = get_config(), Path(path).resolve()
    skip = set(cfg.tst_flags.split()) - set(flags)
    nb = read_nb(path)
    shell = CaptureShell(path)
    cwd = os.getcwd()
    os.chdir(path.parent)
    try:
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != 'code': continue
            directives = extract_directives(AttrDict(cell, source=cell.source), remove=False)
            if skip & set(directives) or directives.get('eval:', [''])[0].lower() == 'false': continue
            cell.outputs = []
            shell.cell(cell)
            if shell.exc: raise RuntimeError(f'{path.name}, cell {i}: {shell.exc!r}')
    finally:
        os.chdir(cwd)
    write_nb(nb, path)


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('paths', nargs='*')
    p.add_argument('--flags', nargs='*', default=[])
    a = p.parse_args()
    paths = a.paths or sorted(str(q) for q in get_config().path('nbs_path').glob('*.ipynb'))
    import torch
    for q in paths:
        print('running', q, flush=True)
        dtype = torch.get_default_dtype()
        run(q, a.flags)
        torch.set_default_dtype(dtype)  # each notebook starts as it would alone
