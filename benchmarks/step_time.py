"""Step time of the methods of the paper's grid against SGD on the paper's CIFAR-10 network, side by side in one process.

    python benchmarks/step_time.py                          # CPU, float32, batch 500, the default methods
    python benchmarks/step_time.py --methods sgd eacg-pch1  # a subset
    python benchmarks/step_time.py --methods eacg-pch1/10   # curvature_every=10 (any method: name/T)
    python benchmarks/step_time.py --methods defaults soap  # EACG at its defaults, and SOAP
    python benchmarks/step_time.py --grid                   # EA-CG-PCH1 at T = 1 and 10 on both paper networks x batch 100, 500, 1000
    python benchmarks/step_time.py --small                  # the paper's EA-CG (T=1, 10), the defaults and Adam on three small networks, with their floors
    python benchmarks/step_time.py --net 2c2d --batch 128 --methods defaults eacg-pch1 adam soap  # a CNN (DeepOBS's fmnist_2c2d)
    python benchmarks/step_time.py --device cuda            # on a GPU
    python benchmarks/step_time.py --methods eacg-pch1 --against df3dd67  # also the step as that commit made it

A step is what a training loop does per batch: zero_grad, forward, loss, backward, optimizer step.
Each method first takes some untimed steps; then the methods run in alternating blocks of steps, so that all see the
same machine state (`eacg_nb.complexity.side_by_side`): a block's time is the mean of its steps, so that a block of a
multiple of T steps holds its share of the steps that compute the curvature, and a method's time is the median of
its blocks, compared with SGD's (momentum 0.9). The ratios block by block compare steps taken within the same second
or two: their spread shows how much the machine moved during the run.

The machine's speed moves the ratios between runs by more than a small change of the code does; `--against COMMIT` times
each method also as the package of that commit makes it (`git archive`, imported under a name of its own), in the same
alternating blocks, and prints this checkout's step over that one, block by block. The commit's defaults apply to its
optimizers, as this checkout's to its own.
"""
import argparse
import atexit
import importlib
import math
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
from torch import nn
from torch.profiler import ProfilerActivity, profile

from eacg_nb.baselines import make_optimizer
from eacg_nb.complexity import side_by_side, space_formula
from eacg_nb.conv import cnn_2c2d, cnn_3c3d
from eacg_nb.network import PAPER_HIDDEN, mlp
from eacg_nb.optim import EACG

CIFAR10 = [3072, *PAPER_HIDDEN, 10]
FASHION_MNIST = [784, *PAPER_HIDDEN, 10]
REPO = Path(__file__).resolve().parents[1]
NETS = {'2c2d': (lambda: cnn_2c2d((1, 28, 28), 10), 784), '3c3d': (lambda: cnn_3c3d((3, 32, 32), 10), 3072)}  # the CNNs (ReLU) and their flat inputs
DEFAULT_METHODS = ['sgd', 'eacg-pch1', 'eacg-pch2', 'eacg-gn', 'eacg-fisher', 'kfi-pch1', 'kfi-gn', 'kfi-fisher', 'kfi_sm-pch1']


def package_at(commit):
    "`make_optimizer` of the `eacg_nb` package as it was at `commit`, unpacked by `git archive` and imported beside this checkout's."
    found = subprocess.run(['git', 'rev-parse', '--verify', '--quiet', '--short=12', f'{commit}^{{commit}}'], cwd=REPO, capture_output=True, text=True)
    if found.returncode: raise ValueError(f'{commit!r} is not a commit of the git checkout at {REPO}')
    sha = found.stdout.strip()
    root = Path(tempfile.mkdtemp())
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    archive = subprocess.run(['git', 'archive', sha, 'eacg_nb'], cwd=REPO, capture_output=True, check=True).stdout
    subprocess.run(['tar', '-x', '-C', str(root)], input=archive, check=True)
    (root / 'eacg_nb').rename(root / f'eacg_at_{sha}')  # its modules import each other relatively: any name will do
    sys.path.insert(0, str(root))
    return importlib.import_module(f'eacg_at_{sha}.baselines').make_optimizer


