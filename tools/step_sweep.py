"""The sweep of `EACG(lr=1, step_length='model', trust_radius=1)` against Adam and the defaults: ReLU/GELU/SiLU/tanh/sigmoid MLPs of width
64 and 512 and depth 2 and 4 on scikit-learn's digits (cross-entropy, 10 epochs), and 10-64-64-1 regressions on its diabetes set
(standardised inputs and target, squared error, 60 epochs), batch 32, seed 0, one thread; each case with Adam (1e-3), the
settings below, and a learning-rate table. One JSON line per run:

    python tools/step_sweep.py > nbs/results/along/step_sweep.jsonl      # every setting
    python tools/step_sweep.py LAYERS KFAC                                 # those settings only
"""
import json
import sys
import time
import warnings

import torch
from sklearn.datasets import load_diabetes, load_digits
from torch import nn

from eacg_nb.network import mlp
from eacg_nb.optim import EACG

NEW = dict(lr=1., step_length='model', trust_radius=1., max_update_norm=None)  # EA-CG's direction, the model's length
LAYERS = dict(lr=1., step_length='layers', trust_radius=1., max_update_norm=None)  # one length per layer
KFAC = dict(lr=.5, solver='kfi', curvature='fisher', damping=.01, curvature_every=10, step_length='layers', momentum=True,
            adaptive_damping=True, trust_radius=None, max_update_norm=None)  # KFI-Fisher's direction, lengths per layer and momentum
OLD = dict(lr=.05, step_length='lr', trust_radius=None, max_update_norm=1.)  # the defaults: the paper's step, ‖Δθ‖ ≤ 1
METHODS = (('adam', dict(lr=1e-3)), ('eacg', NEW), ('eacg', OLD), ('eacg', LAYERS), ('eacg', KFAC))


def data(name):
    "Inputs, targets, criterion and output width of a bundled data set, standardised."
    d = load_digits() if name == 'digits' else load_diabetes()
    X = torch.tensor(d.data, dtype=torch.float32)
    X = (X - X.mean(0)) / X.std(0).clamp(min=1e-3)
    if name == 'digits': return X, torch.tensor(d.target), nn.CrossEntropyLoss(), 10
    Y = torch.tensor(d.target, dtype=torch.float32)[:, None]
    return X, (Y - Y.mean()) / Y.std(), nn.MSELoss(), 1


def run(dname, widths, act, method, kw, epochs, bs, seed=0):
    "Train one case on 80 % of the set; final training and test loss, test accuracy, the share of bounded steps."
    X, Y, crit, k = data(dname)
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(X), generator=g)
    n = int(.8 * len(X))
    tr, te = perm[:n], perm[n:]
    torch.manual_seed(seed)
    model = mlp([X.shape[1], *widths, k], act)
    opt = torch.optim.Adam(model.parameters(), **kw) if method == 'adam' else EACG(model, crit, **kw)
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
        return dict(data=dname, widths=widths, act=act, method=method, kw=kw, train=crit(model(X[tr]), Y[tr]).item(),
                    test=crit(out, Y[te]).item(), acc=acc, bounded=bounded / max(steps, 1), status=status, seconds=time.time() - t0)


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


if __name__ == '__main__':
    torch.set_num_threads(1)
    warnings.simplefilter('ignore')
    only = sys.argv[1:]  # settings by name (adam, NEW, OLD, LAYERS, KFAC), all by default
    named = {'adam': METHODS[0][1], 'NEW': NEW, 'OLD': OLD, 'LAYERS': LAYERS, 'KFAC': KFAC}
    for case in cases():
        if not only or any(case['kw'] == named[n] for n in only): print(json.dumps(run(**case)), flush=True)
