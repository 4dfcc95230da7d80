"""Step time of EACG against SGD on the paper's CIFAR-10 network, measured side by side in one process.

    python benchmarks/step_time.py                     # CPU, float32, batch 500
    python benchmarks/step_time.py --device cuda       # on a GPU

A step is what a training loop does per batch: zero_grad, forward, loss, backward, optimizer step.
The methods run in alternating blocks of steps so that both see the same machine state; the medians are compared.
"""
import argparse
import statistics
import time

import torch
from torch import nn

from eacg_nb.network import mlp
from eacg_nb.optim import EACG

CIFAR10 = [3072, 1024, 512, 256, 128, 64, 32, 16, 10]


def space_formula(sizes):
    "Entries of curvature EA-CG holds (space-complexity section): sum_t n_t^2 for the bias blocks + sum_t n_{t-1} for E[h]."
    return sum(n * n for n in sizes[1:]) + sum(sizes[:-1])


def timed_step(model, opt, crit, x, y, sync):
    "Seconds for one training step."
    sync(); t0 = time.perf_counter()
    opt.zero_grad(set_to_none=True)
    crit(model(x), y).backward()
    opt.step()
    sync()
    return time.perf_counter() - t0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--device', default='cpu')
    p.add_argument('--batch', type=int, default=500)
    p.add_argument('--blocks', type=int, default=4, help='blocks of steps per method, alternating between the methods')
    p.add_argument('--steps', type=int, default=5, help='timed steps per block')
    p.add_argument('--warmup', type=int, default=2, help='untimed steps at the start of each block')
    p.add_argument('--max-cg', type=int, default=10)
    p.add_argument('--sizes', type=int, nargs='+', default=CIFAR10)
    a = p.parse_args(argv)
    dev = torch.device(a.device)
    sync = torch.cuda.synchronize if dev.type == 'cuda' else (lambda: None)
    torch.manual_seed(0)
    x = torch.randn(a.batch, a.sizes[0], device=dev)
    y = torch.randint(0, a.sizes[-1], (a.batch,), device=dev)
    crit = nn.CrossEntropyLoss()
    runs = {}
    for name in ['sgd', 'eacg']:
        model = mlp(a.sizes).to(dev)
        opt = (torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9) if name == 'sgd' else
               EACG(model, crit, lr=0.1, damping=0.02, curvature='pch1', solver='eacg', max_cg=a.max_cg, eps_cg=1e-5))
        runs[name] = (model, opt, [])
    # alternate short blocks of steps: each method runs as it would in training, and both see the same machine state
    for block in range(a.blocks):
        for model, opt, times in runs.values():
            for r in range(a.warmup + a.steps):
                dt = timed_step(model, opt, crit, x, y, sync)
                if r >= a.warmup: times.append(dt)
    med = {name: statistics.median(t) for name, (_, _, t) in runs.items()}
    threads = torch.get_num_threads()
    print(f'network {"-".join(map(str, a.sizes))}, sigmoid, batch {a.batch}, float32, {dev}, {threads} threads')
    for name, m in med.items(): print(f'  {name:5s} median step {1e3 * m:8.2f} ms')
    print(f'  EACG (pch1, eacg, max_cg={a.max_cg}) / SGD (momentum 0.9) step time: {med["eacg"] / med["sgd"]:.3f}')
    opt = runs['eacg'][1]
    formula = space_formula(a.sizes) * 4
    print(f'  curvature memory per step: {opt.curvature_bytes / 2**20:.2f} MiB held; '
          f'formula sum n_t^2 + sum n_(t-1) = {formula / 2**20:.2f} MiB (float32)')
    iters = [d['cg_iters'] for d in opt.diagnostics]
    print(f'  CG iterations per block in the last step: {iters}')
    return med


if __name__ == '__main__':
    main()
