"""A stored experiment (nbs/results/) is reproduced by the code on main: `eacg_train <its argv> --epochs 2` gives its
first two epochs again. On the kind of machine that ran it (its summary's `machine`) that is to the last digit (its argv fixes
the thread count, so float32 sums round alike). Elsewhere the sums round otherwise from the first forward pass on, and a
network leaving its plateau amplifies that (measured: 4 % in the training loss and 5 points of accuracy after two epochs at
batch 100), so another machine is held to `TOLERANCE` only: epoch 0 (the same weights evaluated) to float32 rounding, the two
trained epochs to what separates two float32 trajectories of one run, which a change of method, hyper-parameter or data exceeds."""
import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from eacg_nb.cli import machine
from eacg_nb.data import fashion_mnist_available
from eacg_nb.experiments import method_argv

RESULTS = Path(__file__).resolve().parents[1] / 'nbs' / 'results'
RUNS = sorted(p.parent for p in RESULTS.rglob('summary.json'))


TOLERANCE = dict(start=1e-6, trained_loss=.1, trained_acc=.1)  # relative (losses) and absolute (accuracy)


def rows(path, n):
    with open(path, newline='') as f:
        return [{k: v for k, v in r.items() if k != 'seconds'} for r in list(csv.DictReader(f))[:n]]


def close_enough(got, want):
    "Histories alike within `TOLERANCE`: the same epochs, epoch 0 to float32 rounding, later epochs to trajectory noise."
    assert [r['epoch'] for r in got] == [r['epoch'] for r in want]
    for r, w in zip(got, want):
        start = r['epoch'] == '0'
        loss_tol, acc_tol = (TOLERANCE['start'], 0) if start else (TOLERANCE['trained_loss'], TOLERANCE['trained_acc'])
        for k in ('train_loss', 'test_loss'): assert abs(float(r[k]) - float(w[k])) <= loss_tol * abs(float(w[k])), (r, w)
        assert abs(float(r['test_acc']) - float(w['test_acc'])) <= acc_tol, (r, w)


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
    got, want = rows(tmp_path / f'{method}.csv', 3), rows(run / f'{method}.csv', 3)
    if summary.get('machine') == machine(): assert got == want, run.name
    else: close_enough(got, want)


@pytest.mark.skipif(not RUNS, reason='no stored runs')
def test_stored_summaries_name_no_path_of_the_machine_that_ran_them():
    for run in RUNS:
        summary = json.loads((run / 'summary.json').read_text())
        assert 'out' not in summary['args'] and '--out' not in summary['argv'], run.name
        assert '/root/' not in (run / 'summary.json').read_text() and '/home/' not in (run / 'summary.json').read_text(), run.name
