"""`eacg_train` as a user runs it: a subprocess, its exit status, its stderr, and what it leaves on disk."""
import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

FAST = ['--hidden', '8', '--epochs', '1', '--batch-size', '200', '--threads', '1']


def train(*args, cwd, env=None):
    "Run `eacg_train args` in `cwd`: (exit status, stdout, stderr)."
    r = subprocess.run([sys.executable, '-m', 'eacg_nb', *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                       env={**os.environ, **(env or {})})
    return r.returncode, r.stdout, r.stderr


def one_line_error(rc, err, *words):
    assert rc == 2, (rc, err)
    assert err.count('\n') == 1 and err.startswith('eacg_train: error: ') and 'Traceback' not in err, err
    for w in words: assert w in err, (w, err)


@pytest.mark.parametrize('args, words', [
    (['--epochs', '0'], ['--epochs', '0 is not an integer >= 1']),
    (['--lr', '-1'], ['--lr', 'must be > 0']),
    (['--damping', '1.5'], ['--damping', 'in (0, 1)']),
    (['--batch-size', 'ten'], ['--batch-size', "'ten' is not an integer"]),
    (['--methods', 'adamax'], ['unknown methods adamax']),
    (['--lr', 'kfi-fisher=0.1'], ['do not run: kfi-fisher']),
    (['--valid-fraction', '1'], ['--valid-fraction']),
    (['--resume'], ['--resume needs --out']),
    (['--hidden'], ['--hidden', 'expected at least one argument']),
    (['--methods', 'eacg-pch', '--gamma', '1'], ['every method was refused', 'eacg-pch', 'gamma must be <= 0']),
    (['--out', '/proc/eacg-nb-run'], ['--out /proc/eacg-nb-run', 'cannot write']),
])
def test_bad_options(tmp_path, args, words):
    rc, out, err = train(*FAST, *args, cwd=tmp_path)
    one_line_error(rc, err, *words)
    assert not any(tmp_path.iterdir()), 'a run folder was left behind'


def test_missing_data(tmp_path):
    (tmp_path / 'empty').mkdir()
    rc, _, err = train(*FAST, '--data', 'cifar10', '--root', str(tmp_path / 'empty'), '--out', str(tmp_path / 'run'), cwd=tmp_path)
    one_line_error(rc, err, 'cifar-10-batches-py', '--download')
    rc, _, err = train(*FAST, '--data', 'fashion-mnist', '--root', str(tmp_path / 'empty'), '--out', str(tmp_path / 'run'), cwd=tmp_path)
    one_line_error(rc, err, 'apt-get install dataset-fashion-mnist')
    assert not (tmp_path / 'run').exists()


def test_download_without_network(tmp_path):
    unreachable = {'http_proxy': 'http://127.0.0.1:9', 'https_proxy': 'http://127.0.0.1:9', 'HTTP_PROXY': 'http://127.0.0.1:9', 'HTTPS_PROXY': 'http://127.0.0.1:9'}
    rc, _, err = train(*FAST, '--data', 'cifar10', '--download', '--root', str(tmp_path / 'data'), '--out', str(tmp_path / 'run'), cwd=tmp_path, env=unreachable)
    one_line_error(rc, err, '--data cifar10')
    assert not (tmp_path / 'run').exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason='a CUDA device exists here')
def test_no_cuda(tmp_path):
    rc, _, err = train(*FAST, '--device', 'cuda', cwd=tmp_path)
    one_line_error(rc, err, 'no CUDA device')
    rc, _, err = train(*FAST, '--device', 'tpu9', cwd=tmp_path)
    one_line_error(rc, err, '--device tpu9')
    assert not any(tmp_path.iterdir())


def test_resume(tmp_path):
    rc, _, err = train(*FAST, '--resume', '--out', str(tmp_path / 'nothing'), cwd=tmp_path)
    one_line_error(rc, err, 'holds no eacg_train run')
    run = tmp_path / 'run'
    rc, out, err = train(*FAST, '--methods', 'eacg-pch1', '--out', str(run), cwd=tmp_path)
    assert rc == 0 and 'it/s' not in err, err  # no progress bar when stderr is not a terminal
    summary = json.loads((run / 'summary.json').read_text())
    assert summary['argv'] == [*FAST, '--methods', 'eacg-pch1']
    rc, _, err = train(*FAST, '--methods', 'eacg-pch1', '--out', str(run), '--resume', '--damping', '0.5', cwd=tmp_path)
    one_line_error(rc, err, 'damping of eacg-pch1: 0.005 in the checkpoint, 0.5 now')
    rc, _, err = train(*FAST, '--epochs', '2', '--methods', 'eacg-pch1', '--out', str(run), '--resume', cwd=tmp_path)  # more epochs: allowed
    assert rc == 0, err
    assert json.loads((run / 'summary.json').read_text())['final']['eacg-pch1']['epoch'] == 2


def test_divergence(tmp_path):
    run = tmp_path / 'run'
    rc, out, err = train(*FAST, '--methods', 'sgd', 'eacg-pch1', '--lr', 'sgd=1e12', '--out', str(run), cwd=tmp_path)
    assert rc == 1 and 'diverged: sgd' in err and 'Traceback' not in err, (rc, err)
    assert (run / 'sgd.csv').read_text().count('\n') == 2  # the header and epoch 0, before the divergence
    assert (run / 'eacg-pch1.csv').exists() and (run / 'curves.png').exists()
    summary = json.loads((run / 'summary.json').read_text())
    assert 'sgd' in summary['diverged'] and summary['final']['eacg-pch1']['epoch'] == 1


