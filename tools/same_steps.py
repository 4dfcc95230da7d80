"""Whether the optimizer's steps are the same, to the last bit, as at an earlier commit: a check for changes that must not alter numbers.

    python tools/same_steps.py 1c0c3dd                     # the default T=1 of every method, float32 and float64, both criteria
    python tools/same_steps.py 6da0911 --curvature-every 3

Six steps of each method of the grid (both criteria; Gauss-Newton with cross-entropy only) on a small network, in float32
and float64, one thread, with the working tree's code and with the commit's (unpacked by `git archive`); it prints the
cases whose parameters differ in any bit, and exits 1 if there are any.
"""
import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
METHODS = ['eacg-pch1', 'eacg-pch2', 'eacg-gn', 'eacg-fisher', 'cg-pch1', 'direct-pch1', 'kfi-pch1', 'kfi-fisher', 'kfi_sm-pch1', 'kfi-gn']

STEPS = '''
import sys, torch
from torch import nn
from eacg_nb.baselines import make_optimizer
from eacg_nb.criteria import NonConvexLoss
from eacg_nb.network import mlp
torch.set_num_threads(1)
every, out, methods = int(sys.argv[1]), {}, sys.argv[3:]
for dtype in (torch.float32, torch.float64):
    for name, crit in (('ce', nn.CrossEntropyLoss()), ('nonconvex', NonConvexLoss())):
        for m in methods:
            if name == 'nonconvex' and m.endswith('gn'): continue
            torch.manual_seed(0)
            model = mlp([20, 16, 12, 8, 5]).to(dtype)
            hyper = dict(curvature_every=every) if every > 1 else {}
            opt = make_optimizer(m, model, crit, lr=0.1, damping=0.02, **hyper)
            for _ in range(6):
                x, y = torch.randn(32, 20, dtype=dtype), torch.randint(0, 5, (32,))
                opt.zero_grad(); crit(model(x), y).backward(); opt.step()
            out[f'{str(dtype)[6:]} {name} {m}'] = [p.detach().clone() for p in model.parameters()]
torch.save(out, sys.argv[2])
'''


def steps(code_dir, every, path):
    "Run the steps with the package in `code_dir` and save the parameters to `path`."
    env = dict(os.environ, PYTHONPATH=str(code_dir))
    subprocess.run([sys.executable, '-c', STEPS, str(every), str(path), *METHODS], check=True, cwd=code_dir, env=env)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('commit')
    p.add_argument('--curvature-every', type=int, default=1)
    a = p.parse_args()
    import torch
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        archive = subprocess.run(['git', 'archive', a.commit], cwd=REPO, capture_output=True, check=True).stdout
        (tmp / 'then').mkdir()
        subprocess.run(['tar', '-x', '-C', str(tmp / 'then')], input=archive, check=True)
        steps(tmp / 'then', a.curvature_every, tmp / 'then.pt')
        steps(REPO, a.curvature_every, tmp / 'now.pt')
        then, now = torch.load(tmp / 'then.pt'), torch.load(tmp / 'now.pt')
    differ = [k for k in then if not all(torch.equal(x, y) for x, y in zip(then[k], now[k]))]
    print(f'{len(then)} cases, curvature_every={a.curvature_every}: ' + ('every step the same to the last bit' if not differ else f'{len(differ)} differ: {differ}'))
    return 1 if differ else 0


if __name__ == '__main__':
    sys.exit(main())
