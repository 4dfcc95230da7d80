"""Data-parallel EA-CG: R gloo processes with unequal shards take the same step as one process on the whole batch."""
import os
import socket
import tempfile
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

from eacg_nb.baselines import make_optimizer
from eacg_nb.criteria import NonConvexLoss
from eacg_nb.network import mlp
from eacg_nb.optim import NonFiniteError

SIZES = [6, 7, 5, 3]
CONFIGS = [  # (wrapper, method, criterion)
    ('plain', 'eacg-pch1', 'ce'), ('ddp', 'eacg-pch1', 'ce'), ('plain', 'cg-pch2', 'nonconvex'),
    ('ddp', 'direct-gn', 'ce'), ('plain', 'kfi-fisher', 'ce'), ('ddp', 'kfi_sm-pch1', 'nonconvex'), ('ddp', 'eacg-fisher', 'nonconvex'),
]


AMORTISED = [('ddp', 'eacg-pch1', 'ce'), ('plain', 'kfi-pch1', 'nonconvex')]  # three steps with curvature_every=2
CNN_CONFIGS = [('ddp', 'eacg-pch1', 'ce'), ('plain', 'kfi-fisher', 'nonconvex'), ('ddp', 'cg-gn', 'ce')]  # a CNN: blocks carried back and own
IGNORED = [1, 2, 8]  # rows whose class is ignore_index: two in the first shard of [7, 5], one in the second


def criterion(name): return nn.CrossEntropyLoss() if name == 'ce' else NonConvexLoss()


def problem(seed=0, cnn=False):
    "The same model and whole batch in every process: the MLP, or a CNN (padded convolution, max pooling, convolution, flatten, linear)."
    torch.manual_seed(seed)
    if cnn: model = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.Tanh(), nn.MaxPool2d(2), nn.Conv2d(3, 4, 2), nn.Sigmoid(), nn.Flatten(), nn.Linear(16, 3)).double()
    else: model = mlp(SIZES).double()
    for p in model.parameters(): nn.init.normal_(p, std=.8)
    x = torch.randn(12, 2, 6, 6, dtype=torch.float64) if cnn else torch.randn(12, SIZES[0], dtype=torch.float64)
    return model, x, torch.randint(0, 3, (12,))


def one_step(model, net, method, crit, x, y, steps=1, every=1):
    "`steps` steps on the batch (x, y) and, after the first, on its rows reversed and shifted: new gradients, reused curvature."
    opt = make_optimizer(method, net, crit, lr=.3, damping=.05, max_cg=200, eps_cg=1e-13, curvature_every=every)
    for i in range(steps):
        opt.zero_grad()
        crit(net(x if i == 0 else x.flip(0) + i), y if i == 0 else y.flip(0)).backward()
        opt.step()
    if hasattr(opt, 'close'): opt.close()
    return opt


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def worker(rank, world, port, shards, task, out):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=world)
    try:
        lo, hi = sum(shards[:rank]), sum(shards[:rank + 1])
        results = {}
        if task in ('steps', 'cnn'):
            for wrapper, method, crit_name in (CONFIGS if task == 'steps' else CNN_CONFIGS):
                model, x, y = problem(cnn=task == 'cnn')
                net = nn.parallel.DistributedDataParallel(model) if wrapper == 'ddp' else model
                opt = one_step(model, net, method, criterion(crit_name), x[lo:hi], y[lo:hi])
                results[(wrapper, method, crit_name)] = ([p.detach() for p in model.parameters()], opt.communicated_bytes)
        elif task == 'amortised':
            for wrapper, method, crit_name in AMORTISED:
                model, x, y = problem()
                net = nn.parallel.DistributedDataParallel(model) if wrapper == 'ddp' else model
                # each rank's shard of the later batches is its slice of the reversed batch: other samples than at the first step
                crit = criterion(crit_name)
                opt = make_optimizer(method, net, crit, lr=.3, damping=.05, max_cg=200, eps_cg=1e-13, curvature_every=2)
                for i in range(3):
                    bx, by = (x[lo:hi], y[lo:hi]) if i == 0 else (x.flip(0)[lo:hi] + i, y.flip(0)[lo:hi])
                    opt.zero_grad(); crit(net(bx), by).backward(); opt.step()
                results[(wrapper, method, crit_name)] = [p.detach() for p in model.parameters()]
        elif task == 'close':
            model, x, y = problem()
            net, crit = nn.parallel.DistributedDataParallel(model), nn.CrossEntropyLoss()
            one_step(model, net, 'eacg-pch1', crit, x[lo:hi], y[lo:hi])  # closes the optimizer
            net.zero_grad(); crit(net(x[lo:hi]), y[lo:hi]).backward()  # as after switching to SGD
            results['grads'] = [p.grad.clone() for p in model.parameters()]
            one_step(model, net, 'eacg-pch1', crit, x[lo:hi], y[lo:hi])  # a second EACG on the same DDP model
            results['params'] = [p.detach().clone() for p in model.parameters()]
        elif task == 'ignore':
            model, x, y = problem()
            y[IGNORED] = -100
            one_step(model, nn.parallel.DistributedDataParallel(model), 'eacg-pch1', nn.CrossEntropyLoss(), x[lo:hi], y[lo:hi])
            results['params'] = [p.detach() for p in model.parameters()]
        elif task == 'nan':
            model, x, y = problem()
            if rank == 1: x = x * float('nan')
            try: one_step(model, nn.parallel.DistributedDataParallel(model), 'eacg-pch1', nn.CrossEntropyLoss(), x[lo:hi], y[lo:hi])
            except NonFiniteError as e: results['raised'] = str(e)
        elif task == 'shapes':
            model = mlp([6, 7, 5, 3] if rank == 0 else [6, 8, 5, 3])
            try: make_optimizer('eacg-pch1', model, nn.CrossEntropyLoss())
            except ValueError as e: results['raised'] = str(e)
        torch.save(results, Path(out) / f'rank{rank}.pt')
        dist.barrier()
    finally:
        dist.destroy_process_group()
    os._exit(0)  # skip the interpreter's teardown of gloo's threads, which can abort a process after a caught error