def setup(methods, sizes, batch, device, max_cg, makers=None, net='mlp'):
    "One batch, the criterion, and a fresh model (the sigmoid MLP of `sizes`, or a CNN of `NETS`) with its optimizer per method ('name@commit': made by `makers[commit]`)."
    torch.manual_seed(0)
    make_model, n_in = ((lambda: mlp(sizes)), sizes[0]) if net == 'mlp' else NETS[net]
    x = torch.randn(batch, n_in, device=device)
    y = torch.randint(0, sizes[-1] if net == 'mlp' else 10, (batch,), device=device)
    crit = nn.CrossEntropyLoss()
    runs = {}
    for spec in methods:
        method, _, commit = spec.partition('@')  # 'eacg-pch1@df3dd67': as that commit's package makes it
        name, _, every = method.partition('/')  # 'eacg-pch1/10': curvature_every=10
        make = makers[commit] if commit else make_optimizer
        model = make_model().to(device)
        hyper = dict(curvature_every=int(every)) if every else {}
        if name == 'defaults' and not commit:  # `EACG(model, crit)` as it comes: KFI-Fisher's direction, the model's length, T=10
            runs[spec] = model, EACG(model, crit, **hyper); continue
        runs[spec] = model, make(name, model, crit, lr=0.1, damping=0.02, max_cg=max_cg, eps_cg=1e-5, **hyper)
    return x, y, crit, runs


# the matrix-matrix products the profiler counts flops of (not matrix-vector ones); it counts a convolution's forward but not
# its backward, so the count is a fully-connected network's (the floors here are the MLPs')
PRODUCTS = frozenset({'aten::mm', 'aten::addmm', 'aten::bmm', 'aten::baddbmm'})


def _product_flops(part):
    "Matrix-product flops of calling `part` on a fully-connected network, as the profiler counts them, also inside `torch.autograd.grad` (which the model's step calls)."
    with profile(activities=[ProfilerActivity.CPU], with_flops=True) as prof: part()
    return sum(e.flops for e in prof.events() if e.name in PRODUCTS)


def matmul_flops(model, opt, crit, x, y, steps=1):
    "Matrix-product flops of `steps` forward + backward passes and of their `opt.step()`s."
    counts = [0, 0]
    for _ in range(steps):
        for i, part in enumerate((lambda: (opt.zero_grad(), crit(model(x), y).backward()), opt.step)): counts[i] += _product_flops(part)
    return counts


def floor_ratios(runs, crit, x, y, everies):
    "Per T: EA-CG step / SGD step if matrix products were all that took time, at one rate (one step in T computes the curvature)."
    fb, refresh = matmul_flops(*runs[f'eacg-pch1/{everies[0]}'], crit, x, y)  # everies[0] = 1: every step computes it
    out = {}
    for T in everies:
        model, opt = runs[f'eacg-pch1/{T}']
        if T > 1 and opt._refresh_due(): matmul_flops(model, opt, crit, x, y)  # so that the counted step reuses the curvature
        reuse = refresh if T == 1 else matmul_flops(model, opt, crit, x, y)[1]
        out[T] = (fb + (refresh + (T - 1) * reuse) / T) / fb
    return out


