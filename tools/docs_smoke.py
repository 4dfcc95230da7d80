"""Render every notebook that `nbdev_proc_nbs` prepared (in _proc/) to HTML with nbconvert: a smoke test of the docs.

    python tools/docs_smoke.py [_proc] [output folder]

nbdev marks the cells it generates for show_doc with a key of its own ('has_sd') that the notebook schema does not
allow; it is dropped before validation. Any notebook that fails to validate or convert fails the run.
"""
import json
import sys
import tempfile
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

CELL_KEYS = {'cell_type', 'id', 'metadata', 'source', 'outputs', 'execution_count', 'attachments'}


def render(src: Path, out: Path) -> int:
    "Validate and convert each notebook of `src` to HTML in `out`; the number of pages."
    out.mkdir(parents=True, exist_ok=True)
    pages = sorted(src.glob('*.ipynb'))
    if not pages: sys.exit(f'no processed notebooks in {src}: run nbdev_proc_nbs first')
    for page in pages:
        raw = json.loads(page.read_text(encoding='utf-8'))
        for cell in raw['cells']:
            for key in set(cell) - CELL_KEYS: del cell[key]
        nb = nbformat.reads(json.dumps(raw), as_version=4)
        nbformat.validate(nb)
        body, _ = HTMLExporter().from_notebook_node(nb)
        (out / f'{page.stem}.html').write_text(body, encoding='utf-8')
    return len(pages)


if __name__ == '__main__':
    src = Path(sys.argv[1] if len(sys.argv) > 1 else '_proc')
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(tempfile.mkdtemp())
    print(f'docs: {render(src, out)} pages rendered to HTML in {out}')
