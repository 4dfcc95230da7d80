"""The sweep of the step settings against Adam. The small cases: ReLU/GELU/SiLU/tanh/sigmoid MLPs of width 64 and 512 and depth 2
and 4 on scikit-learn's digits (cross-entropy, 10 epochs), and 10-64-64-1 regressions on its diabetes set (standardised inputs and
target, squared error, 60 epochs), batch 32; the wider cases: depth 8, width 2048, batch 500 (50 epochs), the Huber loss on diabetes and
a regression on a random teacher network's outputs. Seed 0, one thread; each case with Adam (1e-3) and the settings below, and
learning-rate tables. One JSON line per run:

    python tools/step_sweep.py > nbs/results/along/step_sweep.jsonl      # every setting of the small cases
    python tools/step_sweep.py LAYERS KFAC                                 # those settings only
    python tools/step_sweep.py --wider >> nbs/results/along/step_sweep.jsonl   # the wider cases
"""
import json
import sys
import time
import warnings

import torch
from sklearn.datasets import load_diabetes, load_digits
from torch import nn

from eacg_nb.network import mlp
from eacg_nb.optim import EACG, PAPER

NEW = dict(lr=1., step_length='model', trust_radius=1., max_update_norm=None)  # EA-CG's direction, the model's length
LAYERS = dict(lr=1., step_length='layers', trust_radius=1., max_update_norm=None)  # one length per layer
KFAC = dict(lr=.5, solver='kfi', curvature='fisher', damping=.01, curvature_every=10, step_length='layers', momentum=True,
            adaptive_damping=True, trust_radius=None, max_update_norm=None)  # KFI-Fisher's direction, lengths per layer and momentum
OLD = dict(lr=.05, step_length='lr', trust_radius=None, max_update_norm=1.)  # the former defaults: the paper's step, ‖Δθ‖ ≤ 1
DEFAULT = dict(lr=.5, damping=.01, curvature='fisher', solver='kfi', curvature_every=10, step_length='model', trust_radius=1.,
               max_update_norm=None, adaptive_damping=True)  # EACG's defaults: KFI-Fisher's direction, half the model's length
METHODS = (('adam', dict(lr=1e-3)), ('eacg', NEW), ('eacg', OLD), ('eacg', LAYERS), ('eacg', KFAC), ('eacg', DEFAULT))


def teacher():
    "1,000 Gaussian inputs of 20 features, targets from a random 20-32-1 tanh network plus noise of a tenth of their spread."
    g = torch.Generator().manual_seed(1)
    X = torch.randn(1000, 20, generator=g)
    W1, W2 = torch.randn(20, 32, generator=g) / 20 ** .5, torch.randn(32, 1, generator=g) / 32 ** .5
    Y = torch.tanh(X @ W1) @ W2
    return X, Y + .1 * Y.std() * torch.randn(Y.shape, generator=g)


def data(name):
    "Inputs, targets, criterion and output width of a data set, standardised: digits, diabetes (squared error or Huber), teacher."
    if name == 'teacher': X, Y = teacher()
    else:
        d = load_digits() if name == 'digits' else load_diabetes()
        X, Y = torch.tensor(d.data, dtype=torch.float32), torch.tensor(d.target, dtype=torch.float32)[:, None]
    X = (X - X.mean(0)) / X.std(0).clamp(min=1e-3)
    if name == 'digits': return X, Y[:, 0].long(), nn.CrossEntropyLoss(), 10
    return X, (Y - Y.mean()) / Y.std(), nn.HuberLoss() if name == 'diabetes-huber' else nn.MSELoss(), 1


