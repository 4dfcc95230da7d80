"""The stored runs of the experiments chapter: the validation search and the full-length runs, resumable.

    python tools/experiments.py search ce        # the grid of learning rate x damping at batch 500, ranked on a validation split
    python tools/experiments.py select ce        # the chosen learning rate and damping of each method
    python tools/experiments.py full ce          # the full-length runs with the chosen values, on the test set
    python tools/experiments.py amortised        # EA-CG-PCH1 with curvature_every 1, 3, 10, 30 at batch 100 and 500 (complexity chapter)
    python tools/experiments.py status

Each run is an `eacg_train` output folder. It trains in a work folder outside the repository (its checkpoints are
large), and when it ends its histories, figure and summary.json are copied to nbs/results/<name>/. A run whose
folder is complete is skipped; one whose work folder holds checkpoints is resumed. The code runs from a snapshot
of the committed tree (`git archive HEAD`), so that editing the working tree does not change a run under way.
"""
import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / 'nbs' / 'results'
WORK = Path(os.environ.get('EACG_NB_RUNS', Path.home() / '.cache' / 'eacg_nb' / 'runs'))

COMMON = ['--data', 'fashion-mnist', '--batch-size', '500', '--threads', '1', '--no-progress']
SEARCH = dict(epochs=5, valid_fraction=.1, lrs=(.05, .1, .2), dampings=(.01, .02, .05, .1))
METHODS = {  # the paper's comparisons: Figures 1 and 3 (cross-entropy), 5 and 7 (Eq. 14), 9-12 (PCH-2)
    'ce': ['sgd', 'eacg-pch1', 'eacg-gn', 'eacg-fisher', 'eacg-pch2', 'kfi-pch1', 'kfi-gn', 'kfi-fisher'],
    'nonconvex': ['sgd', 'eacg-pch1', 'eacg-fisher', 'eacg-pch2', 'kfi-pch1', 'kfi-fisher'],
}
SEEDS = {'ce': {'sgd': 3, 'eacg-pch1': 3, 'kfi-fisher': 3}, 'nonconvex': {}}
AMORTISED_FULL = {'ce': {'eacg-pch1': 10}, 'nonconvex': {}}  # method -> curvature_every of an extra full run (the speed issue's T)
FULL_EPOCHS = 50
AMORTISED = dict(epochs=10, batches=(100, 500), everies=(1, 3, 10, 30))


def search_runs(criterion):
    "(name, argv) of the search: one run per (learning rate, damping) with every method; SGD once per learning rate."
    runs = []
    for lr in SEARCH['lrs']:
        for i, alpha in enumerate(SEARCH['dampings']):
            methods = [m for m in METHODS[criterion] if m != 'sgd' or i == 0]
            argv = COMMON + ['--criterion', criterion, '--valid-fraction', str(SEARCH['valid_fraction']), '--epochs', str(SEARCH['epochs']),
                             '--methods', *methods, '--lr', str(lr), '--damping', str(alpha)]
            runs.append((f'search/{criterion}-lr{lr}-a{alpha}', argv))
    return runs


def read_csv(path):
    with open(path, newline='') as f: return list(csv.DictReader(f))


def select(criterion):
    "Per method: (validation loss after the search's epochs, lr, damping), the best of the search (None if nothing finished)."
    best = {}
    for name, argv in search_runs(criterion):
        folder = RESULTS / name
        if not complete(folder, argv): continue
        lr, alpha = float(argv[argv.index('--lr') + 1]), float(argv[argv.index('--damping') + 1])
        for m in argv[argv.index('--methods') + 1:argv.index('--lr')]:
            rows = read_csv(folder / f'{m}.csv')
            loss = float(rows[-1]['test_loss']) if len(rows) == SEARCH['epochs'] + 1 else float('inf')  # diverged: last
            if loss != loss: loss = float('inf')
            if m not in best or loss < best[m][0]: best[m] = (loss, lr, alpha)
    return best


def full_runs(criterion):
    "(name, argv) of the full-length runs with the selected hyper-parameters."
    chosen, runs = select(criterion), []
    for m in METHODS[criterion]:
        if m not in chosen: continue
        _, lr, alpha = chosen[m]
        for seed in range(SEEDS[criterion].get(m, 1)):
            argv = COMMON + ['--criterion', criterion, '--epochs', str(FULL_EPOCHS), '--methods', m,
                             '--lr', str(lr), '--damping', str(alpha), '--seed', str(seed)]
            runs.append((f'{criterion}-{m}-seed{seed}', argv))
        if m in AMORTISED_FULL[criterion]:
            T = AMORTISED_FULL[criterion][m]
            argv = COMMON + ['--criterion', criterion, '--epochs', str(FULL_EPOCHS), '--methods', m,
                             '--lr', str(lr), '--damping', str(alpha), '--seed', '0', '--curvature-every', str(T)]
            runs.append((f'{criterion}-{m}-T{T}-seed0', argv))
    return runs


