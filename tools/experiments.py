"""The stored runs of the experiments chapter: the validation search and the full-length runs, resumable.

    python tools/experiments.py search ce        # the grid of learning rate x damping at batch 500, ranked on a validation split
    python tools/experiments.py select ce        # the chosen learning rate and damping of each method
    python tools/experiments.py full ce          # the full-length runs with the chosen values, on the test set
    python tools/experiments.py amortised        # EA-CG-PCH1 with curvature_every 1, 3, 10, 30 at batch 100 and 500 (complexity chapter)
    python tools/experiments.py explanation      # the one run that tests an explanation of the verdicts (chapter 13)
    python tools/experiments.py sweep digits     # every activation x criterion, and the damping table (chapter 17); or fashion-mnist
    python tools/experiments.py sweep fashion-mnist --only capped-a0.005   # --only: the runs whose name contains it
    python tools/experiments.py status

Each run is an `eacg_train` output folder. It trains in a work folder outside the repository (its checkpoints are
large), and when it ends its histories, figure and summary.json are copied to nbs/results/<name>/. A run whose
folder is complete is skipped; one whose work folder holds checkpoints is resumed; one that another invocation is
training (it holds the run's lock) is left to it, so two invocations of the same stage share its runs. What is run (the search,
the full runs and their hyper-parameters) is defined in `eacg_nb.experiments` (chapter 13), the sweep in `eacg_nb.sweep` (chapter 17). The code runs from a snapshot
of the committed tree (`git archive HEAD`), so that editing the working tree does not change a run under way.
"""
import argparse
import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from eacg_nb.experiments import COMPARISONS, amortisation_runs, explanation_run, full_runs, run_complete, search_choice, search_runs
from eacg_nb.sweep import SWEEP, sensitivity_runs, sweep_runs

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / 'nbs' / 'results'
WORK = Path(os.environ.get('EACG_NB_RUNS', Path.home() / '.cache' / 'eacg_nb' / 'runs'))


def snapshot():
    "The committed tree, unpacked once per commit: the code every run of this invocation uses."
    commit = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    where = WORK.parent / 'code' / commit
    if not where.exists():  # unpacked beside it and renamed, so that two invocations at once see all of it or none
        where.parent.mkdir(parents=True, exist_ok=True)  # a fresh machine has no snapshot yet
        part = Path(tempfile.mkdtemp(dir=where.parent))
        archive = subprocess.run(['git', 'archive', 'HEAD'], cwd=REPO, capture_output=True, check=True).stdout
        subprocess.run(['tar', '-x', '-C', str(part)], input=archive, check=True)
        try: part.rename(where)
        except OSError: shutil.rmtree(part)  # another invocation was first
    return where, commit


def train(name, argv, code, commit):
    "Run (or resume) one run in its work folder with the snapshot's code, then copy its results into nbs/results/<name>."
    work, dest = WORK / name, RESULTS / name
    resume = ['--resume'] if (work / 'summary.json').exists() else []
    env = dict(os.environ, PYTHONPATH=str(code))
    print(f'{name}: eacg_train {" ".join(argv)}', flush=True)
    # -P and cwd: `python -m` would otherwise put the current folder, a working tree, before the snapshot on sys.path
    rc = subprocess.run([sys.executable, '-P', '-m', 'eacg_nb', *argv, '--out', str(work), *resume], env=env, cwd=code).returncode
    if rc not in (0, 1) or not run_complete(work, argv):  # 1: a method diverged, which a finished run may record
        raise SystemExit(f'{name}: eacg_train exited with {rc} before the run was finished; nothing was copied')
    dest.mkdir(parents=True, exist_ok=True)
    for f in work.iterdir():
        # the sweep's hundreds of runs are read as tables: their figures would add tens of megabytes and nothing else
        if f.suffix in ('.csv', '.json') or (f.suffix == '.png' and not name.startswith('sweep/')): shutil.copy2(f, dest / f.name)
    (dest / 'commit.txt').write_text(commit + '\n')


@contextlib.contextmanager
def claimed(name):
    "Whether this invocation holds the run's lock; the system releases it when the process ends, however it ends."
    lock = WORK / f'{name}.lock'
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, 'w') as f:
        try: fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError: yield False; return
        yield True


def progress(name):
    "Where an unfinished run stands in its work folder: the last epoch written per method."
    summary = WORK / name / 'summary.json'
    if not summary.exists() or (RESULTS / name / 'summary.json').exists(): return ''
    final = json.loads(summary.read_text()).get('final', {})
    return '  (in progress: ' + ', '.join(f'{m} epoch {r["epoch"]}' for m, r in final.items() if r) + ')' if any(final.values()) else '  (started)'


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('stage', choices=['search', 'select', 'full', 'amortised', 'explanation', 'sweep', 'status'])
    p.add_argument('which', nargs='?', choices=list(COMPARISONS) + list(SWEEP['batches']), default=None,
                   help='the criterion of search, select and full (default: ce); the data set of sweep (default: digits)')
    p.add_argument('--only', default=None, metavar='TEXT', help="only the stage's runs whose name contains TEXT, e.g. a sweep setting's folder")
    a = p.parse_args()
    a.criterion = a.which if a.which in COMPARISONS else 'ce'
    data = a.which if a.which in SWEEP['batches'] else 'digits'
    if a.which is not None and (a.stage == 'sweep') != (a.which in SWEEP['batches']): p.error(f'{a.stage} does not take {a.which}')
    if a.stage == 'select':
        for m, (loss, lr, alpha) in search_choice(a.criterion, RESULTS).items(): print(f'{m:12s} lr {lr:<5} damping {alpha:<5} validation loss {loss:.4f}')
        return
    stages = {'search': lambda: search_runs(a.criterion), 'full': lambda: full_runs(a.criterion, RESULTS),
              'amortised': lambda: amortisation_runs(RESULTS), 'explanation': lambda: [explanation_run()],
              'sweep': lambda: sweep_runs(data) + sensitivity_runs(data)}
    runs = stages[a.stage]() if a.stage in stages else \
        [r for c in COMPARISONS for r in search_runs(c) + full_runs(c, RESULTS)] + amortisation_runs(RESULTS) + [explanation_run()] + \
        [r for d in SWEEP['batches'] for r in sweep_runs(d) + sensitivity_runs(d)]
    runs = [r for r in runs if a.only is None or a.only in r[0]]
    if not runs: p.error(f'no run of {a.stage} has a name containing {a.only!r}')
    if a.stage == 'status':
        for name, argv in runs: print(f'{"done" if run_complete(RESULTS / name, argv) else "    "}  {name}{progress(name)}')
        return
    if a.stage == 'full' and not all(run_complete(RESULTS / n, argv) for n, argv in search_runs(a.criterion)):
        raise SystemExit(f'the search of {a.criterion} is not finished: its full runs would take other hyper-parameters than it will choose')
    code, commit = snapshot()
    for name, argv in runs:
        with claimed(name) as mine:
            if not mine: print(f'{name}: under way in another invocation; left to it', flush=True)
            elif not run_complete(RESULTS / name, argv): train(name, argv, code, commit)


if __name__ == '__main__':
    main()
