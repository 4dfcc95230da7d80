"""Install each built artefact (sdist, wheel) into a fresh virtual environment and use it from outside the repository.

    python tools/check_install.py dist/eacg_nb-0.1.0.tar.gz dist/eacg_nb-0.1.0-py3-none-any.whl

The environment sees the machine's packages (`--system-site-packages`), so PyTorch is not installed again; the package
itself is installed from the artefact, not editable, and must be the one imported. Runs the README's quick start
(the code cell of nbs/index.ipynb) and `eacg_train --help`.
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def quick_start() -> str:
    "The README's quick start: the first visible code cell of nbs/index.ipynb."
    cells = json.loads((ROOT / 'nbs' / 'index.ipynb').read_text())['cells']
    return next(''.join(c['source']) for c in cells if c['cell_type'] == 'code' and not ''.join(c['source']).startswith('#|'))


def check(artefact: Path):
    with tempfile.TemporaryDirectory() as tmp:
        env, work = Path(tmp) / 'env', Path(tmp) / 'work'
        work.mkdir()
        subprocess.run([sys.executable, '-m', 'venv', '--system-site-packages', str(env)], check=True)
        py, bin_ = env / 'bin' / 'python', env / 'bin'
        subprocess.run([str(py), '-m', 'pip', 'install', '-q', '--no-build-isolation', str(artefact)], check=True)
        def run(*cmd): return subprocess.run(cmd, cwd=work, capture_output=True, text=True, check=True).stdout
        where = run(str(py), '-c', 'import eacg_nb; print(eacg_nb.__file__)')
        assert where.startswith(str(env)), f'{artefact.name}: imported {where.strip()}, not the installed package'
        print(f'{artefact.name}: {run(str(py), "-c", quick_start()).strip()}')
        assert 'usage: eacg_train' in run(str(bin_ / 'eacg_train'), '--help')


if __name__ == '__main__':
    for a in sys.argv[1:]: check(Path(a).resolve())