def grid(device, max_cg, blocks, steps, warmup, batches=(100, 500, 1000), everies=(1, 10),
         networks=(('CIFAR-10', CIFAR10), ('Fashion-MNIST', FASHION_MNIST))):
    "EA-CG-PCH1 against SGD and against its matrix-product floor, for both paper networks, the batches and curvature_every values."
    cycle = math.lcm(*everies)
    steps = cycle * math.ceil(steps / cycle)  # whole cycles in every block: each holds its share of curvature steps
    print(f'EA-CG-PCH1 (max_cg={max_cg}, eps_cg=1e-5) and SGD (momentum 0.9), sigmoid, float32, {device}, {torch.get_num_threads()} threads; '
          f'{blocks} blocks of {steps} steps per method (a block: their mean), the methods alternating; ratios: the median over the rounds '
          'of a block against SGD\'s block of the same round')
    print(f'  {"network":14s} {"batch":>5s} {"SGD ms":>8s}' + ''.join(f'   {"T=" + str(T) + " ms":>9s} {"/ SGD":>6s} {"floor":>6s} {"/ floor":>7s}' for T in everies))
    rows = []
    for label, sizes in networks:
        for batch in batches:
            methods = ['sgd'] + [f'eacg-pch1/{T}' for T in everies]
            x, y, crit, runs = setup(methods, sizes, batch, torch.device(device), max_cg)
            med, means = side_by_side(runs, crit, x, y, blocks, steps, warmup)
            row = dict(network=label, batch=batch, sgd=med['sgd'])
            line = f'  {label:14s} {batch:5d} {1e3 * med["sgd"]:8.2f}'
            floors = floor_ratios(runs, crit, x, y, everies)
            for T in everies:
                # each block against SGD's block of the same round: the machine's drift between rounds cancels
                ratio, floor = statistics.median(m / s for m, s in zip(means[f'eacg-pch1/{T}'], means['sgd'])), floors[T]
                row[T] = dict(ms=1e3 * med[f'eacg-pch1/{T}'], sgd=ratio, floor=floor, over_floor=ratio / floor)
                line += f'   {1e3 * med[f"eacg-pch1/{T}"]:9.2f} {ratio:6.3f} {floor:6.3f} {ratio / floor:7.3f}'
            print(line, flush=True)
            rows.append(row)
    return rows


SMALL = (  # the small networks of a new user's first runs: name, sizes, activation, batch, regression
    ('ReLU MLP 64-256-256-10', (64, 256, 256, 10), 'relu', 64, False),
    ('regression 10-64-64-1', (10, 64, 64, 1), 'tanh', 32, True),
    ('classifier 30-64-2', (30, 64, 2), 'relu', 32, False),
)


