"""README.md is the rendering of nbs/index.ipynb, and its commands are the ones CI runs."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'tools'))
import readme  # noqa: E402


def test_readme_matches_index():
    assert (ROOT / 'README.md').read_text(encoding='utf-8') == readme.render(), 'run: python tools/readme.py'


def test_readme_commands_are_ci_commands():
    text, ci = (ROOT / 'README.md').read_text(encoding='utf-8'), (ROOT / '.ci' / 'run').read_text(encoding='utf-8')
    assert 'pip install -e ".[dev]"' in text and 'pip install -q -e ".[dev]"' in ci
    assert 'pytest' in text and 'pytest' in ci


def test_readme_links_resolve_in_a_clone():
    "Every relative link of README.md names a file of the repository; chapter pages are linked on the docs site."
    import re
    text = (ROOT / 'README.md').read_text(encoding='utf-8')
    relative = [t for t in re.findall(r'\]\(([^)\s]+)\)', text) if '://' not in t and not t.startswith('#')]
    assert relative, 'no relative link was checked'
    for target in relative: assert (ROOT / target.split('#')[0]).exists(), target
    assert f'{readme.docs_url()}optimizer.html' in text