def run(dname, widths, act, method, kw, epochs, bs, seed=0):
    "Train one case on 80 % of the set; final training and test loss, test accuracy, the share of bounded steps."
    X, Y, crit, k = data(dname)
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(X), generator=g)
    n = int(.8 * len(X))
    tr, te = perm[:n], perm[n:]
    torch.manual_seed(seed)
    model = mlp([X.shape[1], *widths, k], act)
    opt = torch.optim.Adam(model.parameters(), **kw) if method == 'adam' else EACG(model, crit, **PAPER | kw)  # a setting changes the paper's method
    steps = bounded = 0
    t0, status = time.time(), 'ok'
    for _ in range(epochs):
        order = tr[torch.randperm(n, generator=g)]
        for i in range(0, n, bs):
            b = order[i:i + bs]
            opt.zero_grad(); crit(model(X[b]), Y[b]).backward()
            try: opt.step()
            except Exception as e: status = f'failed: {type(e).__name__}'; break
            steps += 1
            bounded += method != 'adam' and bool(opt.diagnostics[0]['bounded'])
        if status != 'ok': break
    with torch.no_grad():
        out = model(X[te])
        acc = (out.argmax(1) == Y[te]).float().mean().item() if k > 1 else None
        # the trivial predictor: the training set's mean target, or its class frequencies
        mean = Y[tr].float().mean(0, keepdim=True) if k == 1 else torch.bincount(Y[tr], minlength=k).float().log()[None]
        return dict(data=dname, widths=widths, act=act, bs=bs, epochs=epochs, method=method, kw=kw, train=crit(model(X[tr]), Y[tr]).item(),
                    test=crit(out, Y[te]).item(), trivial=crit(mean.expand(len(te), -1), Y[te]).item(), acc=acc,
                    bounded=bounded / max(steps, 1), status=status, seconds=time.time() - t0)


def cases():
    out = []
    for act in ('relu', 'gelu', 'silu', 'tanh', 'sigmoid'):
        for w in (64, 512):
            for depth in (2, 4):
                out += [dict(dname='digits', widths=[w] * depth, act=act, method=m, kw=kw, epochs=10, bs=32) for m, kw in METHODS]
    for act in ('relu', 'tanh', 'gelu'):
        out += [dict(dname='diabetes', widths=[64, 64], act=act, method=m, kw=kw, epochs=60, bs=32) for m, kw in METHODS]
    for lr in (.25, .5, 2.):
        out += [dict(dname=d, widths=[64, 64], act=act, method='eacg', kw=NEW | dict(lr=lr), epochs=ep, bs=32)
                for d, act, ep in (('digits', 'relu', 10), ('diabetes', 'tanh', 60))]
    return out


def wider():
    "The wider cases, each with Adam, the defaults, the former defaults and EA-CG's direction with the model's length; the defaults' lr table."
    shapes = [('digits', [64] * 8, act, 10, 32) for act in ('relu', 'gelu', 'silu', 'tanh', 'sigmoid')]
    shapes += [('digits', [2048] * 2, act, 10, 32) for act in ('relu', 'tanh')]
    shapes += [('digits', [64, 64], act, 50, 500) for act in ('relu', 'gelu', 'silu', 'tanh', 'sigmoid')] + [('digits', [512] * 4, 'relu', 50, 500)]
    shapes += [(d, [64, 64], act, 60, 32) for d in ('diabetes-huber', 'teacher') for act in ('relu', 'tanh')]
    out = [dict(dname=d, widths=w, act=act, method=m, kw=kw, epochs=ep, bs=bs) for d, w, act, ep, bs in shapes
           for m, kw in (METHODS[0], ('eacg', DEFAULT), ('eacg', OLD), ('eacg', NEW))]
    for lr in (.125, .25, 1., 2.):
        out += [dict(dname=d, widths=[64, 64], act=act, method='eacg', kw=DEFAULT | dict(lr=lr), epochs=ep, bs=32)
                for d, act, ep in (('digits', 'relu', 10), ('diabetes', 'tanh', 60))]
    return out


if __name__ == '__main__':
    torch.set_num_threads(1)
    warnings.simplefilter('ignore')
    grid = wider if '--wider' in sys.argv else cases
    only = [a for a in sys.argv[1:] if a != '--wider']  # settings by name (adam, NEW, OLD, LAYERS, KFAC, DEFAULT), all by default
    named = {'adam': METHODS[0][1], 'NEW': NEW, 'OLD': OLD, 'LAYERS': LAYERS, 'KFAC': KFAC, 'DEFAULT': DEFAULT}
    for case in grid():
        if not only or any(case['kw'] == named[n] for n in only): print(json.dumps(run(**case)), flush=True)