def amortised_runs():
    "(name, argv) of the amortisation study: cross-entropy, the search's lr and damping of EA-CG-PCH1 (and SGD's, with T=1)."
    chosen, runs = select('ce'), []
    for batch in AMORTISED['batches']:
        for T in AMORTISED['everies']:
            methods = ['sgd', 'eacg-pch1'] if T == 1 else ['eacg-pch1']
            lrs = [f'{m}={chosen[m][1]}' for m in methods]
            argv = ['--data', 'fashion-mnist', '--batch-size', str(batch), '--threads', '1', '--no-progress', '--criterion', 'ce',
                    '--epochs', str(AMORTISED['epochs']), '--methods', *methods, '--lr', *lrs,
                    '--damping', str(chosen['eacg-pch1'][2]), '--curvature-every', str(T)]
            runs.append((f'amortised/b{batch}-T{T}', argv))
    return runs


def complete(folder, argv):
    "Whether `folder` holds the finished run of `argv` (every method trained or diverged)."
    summary = folder / 'summary.json'
    if not summary.exists(): return False
    s = json.loads(summary.read_text())
    methods = argv[argv.index('--methods') + 1:argv.index('--lr')]
    epochs = int(argv[argv.index('--epochs') + 1])
    done = lambda m: m in s.get('diverged', {}) or (s.get('final', {}).get(m) or {}).get('epoch') == epochs
    return s.get('argv') == argv and all(done(m) for m in methods)


def snapshot():
    "The committed tree, unpacked once per commit: the code every run of this invocation uses."
    commit = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    where = WORK.parent / 'code' / commit
    if not where.exists():  # unpacked beside it and renamed, so that two invocations at once see all of it or none
        part = Path(tempfile.mkdtemp(dir=WORK.parent))
        archive = subprocess.run(['git', 'archive', 'HEAD'], cwd=REPO, capture_output=True, check=True).stdout
        subprocess.run(['tar', '-x', '-C', str(part)], input=archive, check=True)
        try: part.rename(where)
        except OSError: shutil.rmtree(part)  # another invocation was first
    return where, commit


def train(name, argv, code, commit):
    "Run (or resume) one run in its work folder, then copy its results into nbs/results/<name>."
    work, dest = WORK / name, RESULTS / name
    resume = ['--resume'] if (work / 'summary.json').exists() else []
    env = dict(os.environ, PYTHONPATH=str(code))
    print(f'{name}: eacg_train {" ".join(argv)}', flush=True)
    rc = subprocess.run([sys.executable, '-m', 'eacg_nb', *argv, '--out', str(work), *resume], env=env).returncode
    if rc not in (0, 1): raise SystemExit(f'{name}: eacg_train exited with {rc}')
    dest.mkdir(parents=True, exist_ok=True)
    for f in work.iterdir():
        if f.suffix in ('.csv', '.png', '.json'): shutil.copy2(f, dest / f.name)
    (dest / 'commit.txt').write_text(commit + '\n')


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('stage', choices=['search', 'select', 'full', 'amortised', 'status'])
    p.add_argument('criterion', nargs='?', choices=list(METHODS), default='ce')
    a = p.parse_args()
    if a.stage == 'select':
        for m, (loss, lr, alpha) in select(a.criterion).items(): print(f'{m:12s} lr {lr:<5} damping {alpha:<5} validation loss {loss:.4f}')
        return
    runs = search_runs(a.criterion) if a.stage == 'search' else full_runs(a.criterion) if a.stage == 'full' else \
        amortised_runs() if a.stage == 'amortised' else [r for c in METHODS for r in search_runs(c) + full_runs(c)] + amortised_runs()
    if a.stage == 'status':
        for name, argv in runs: print(f'{"done" if complete(RESULTS / name, argv) else "    "}  {name}')
        return
    code, commit = snapshot()
    for name, argv in runs:
        if not complete(RESULTS / name, argv): train(name, argv, code, commit)


if __name__ == '__main__':
    main()
