"""Where the time of an EA-CG step goes: the operators of `opt.step()` on the paper's networks, by the torch profiler.

    python benchmarks/step_profile.py                      # CIFAR-10 network, batch 500, CPU, float32
    python benchmarks/step_profile.py --network fashion-mnist --batch 100

It runs EA-CG-PCH-1 as `step_time.py` does (lr 0.1, damping 0.02, max_cg 10), profiles a number of steps and prints, per
step: the step's time, the time inside its matrix products (`mm`, `addmm`) and inside every other operator, the
number of operators the step calls from Python, and the operators with the most time, by their input shapes. The
profiler adds its own cost to every operator, so the times are larger than `step_time.py`'s; their shares are what
to read.
"""
import argparse
import collections
import sys
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile, record_function

sys.path.insert(0, str(Path(__file__).resolve().parent))
from step_time import CIFAR10, FASHION_MNIST, setup  # noqa: E402

NETWORKS = {'cifar-10': CIFAR10, 'fashion-mnist': FASHION_MNIST}
MATRIX_PRODUCTS = frozenset({'aten::mm', 'aten::addmm'})


def _inside(event, name):
    "Whether `event` runs inside the profiler range `name`."
    while (event := event.cpu_parent) is not None:
        if event.name == name: return True
    return False


def profile_steps(model, opt, crit, x, y, steps=10, warmup=3):
    "Per step: the step's time, its time in matrix products and in other operators (ms), the operators it calls from Python, and (ms, calls) per (operator, input shapes)."
    def fb(): opt.zero_grad(); crit(model(x), y).backward()
    for _ in range(warmup): fb(); opt.step()
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        for _ in range(steps):
            fb()
            with record_function('STEP'): opt.step()
    events = prof.events()
    total = sum(e.cpu_time_total for e in events if e.name == 'STEP') / steps / 1e3
    ops = [e for e in events if e.name.startswith('aten::') and _inside(e, 'STEP')]
    by_op = collections.defaultdict(lambda: [0., 0])
    for e in ops:
        entry = by_op[e.name, str(e.input_shapes)]
        entry[0] += e.self_cpu_time_total / steps / 1e3
        entry[1] += 1 / steps
    products = sum(t for (name, _), (t, _) in by_op.items() if name in MATRIX_PRODUCTS)
    others = sum(t for (name, _), (t, _) in by_op.items() if name not in MATRIX_PRODUCTS)
    top_level = sum(1 for e in ops if e.cpu_parent is not None and e.cpu_parent.name.startswith('Optimizer.step')) / steps
    return dict(step=total, products=products, others=others, calls=top_level, by_op=dict(by_op))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--network', choices=list(NETWORKS), default='cifar-10')
    p.add_argument('--sizes', type=int, nargs='+', help='widths n_0 ... n_k in place of a paper network')
    p.add_argument('--batch', type=int, default=500)
    p.add_argument('--device', default='cpu')
    p.add_argument('--steps', type=int, default=10)
    p.add_argument('--top', type=int, default=25, help='operators to list')
    a = p.parse_args(argv)
    sizes = a.sizes or NETWORKS[a.network]
    x, y, crit, runs = setup(['eacg-pch1'], sizes, a.batch, torch.device(a.device), 10)
    r = profile_steps(*runs['eacg-pch1'], crit, x, y, a.steps)
    print(f'EA-CG-PCH-1 step, network {"-".join(map(str, sizes))}, batch {a.batch}, {a.device}, {torch.get_num_threads()} threads, '
          f'profiled ({a.steps} steps): {r["step"]:.2f} ms; matrix products {r["products"]:.2f} ms, other operators '
          f'{r["others"]:.2f} ms, the rest {r["step"] - r["products"] - r["others"]:.2f} ms (Python and the profiler); '
          f'{r["calls"]:.0f} operators called from Python')
    print(f'  {"ms":>7s} {"calls":>6s}  operator and input shapes')
    for (name, shapes), (t, n) in sorted(r['by_op'].items(), key=lambda kv: -kv[1][0])[:a.top]:
        print(f'  {t:7.3f} {n:6.1f}  {name} {shapes[:100]}')
    return r


if __name__ == '__main__':
    main()
