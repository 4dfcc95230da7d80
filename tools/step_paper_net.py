"""The paper's Fashion-MNIST network (784-1024-512-256-128-64-32-16-10, sigmoid, cross-entropy, batch 500, seed 0, one thread)
trained by `EACG` at each setting below for a few epochs: the mean training loss of every epoch, the test accuracy at the end,
the share of bounded steps and the seconds. One JSON line per setting:

    python tools/step_paper_net.py > nbs/results/along/paper_net.jsonl
"""
import json
import sys
import time
import warnings

import torch
from torch import nn

from eacg_nb.data import dataloaders, load_dataset
from eacg_nb.network import PAPER_HIDDEN, mlp
from eacg_nb.optim import EACG, PAPER

SETTINGS = [  # in the order of nbs/results/along/paper_net.jsonl
    dict(epochs=2, lr=0.05, step_length='lr', trust_radius=None, max_update_norm=1.0),
    dict(epochs=2, lr=1.0, step_length='model', trust_radius=None, max_update_norm=None),
    dict(epochs=2, lr=0.3, step_length='model', trust_radius=1.0, max_update_norm=None),
    dict(epochs=2, lr=1.0, step_length='model', trust_radius=1.0, max_update_norm=None, damping=0.05),
    dict(epochs=5, lr=1.0, step_length='layers', trust_radius=None, max_update_norm=None),
    dict(epochs=5, lr=1.0, step_length='layers', momentum=True, trust_radius=None, max_update_norm=None),
    dict(epochs=5, lr=1.0, step_length='model', momentum=True, trust_radius=None, max_update_norm=None),
    dict(epochs=5, lr=1.0, solver='kfi', curvature='fisher', damping=0.01, curvature_every=10, step_length='layers', momentum=True, trust_radius=None, max_update_norm=None),
    dict(epochs=5, lr=1.0, solver='kfi', curvature='pch1', damping=0.01, curvature_every=10, step_length='layers', momentum=True, trust_radius=None, max_update_norm=None),
    dict(epochs=5, lr=1.0, solver='kfi', curvature='fisher', damping=0.1, curvature_every=10, step_length='layers', momentum=True, trust_radius=None, max_update_norm=None),
    dict(epochs=5, lr=1.0, solver='kfi', curvature='fisher', damping=0.01, curvature_every=10, step_length='layers', momentum=True, trust_radius=None, max_update_norm=None, adaptive_damping=True),
    dict(epochs=5, lr=1.0, solver='eacg', curvature='pch1', damping=0.01, step_length='layers', momentum=True, trust_radius=None, max_update_norm=None, adaptive_damping=True),
    dict(epochs=10, lr=1.0, solver='kfi', curvature='fisher', damping=0.01, curvature_every=10, step_length='layers', momentum=True, trust_radius=1.0, max_update_norm=None, adaptive_damping=True),
    dict(epochs=5, lr=1.0, solver='kfi', curvature='fisher', damping=0.01, curvature_every=1, step_length='layers', momentum=True, trust_radius=None, max_update_norm=None, adaptive_damping=True),
    dict(epochs=5, lr=0.5, solver='kfi', curvature='fisher', damping=0.01, curvature_every=10, step_length='layers', momentum=True, trust_radius=None, max_update_norm=None, adaptive_damping=True),
    dict(epochs=10, lr=0.5, solver='kfi', curvature='fisher', damping=0.01, curvature_every=10, step_length='layers', momentum=True, trust_radius=None, max_update_norm=None, adaptive_damping=True),
    dict(epochs=10, lr=0.25, solver='kfi', curvature='fisher', damping=0.01, curvature_every=10, step_length='layers', momentum=True, trust_radius=None, max_update_norm=None, adaptive_damping=True),
    dict(epochs=5, lr=1.0, solver='kfi', curvature='fisher', damping=0.01, curvature_every=10, step_length='model', trust_radius=1.0, max_update_norm=None),
    dict(epochs=5, lr=1.0, solver='kfi', curvature='pch1', damping=0.01, curvature_every=10, step_length='model', trust_radius=1.0, max_update_norm=None),
    dict(epochs=5, lr=0.25, solver='kfi', curvature='fisher', damping=0.01, curvature_every=10, step_length='model', momentum=True, trust_radius=1.0, max_update_norm=None),
    dict(epochs=5, lr=0.25, solver='kfi', curvature='fisher', damping=0.01, curvature_every=10, step_length='model', momentum=True, adaptive_damping=True, trust_radius=1.0, max_update_norm=None),
    dict(epochs=5, lr=0.5, solver='kfi', curvature='fisher', damping=0.01, curvature_every=10, step_length='model', adaptive_damping=True, trust_radius=1.0, max_update_norm=None),  # the defaults
]


def run(setting:dict, data, seed:int=0) -> dict:
    kw = dict(setting)
    epochs = kw.pop('epochs')
    torch.manual_seed(seed)
    model, crit = mlp([784, *PAPER_HIDDEN, 10], 'sigmoid'), nn.CrossEntropyLoss()
    opt = EACG(model, crit, **PAPER | kw)  # a setting changes the paper's method
    train_dl, test_dl = dataloaders(data, 500, seed=seed)
    losses, bounded, t0 = [], 0, time.time()
    for _ in range(epochs):
        for x, y in train_dl:
            opt.zero_grad(); loss = crit(model(x), y); loss.backward(); opt.step()
            losses.append(loss.item()); bounded += bool(opt.diagnostics[0]['bounded'])
    with torch.no_grad():
        correct = sum((model(x).argmax(1) == y).sum().item() for x, y in test_dl)
    per = len(losses) // epochs
    return dict(setting=setting, epoch_loss=[sum(losses[i:i + per]) / per for i in range(0, len(losses), per)],
                test_acc=correct / len(test_dl.dataset), bounded=bounded / len(losses), seconds=time.time() - t0)


if __name__ == '__main__':
    torch.set_num_threads(1)
    warnings.simplefilter('ignore')
    data = load_dataset('fashion-mnist')
    for s in SETTINGS[int(sys.argv[1]):int(sys.argv[2])] if len(sys.argv) > 2 else SETTINGS: print(json.dumps(run(s, data)), flush=True)
