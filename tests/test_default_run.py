"""The default `eacg_train` run, which the README's figure shows, is deterministic on the CPU: the same numbers twice."""
import csv
import subprocess
import sys


def test_default_run_is_deterministic(tmp_path):
    histories = []
    for out in ['first', 'second']:
        subprocess.run([sys.executable, '-m', 'eacg_nb', '--epochs', '2', '--device', 'cpu', '--out', str(tmp_path / out)],
                       check=True, capture_output=True, cwd=tmp_path)
        histories.append({m: [{k: v for k, v in row.items() if k != 'seconds'} for row in csv.DictReader(open(tmp_path / out / f'{m}.csv'))]
                          for m in ['sgd', 'eacg-pch1']})
    assert histories[0] == histories[1]
    assert [r['epoch'] for r in histories[0]['eacg-pch1']] == ['0', '1', '2']
