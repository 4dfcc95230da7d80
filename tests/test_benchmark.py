"""benchmarks/step_time.py on a tiny network: it runs, and its flop count sees every matrix product of a step."""
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'benchmarks'))
import step_time  # noqa: E402


def test_flop_count_of_a_step():
    n, B = [20, 16, 8, 3], 16
    x, y, crit, runs = step_time.setup(['sgd', 'eacg-pch1'], n, B, torch.device('cpu'), max_cg=10)
    fwd_bwd, step = step_time.matmul_flops(*runs['eacg-pch1'], crit, x, y)
    # forward, input gradient and weight gradient of every layer, but no input gradient for the first one
    assert fwd_bwd == sum(3 * 2 * B * a * b for a, b in zip(n[:-1], n[1:])) - 2 * B * n[0] * n[1]
    assert step == (sum(2 * B * m * m for m in n[1:-1])  # E[h'h'^T]
                    + 2 * B * n[-1] ** 2  # mean output Hessian (no Pos-Eig: cross-entropy is convex)
                    + sum(2 * n[t] ** 2 * n[t - 1] + 2 * n[t - 1] ** 2 * n[t] for t in range(2, len(n))))  # C_t W_t, W_t^T (C_t W_t)


def test_main_prints_every_method(capsys):
    med = step_time.main(['--methods', 'eacg-pch1', 'kfi_sm-pch1', '--sizes', '20', '16', '8', '3', '--batch', '16',
                          '--blocks', '1', '--steps', '2', '--warmup', '0'])
    assert set(med) == {'sgd', 'eacg-pch1', 'kfi_sm-pch1'} and all(t > 0 for t in med.values())
    out = capsys.readouterr().out
    assert 'curvature memory per step' in out and 'matrix products' in out


def test_grid_reports_ratios_and_floors(capsys):
    rows = step_time.grid('cpu', 10, blocks=1, steps=3, warmup=0, batches=(8,), everies=(1, 3), networks=(('tiny', [20, 16, 8, 3]),))
    (row,) = rows
    assert row[1]['floor'] > row[3]['floor'] > 1  # one step in three computes the curvature
    assert all(row[T]['sgd'] > 0 and row[T]['over_floor'] == row[T]['sgd'] / row[T]['floor'] for T in (1, 3))
    assert 'T=3 ms' in capsys.readouterr().out


def test_profile_splits_a_step(capsys):
    import step_profile
    r = step_profile.main(['--sizes', '20', '16', '8', '3', '--batch', '16', '--steps', '2', '--top', '3'])
    assert 0 < r['products'] < r['step'] and 0 < r['others'] < r['step'] and r['calls'] > 10
    assert {name for name, _ in r['by_op']} >= {'aten::addmm', 'aten::mm'}  # E[h'h'^T] and the recursion's C_t W_t
    assert 'matrix products' in capsys.readouterr().out


def test_against_a_commit_times_both_steps(capsys):
    med = step_time.main(['--methods', 'eacg-pch1', '--against', 'HEAD', '--sizes', '20', '16', '8', '3', '--batch', '16',
                          '--blocks', '2', '--steps', '2', '--warmup', '0'])
    assert set(med) == {'sgd', 'eacg-pch1', 'eacg-pch1@HEAD'} and all(t > 0 for t in med.values())
    assert 'eacg-pch1 / eacg-pch1@HEAD, block by block' in capsys.readouterr().out


def test_against_refuses_what_it_cannot_compare(capsys):
    for argv, says in ((['--against', 'no-such-commit'], "'no-such-commit' is not a commit"), (['--grid', '--against', 'HEAD'], '--grid has no such comparison')):
        with pytest.raises(SystemExit):
            step_time.main(argv + ['--sizes', '20', '16', '8', '3', '--batch', '16', '--blocks', '1', '--steps', '1'])
        assert says in capsys.readouterr().err


def test_small_networks_report_ratios_and_floors(capsys):
    step_time.small('cpu', blocks=1, steps=2, warmup=0)  # the flops over a whole cycle of curvature_every=10
    rows = [line.split() for line in capsys.readouterr().out.splitlines() if line.startswith('  ') and 'batch' not in line]
    assert len(rows) == len(step_time.SMALL)
    for row in rows:
        ratios = [float(v) for v in row[-8:]]  # (ratio, floor) for each of the four methods
        assert all(r > 0 for r in ratios[::2]) and ratios[-1] == 1.  # Adam's products are SGD's
        assert ratios[1] > ratios[3] > 1  # the curvature of every step costs more products than that of one step in ten