def run(world, shards, task):
    with tempfile.TemporaryDirectory() as tmp:
        mp.start_processes(worker, args=(world, free_port(), shards, task, tmp), nprocs=world, join=True, start_method='spawn')
        return [torch.load(Path(tmp) / f'rank{r}.pt', weights_only=False) for r in range(world)]


@pytest.mark.parametrize('shards, task', [([7, 5], 'steps'), ([5, 4, 3], 'steps'), ([7, 5], 'cnn')], ids=['2 ranks', '3 ranks', 'a CNN on 2 ranks'])
def test_step_equals_single_process(shards, task):
    results = run(len(shards), shards, task)
    for config in (CONFIGS if task == 'steps' else CNN_CONFIGS):
        _, method, crit_name = config
        model, x, y = problem(cnn=task == 'cnn')
        one_step(model, model, method, criterion(crit_name), x, y)
        want = [p.detach() for p in model.parameters()]
        for r, res in enumerate(results):
            got, sent = res[config]
            for a, b in zip(got, want): torch.testing.assert_close(a, b, atol=1e-10, rtol=0, msg=f'{config}, rank {r}')
            assert sent > 0
        for other in results[1:]:  # every rank holds identical parameters
            assert all(torch.equal(a, b) for a, b in zip(results[0][config][0], other[config][0]))


def test_nan_on_one_rank_raises_everywhere():
    results = run(2, [6, 6], 'nan')
    assert all('NaN or Inf' in r.get('raised', '') for r in results)


def test_model_mismatch_is_refused():
    results = run(2, [6, 6], 'shapes')
    assert all('differs across ranks' in r.get('raised', '') for r in results)


def test_reused_curvature_equals_single_process():
    "curvature_every=2: the second step reuses the first one's curvature, the third computes it again; every rank matches one process."
    shards = [7, 5]
    results = run(2, shards, 'amortised')
    for config in AMORTISED:
        _, method, crit_name = config
        model, x, y = problem()
        one_step(model, model, method, criterion(crit_name), x, y, steps=3, every=2)
        for r, res in enumerate(results):
            for a, b in zip(res[config], model.parameters()): torch.testing.assert_close(a, b.detach(), atol=1e-10, rtol=0, msg=f'{config}, rank {r}')


def test_closed_optimizer_leaves_ddp_mean_and_a_second_optimizer_takes_over():
    "After close() the hook averages as DDP does (finite gradients for SGD); a second EACG on the same DDP model steps exactly."
    shards = [7, 5]
    results = run(2, shards, 'close')
    model, x, y = problem()
    crit = nn.CrossEntropyLoss()
    one_step(model, model, 'eacg-pch1', crit, x, y)
    bounds = [(0, 7), (7, 12)]
    per_rank = [torch.autograd.grad(crit(model(x[lo:hi]), y[lo:hi]), list(model.parameters())) for lo, hi in bounds]
    ddp_mean = [sum(g) / 2 for g in zip(*per_rank)]  # DDP's own averaging: the mean of the ranks' shard means
    one_step(model, model, 'eacg-pch1', crit, x, y)
    for r, res in enumerate(results):
        for a, b in zip(res['grads'], ddp_mean): torch.testing.assert_close(a, b, atol=1e-12, rtol=0, msg=f'rank {r}')
        for a, b in zip(res['params'], model.parameters()): torch.testing.assert_close(a, b.detach(), atol=1e-10, rtol=0, msg=f'rank {r}')


def test_ignored_rows_count_nowhere():
    "CrossEntropyLoss(ignore_index): the hook's shard weights and the statistics count the same rows, so the step is the single-process one."
    results = run(2, [7, 5], 'ignore')
    model, x, y = problem()
    y[IGNORED] = -100
    one_step(model, model, 'eacg-pch1', nn.CrossEntropyLoss(), x, y)
    for r, res in enumerate(results):
        for a, b in zip(res['params'], model.parameters()): torch.testing.assert_close(a, b.detach(), atol=1e-10, rtol=0, msg=f'rank {r}')
