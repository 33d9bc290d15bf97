"""Generate the notebooks' navigation cells and the README's notebook index.

Each notebook gets a first and a last markdown cell, tagged ``navigation``, linking to the
previous and next notebooks; the README gets a table of the notebooks between
``<!-- notebooks:start -->`` and ``<!-- notebooks:end -->``. Titles, what each notebook does and
how long it takes come from the notebooks' own opening cell.

    python scripts/navigation.py          # rewrite what is out of date
    python scripts/navigation.py --check  # exit 1 if anything is out of date
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
README = ROOT / "README.md"
TAG = "navigation"
START, END = "<!-- notebooks:start -->", "<!-- notebooks:end -->"
NAME = re.compile(r"^\d\d-[a-z0-9-]+\.ipynb$")


def opening(notebook: nbformat.NotebookNode) -> dict[str, str]:
    """Title, what you'll do, and time, from the first markdown cell that is not navigation."""
    cell = next(
        c for c in notebook.cells
        if c.cell_type == "markdown" and TAG not in c.metadata.get("tags", [])
    )  # fmt: skip
    text = cell.source
    title = re.search(r"^# (.+)$", text, re.MULTILINE)
    do = re.search(r"\*\*What you'll do:\*\*\s*(.+?)(?:\n\n|$)", text, re.DOTALL)
    time = re.search(r"\*\*Time:\*\*\s*(.+?)(?:\n\n|$)", text, re.DOTALL)
    return {
        "title": title.group(1).strip() if title else "",
        "do": " ".join(do.group(1).split()) if do else "",
        "time": " ".join(time.group(1).split()).rstrip(".") if time else "",
    }


def navigation(
    paths: list[Path],
    index: int,
    titles: list[str],
    *,
    contents: str = "[Contents](../README.md#the-notebooks)",
    series: str = "*bgkit walkthrough*",
) -> str:
    """The navigation line of notebook ``index``: previous, contents, next."""
    parts = []
    if index > 0:
        parts.append(f"< [{titles[index - 1]}]({paths[index - 1].name})")
    parts.append(contents)
    if index + 1 < len(paths):
        parts.append(f"[{titles[index + 1]}]({paths[index + 1].name}) >")
    return f"{series} · " + " | ".join(parts)


def update(check: bool) -> list[str]:
    paths = sorted(p for p in NOTEBOOKS.iterdir() if NAME.match(p.name))
    books = [nbformat.read(p, as_version=4) for p in paths]
    infos = [opening(b) for b in books]
    titles = [f"{p.name[:2]} · {i['title']}" for p, i in zip(paths, infos, strict=True)]
    stale = []
    for index, (path, book) in enumerate(zip(paths, books, strict=True)):
        text = navigation(paths, index, titles)
        body = [c for c in book.cells if TAG not in c.metadata.get("tags", [])]
        top = nbformat.v4.new_markdown_cell(text, metadata={"tags": [TAG]})
        bottom = nbformat.v4.new_markdown_cell(text, metadata={"tags": [TAG]})
        top.id, bottom.id = f"{path.name[:2]}-nav-top", f"{path.name[:2]}-nav-bottom"
        cells = [top, *body, bottom]
        if [(c.source, c.get("id")) for c in cells] != [
            (c.source, c.get("id")) for c in book.cells
        ]:
            stale.append(str(path.relative_to(ROOT)))
            if not check:
                book.cells = cells
                nbformat.write(book, path)
    rows = ["| notebook | what you'll do | time |", "|---|---|---|"]
    for path, title, info in zip(paths, titles, infos, strict=True):
        rows.append(f"| [{title}](notebooks/{path.name}) | {info['do']} | {info['time']} |")
    readme = README.read_text(encoding="utf-8")
    block = f"{START}\n" + "\n".join(rows) + f"\n{END}"
    if START in readme:
        new = re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _: block, readme,
                     flags=re.DOTALL)  # fmt: skip
    else:
        new = readme.rstrip("\n") + "\n\n## The notebooks\n\n" + block + "\n"
    if new != readme:
        stale.append("README.md")
        if not check:
            README.write_text(new, encoding="utf-8")
    return stale


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = update(check)
    for name in stale:
        print(("out of date: " if check else "updated: ") + name)
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