def small(device, blocks, steps, warmup, methods=('eacg-pch1', 'eacg-pch1/10', 'defaults', 'adam'), cycle=10):
    "Step time over SGD's on the small networks, where the step's call overhead is most of its cost; beside it, the ratio that matrix products alone would set."
    steps = cycle * math.ceil(steps / cycle)  # whole cycles in every block, as the floor counts: each holds its share of curvature steps
    print(f'small networks, float32, {device}, {torch.get_num_threads()} threads; {blocks} blocks of {steps} steps per method, '
          'the methods alternating; ratios: median over the rounds of a block against SGD\'s block of the same round; floor: the ratio of '
          f'their matrix-product flops over {cycle} steps (forward, backward and step), what the step would cost if products were all that took time')
    print(f'  {"network":24s} {"batch":>5s} {"SGD ms":>8s}' + ''.join(f' {m + " / SGD":>18s} {"floor":>6s}' for m in methods))
    for label, sizes, act, batch, regression in SMALL:
        torch.manual_seed(0)
        x = torch.randn(batch, sizes[0], device=device)
        y = torch.randn(batch, 1, device=device) if regression else torch.randint(0, sizes[-1], (batch,), device=device)
        crit, runs = nn.MSELoss() if regression else nn.CrossEntropyLoss(), {}
        for spec in ('sgd', *methods):
            name, _, every = spec.partition('/')  # 'eacg-pch1/10': curvature_every=10
            model, hyper = mlp(sizes, act).to(device), dict(curvature_every=int(every)) if every else {}
            runs[spec] = model, EACG(model, crit, **hyper) if name == 'defaults' else make_optimizer(name, model, crit, **hyper)  # each at its defaults
        med, means = side_by_side(runs, crit, x, y, blocks, steps, warmup)
        ratios = [statistics.median(m / q for m, q in zip(means[name], means['sgd'])) for name in methods]
        flops = {name: sum(matmul_flops(*runs[name], crit, x, y, cycle)) for name in ('sgd', *methods)}  # after the timing: these steps are not timed
        print(f'  {label:24s} {batch:5d} {1e3 * med["sgd"]:8.3f}' + ''.join(f' {r:18.2f} {flops[name] / flops["sgd"]:6.2f}' for name, r in zip(methods, ratios)),
              flush=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--device', default='cpu')
    p.add_argument('--batch', type=int, default=500)
    p.add_argument('--methods', nargs='+', default=DEFAULT_METHODS)
    p.add_argument('--blocks', type=int, default=6, help='blocks of steps per method, alternating between the methods')
    p.add_argument('--steps', type=int, default=10, help='timed steps per block: a multiple of every curvature_every')
    p.add_argument('--warmup', type=int, default=2, help='untimed steps at the start of each block')
    p.add_argument('--max-cg', type=int, default=10)
    p.add_argument('--sizes', type=int, nargs='+', default=CIFAR10)
    p.add_argument('--net', default='mlp', choices=['mlp', *NETS], help="the network: the sigmoid MLP of --sizes, or one of eacg_train's CNNs (ReLU)")
    p.add_argument('--grid', action='store_true', help='EA-CG-PCH1 at curvature_every 1 and 10 on both paper networks, batch 100, 500, 1000')
    p.add_argument('--small', action='store_true', help='EA-CG-PCH1 (T=1 and 10), the defaults and Adam against SGD on three small networks, each beside its matrix-product floor')
    p.add_argument('--against', metavar='COMMIT', help="time every method also as COMMIT's package makes it, in the same blocks")
    a = p.parse_args(argv)
    if a.grid and a.against: p.error('--against times the methods of --methods; --grid has no such comparison')
    if a.grid: return grid(a.device, a.max_cg, a.blocks, a.steps, a.warmup)
    if a.small: return small(a.device, a.blocks, a.steps, a.warmup)
    ours = [m for m in a.methods if m != 'sgd']
    theirs = [f'{m}@{a.against}' for m in ours] if a.against else []
    methods = ['sgd'] + ours + theirs
    try: makers = {a.against: package_at(a.against)} if a.against else None
    except (ValueError, ImportError, AttributeError) as e: p.error(f'--against {a.against}: {e}')  # no such commit, or no make_optimizer there
    x, y, crit, runs = setup(methods, a.sizes, a.batch, torch.device(a.device), a.max_cg, makers, a.net)
    med, per_block = side_by_side(runs, crit, x, y, a.blocks, a.steps, a.warmup)
    network = f'{"-".join(map(str, a.sizes))}, sigmoid' if a.net == 'mlp' else f'{a.net}, relu'
    print(f'network {network}, batch {a.batch}, float32, {a.device}, '
          f'{torch.get_num_threads()} threads; median of {a.blocks} blocks of {a.steps} steps; EA-CG with max_cg={a.max_cg}, eps_cg=1e-5')
    width = max(14, *map(len, methods))
    print(f'  {"method":{width}s} {"step ms":>9s} {"/ SGD":>7s}   / SGD block by block: median (range)')
    for name in methods:
        blocks = sorted(m / s for m, s in zip(per_block[name], per_block['sgd']))
        spread = f'{statistics.median(blocks):.3f} ({blocks[0]:.3f} to {blocks[-1]:.3f})' if name != 'sgd' else ''
        print(f'  {name:{width}s} {1e3 * med[name]:9.2f} {med[name] / med["sgd"]:7.3f}   {spread}')
    for mine, then in zip(ours, theirs):
        blocks = sorted(m / t for m, t in zip(per_block[mine], per_block[then]))
        print(f'  {mine} / {then}, block by block: {statistics.median(blocks):.3f} ({blocks[0]:.3f} to {blocks[-1]:.3f})')
    if 'eacg-pch1' in runs and a.net == 'mlp':  # the space formula is the FCNN's
        model, opt = runs['eacg-pch1']
        print(f'  eacg-pch1 curvature memory per step: {opt.curvature_bytes / 2**20:.2f} MiB held; formula '
              f'sum n_t^2 + sum n_(t-1) = {space_formula(a.sizes, "eacg-pch1") * 4 / 2**20:.2f} MiB (float32)')
        print(f'  eacg-pch1 CG iterations per block in the last step: {[d["cg_iters"] for d in opt.diagnostics]}')
        fb, step = matmul_flops(model, opt, crit, x, y)
        print(f'  matrix products: forward + backward {fb / 1e9:.2f} GFLOP, eacg-pch1 step {step / 1e9:.2f} GFLOP; if they ran '
              f'at one rate and nothing else took time, eacg-pch1 / SGD would be {(fb + step) / fb:.3f}')
    return med


if __name__ == '__main__':
    main()
