"""The public surface: every function and class that a chapter exports (and so documents with show_doc) is importable from `eacg_nb`."""
import eacg_nb
from eacg_nb._modidx import d


def documented() -> set:
    "The top-level names of nbdev's index of exported symbols, private ones left out."
    names = set()
    for module, syms in d['syms'].items():
        for sym in syms:
            name = sym[len(module) + 1:]
            if '.' not in name and not name.startswith('_'): names.add(name)
    return names


def test_every_documented_name_is_importable():
    missing = sorted(n for n in documented() if not hasattr(eacg_nb, n))
    assert not missing, f'documented but not importable from eacg_nb: {missing}'


def test_nothing_private_or_foreign_is_exported():
    exported = {n for n in dir(eacg_nb) if not n.startswith('_') and callable(getattr(eacg_nb, n)) and getattr(getattr(eacg_nb, n), '__module__', '').startswith('eacg_nb')}
    assert exported <= documented(), sorted(exported - documented())
