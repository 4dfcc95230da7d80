"""Write README.md from nbs/index.ipynb (what `nbdev_readme` does through Quarto, without Quarto).

    python tools/readme.py          # rewrite README.md
    python tools/readme.py --check  # exit 1 if README.md is not what index.ipynb gives
"""
import json
import re
import sys
from configparser import ConfigParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def docs_url() -> str:
    "The documentation site's address, from settings.ini (doc_host + doc_baseurl)."
    cfg = ConfigParser(delimiters=['='])
    cfg.read(ROOT / 'settings.ini', encoding='utf-8')
    return cfg['DEFAULT']['doc_host'].rstrip('/') + '/' + cfg['DEFAULT']['doc_baseurl'].strip('/') + '/'


def _site_links(md: str) -> str:
    "Links to pages of the docs site (`chapter.html`, relative in index.ipynb) made absolute: a clone holds no such page."
    return re.sub(r'\]\(([\w-]+\.html(?:#[\w-]*)?)\)', lambda m: f']({docs_url()}{m.group(1)})', md)


def _hidden(src: str) -> bool:
    return any(line.strip().replace(' ', '') in ('#|hide', '#|include:false') for line in src.splitlines())


def render(nb_path=ROOT / 'nbs' / 'index.ipynb') -> str:
    "README text: markdown cells as they are, visible code cells as python blocks, their text output after them."
    parts = []
    for cell in json.loads(Path(nb_path).read_text(encoding='utf-8'))['cells']:
        src = ''.join(cell['source'])
        if cell['cell_type'] == 'markdown': parts.append(_site_links(src.replace('](images/', '](nbs/images/')))  # README sits one folder up
        elif not _hidden(src):
            parts.append(f'```python\n{src}\n```')
            text = ''.join(''.join(o.get('text', '')) for o in cell.get('outputs', []) if o.get('output_type') == 'stream')
            if text: parts.append(f'```\n{text.rstrip()}\n```')
    return '\n\n'.join(parts) + '\n'


if __name__ == '__main__':
    text, readme = render(), ROOT / 'README.md'
    if '--check' in sys.argv:
        sys.exit(0 if readme.read_text(encoding='utf-8') == text else 'README.md differs from nbs/index.ipynb: run python tools/readme.py')
    readme.write_text(text, encoding='utf-8')