def test_help(tmp_path):
    rc, out, _ = train('--help', cwd=tmp_path)
    assert rc == 0
    for option in ['--data', '--root', '--download', '--valid-fraction', '--hidden', '--act', '--criterion', '--delta', '--eps', '--methods',
                   '--epochs', '--batch-size', '--lr', '--damping', '--max-cg', '--eps-cg', '--gamma', '--curvature-every', '--no-reuse-cap', '--adaptive-damping', '--step-length', '--momentum', '--trust-radius', '--max-update-norm', '--device', '--threads',
                   '--seed', '--out', '--resume', '--no-progress', '--hessian-errors']:
        assert option in out, option
    text = ' '.join(out.split())
    assert text.count('default: 1.0 with --step-length model or layers, 0.05 with lr; sgd 0.1, adam 0.001') == 1 and text.count('default: runs/') == 1 and '(default: None)' not in text
    assert 'tuned for' in text


def test_resume_reads_settings_stored_before_curvature_every(tmp_path):
    "Runs stored before the rename have kfi_every=1 in their settings, which is curvature_every=1: --resume accepts them."
    from eacg_nb.cli import UsageError, _check_resume
    now = {'data': 'digits', 'net': 'mlp', 'curvature_every': 1, 'reuse_cap': True, 'adaptive_damping': False, 'lr': {'eacg-pch1': .1},
           'step_length': 'lr', 'trust_radius': None, 'momentum': False}
    before = {'data': 'digits', 'kfi_every': 1, 'lr': {'eacg-pch1': .1}}
    (tmp_path / 'summary.json').write_text(json.dumps({'settings': before}))
    _check_resume(tmp_path, now)
    with pytest.raises(UsageError, match='curvature_every'): _check_resume(tmp_path, {**now, 'curvature_every': 10})


def test_adaptive_damping(tmp_path):
    rc, _, err = train(*FAST, '--methods', 'eacg-pch1', '--adaptive-damping', '--out', str(tmp_path / 'run'), cwd=tmp_path)
    assert rc == 0, err
    summary = json.loads((tmp_path / 'run' / 'summary.json').read_text())
    assert summary['settings']['adaptive_damping'] is True and '--adaptive-damping' in summary['argv']
    rc, _, err = train(*FAST, '--methods', 'eacg-pch1', '--out', str(tmp_path / 'run'), '--resume', cwd=tmp_path)
    assert rc == 2 and 'adaptive_damping' in err, err  # a run with another damping rule is not resumed


def test_one_hot_criteria(tmp_path):
    for criterion in ('mse', 'bce'):
        rc, out, err = train(*FAST, '--criterion', criterion, '--methods', 'eacg-pch1', '--epochs', '2', '--out', str(tmp_path / criterion), cwd=tmp_path)
        assert rc == 0 and f'criterion {criterion}' in out, err
        summary = json.loads((tmp_path / criterion / 'summary.json').read_text())
        history = list(csv.DictReader(open(tmp_path / criterion / "eacg-pch1.csv")))
        assert float(history[-1]['train_loss']) < float(history[0]['train_loss']) and float(history[-1]['test_acc']) > .3, history  # labels as one-hot rows
        assert summary['settings']['criterion'] == criterion


def test_summary_of_a_late_divergence_holds_no_path(tmp_path):
    "A method that diverges after its first epoch keeps a checkpoint; the summary names it without this machine's path."
    from eacg_nb.training import _diverged
    e = _diverged(3, tmp_path / 'run' / 'eacg-pch1.pt', 'the loss is NaN', [])
    assert str(tmp_path) in str(e) and str(tmp_path) not in e.where and 'kept at eacg-pch1.pt' in e.where


def test_out_is_a_file(tmp_path):
    (tmp_path / 'taken').write_text('a file, not a folder')
    rc, _, err = train(*FAST, '--out', str(tmp_path / 'taken'), cwd=tmp_path)
    one_line_error(rc, err, '--out', 'taken', 'cannot write')
    assert (tmp_path / 'taken').read_text() == 'a file, not a folder'


def test_loss_running_away_is_divergence(tmp_path):
    rc, _, err = train(*FAST, '--methods', 'sgd', '--lr', '1e6', '--out', str(tmp_path / 'run'), cwd=tmp_path)
    assert rc == 1 and 'diverged: sgd' in err and 'times its start' in err and 'Traceback' not in err, (rc, err)


def test_summary_holds_no_path(tmp_path):
    run = tmp_path / 'run'
    rc, _, err = train(*FAST, '--methods', 'sgd', '--out', str(run), cwd=tmp_path)
    assert rc == 0, err
    summary = (run / 'summary.json').read_text()
    assert str(tmp_path) not in summary and 'out' not in json.loads(summary)['args']


def test_ctrl_c(tmp_path):
    "SIGINT while training: one line on stderr, exit status 130, and the checkpoint of the last finished epoch kept."
    run = tmp_path / 'run'
    proc = subprocess.Popen([sys.executable, '-m', 'eacg_nb', '--hidden', '64', '--epochs', '1000', '--batch-size', '20', '--threads', '1',
                             '--methods', 'eacg-pch1', '--out', str(run)], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not (run / 'eacg-pch1.pt').exists() and time.time() < deadline and proc.poll() is None: time.sleep(.1)
    proc.send_signal(signal.SIGINT)
    err = proc.communicate(timeout=60)[1]
    assert proc.returncode == 130, (proc.returncode, err)
    # the defaults' Euclidean bound shortens most steps here, which EACG says once in a warning (and the line that stepped)
    lines = [line for line in err.splitlines() if 'a bound shortened' not in line and not line.startswith(' ')]
    assert len(lines) == 1 and 'interrupted' in lines[0] and 'Traceback' not in err, err
    epochs = torch.load(run / 'eacg-pch1.pt', weights_only=True)['history'][-1]['epoch']
    assert epochs >= 1
