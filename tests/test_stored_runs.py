"""A stored experiment (nbs/results/) is reproduced by the code on main: `eacg_train <its argv> --epochs 2` gives its
first two epochs again, to the last digit (its argv fixes the thread count, so float32 sums round alike)."""
import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from eacg_nb.data import fashion_mnist_available
from eacg_nb.experiments import method_argv

RESULTS = Path(__file__).resolve().parents[1] / 'nbs' / 'results'
RUNS = sorted(p.parent for p in RESULTS.rglob('summary.json'))


def rows(path, n):
    with open(path, newline='') as f:
        return [{k: v for k, v in r.items() if k != 'seconds'} for r in list(csv.DictReader(f))[:n]]


@pytest.mark.skipif(not RUNS, reason='no stored runs')
@pytest.mark.skipif(not fashion_mnist_available(), reason='the stored runs train on Fashion-MNIST, which is not installed here')
@pytest.mark.parametrize('which', [len(RUNS) // 2, 0], ids=['one in the middle', 'the first'])  # any of them must do
def test_a_stored_run_reproduces(tmp_path, which):
    run = RUNS[which]
    summary = json.loads((run / 'summary.json').read_text())
    method = next((m for m in summary['final'] if m != 'sgd'), 'sgd')  # a curvature method where the run has one
    r = subprocess.run([sys.executable, '-m', 'eacg_nb', *method_argv(summary['argv'], method), '--epochs', '2', '--out', str(tmp_path)],
                       capture_output=True, text=True)
    assert r.returncode in (0, 1), r.stderr  # 1: it diverged, as the stored run may have
    assert rows(tmp_path / f'{method}.csv', 3) == rows(run / f'{method}.csv', 3), run.name
