"""Keep the Japanese edition (``notebooks/ja/``) in step with the English notebooks.

A Japanese notebook has the English one's cells, with the same ids, in the same order: its code
cells are the English code (only the comments are Japanese), its markdown is Japanese. After an
English change this script

- rewrites each Japanese notebook's cells in the English order: a code cell whose code (comments
  aside) is unchanged is kept with its Japanese comments; a changed or new one takes the English
  code, its comments translated where the same English comment was translated before, and loses
  its outputs until they are stored again; a markdown cell keeps its Japanese, a new one comes in
  English (to translate) and a removed one goes;
- says which markdown cells are still English or whose English changed since they were
  translated (``scripts/ja-sources.json`` keeps a digest of the English each translation was made
  from; ``--translated`` records the current English as translated);
- writes the Japanese navigation cells and the notebook table of ``README.ja.md``;
- with ``--store``, runs the Japanese notebooks headless on a fresh local cloud with
  ``BGKIT_LANG=ja`` and stores their outputs, as ``scripts/store_outputs.py`` does for English.

    python scripts/japanese.py                 # regenerate; list what is left to translate
    python scripts/japanese.py --check         # exit 1 if anything is out of step
    python scripts/japanese.py --store [NN]    # regenerate, then store outputs (to NN)
    python scripts/japanese.py --store --only 12   # run them all, store notebook 12 alone
    python scripts/japanese.py --translated    # the current English markdown counts as translated
    python scripts/japanese.py --translated --only 10   # ... of notebook 10 alone
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import sys
import tempfile
import tokenize
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the other scripts of this folder
from navigation import navigation as english_navigation

ROOT = Path(__file__).resolve().parents[1]
ENGLISH = ROOT / "notebooks"
JAPANESE = ENGLISH / "ja"
README = ROOT / "README.ja.md"
SOURCES = Path(__file__).resolve().parent / "ja-sources.json"
TAG = "navigation"
START, END = "<!-- notebooks:start -->", "<!-- notebooks:end -->"
NAME = re.compile(r"^\d\d-[a-z0-9-]+\.ipynb$")


def notebook_paths(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if NAME.match(p.name))


def _comments(source: str) -> list[tuple[int, int, str]]:
    """``(row, column, text)`` of each comment of ``source`` (rows from 0)."""
    found = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                found.append((token.start[0] - 1, token.start[1], token.string))
    except (tokenize.TokenError, IndentationError):
        pass
    return found


def code_of(source: str) -> str:
    """``source`` without its comments: what must be equal in both editions."""
    lines = source.splitlines()
    for row, column, _text in _comments(source):
        lines[row] = lines[row][:column].rstrip()
    commented = {row for row, _, _ in _comments(source)}
    kept = [line for i, line in enumerate(lines) if line or i not in commented]
    return "\n".join(kept).strip("\n")


def comments_of(source: str) -> list[str]:
    return [text for _row, _column, text in _comments(source)]


def translate_comments(source: str, known: dict[str, str]) -> str:
    """``source`` with each comment replaced by its known translation (others as they are)."""
    lines = source.splitlines()
    for row, column, text in reversed(_comments(source)):
        if text in known:
            lines[row] = lines[row][:column] + known[text] + lines[row][column + len(text) :]
    return "\n".join(lines)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def body(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in notebook.cells if TAG not in c.metadata.get("tags", [])]


def opening(notebook: nbformat.NotebookNode) -> dict[str, str]:
    """Title, やること and 所要時間 from a Japanese notebook's first cell that is not navigation."""
    text = body(notebook)[0].source
    title = re.search(r"^# (.+)$", text, re.MULTILINE)
    do = re.search(r"\*\*やること:\*\*\s*(.+?)(?:\n\n|$)", text, re.DOTALL)
    time = re.search(r"\*\*所要時間:\*\*\s*(.+?)(?:\n\n|$)", text, re.DOTALL)
    return {
        "title": title.group(1).strip() if title else "",
        "do": " ".join(do.group(1).split()) if do else "",
        "time": " ".join(time.group(1).split()).rstrip("。") if time else "",
    }


def merge(
    english: nbformat.NotebookNode,
    japanese: nbformat.NotebookNode | None,
    sources: dict[str, str],
    name: str,
) -> tuple[list[nbformat.NotebookNode], list[str]]:
    """The Japanese cells in the English order (navigation aside) and what is left to do."""
    old = {c.get("id"): c for c in body(japanese)} if japanese is not None else {}
    known: dict[str, str] = {}
    for cell in body(english):
        mine = old.get(cell.get("id"))
        if (
            cell.cell_type == "code"
            and mine is not None
            and code_of(mine.source) == code_of(cell.source)
        ):
            pairs = zip(comments_of(cell.source), comments_of(mine.source), strict=False)
            known.update((en, ja) for en, ja in pairs if en != ja)
    cells, todo = [], []
    for cell in body(english):
        key = cell.get("id")
        mine = old.get(key)
        if cell.cell_type == "code":
            if (
                mine is not None
                and mine.cell_type == "code"
                and code_of(mine.source) == code_of(cell.source)
            ):
                cells.append(mine)
                continue
            new = nbformat.v4.new_code_cell(translate_comments(cell.source, known))
            new.id, new.metadata = key, dict(cell.metadata)
            cells.append(new)
            todo.append(f"{name} {key}: code changed, outputs to store")
        else:
            if mine is not None and mine.cell_type == "markdown":
                cells.append(mine)
                if sources.get(key) != digest(cell.source):
                    todo.append(f"{name} {key}: the English changed since it was translated")
            else:
                cells.append(nbformat.from_dict(dict(cell)))
                todo.append(f"{name} {key}: markdown still in English")
    gone = [key for key in old if key not in {c.get("id") for c in cells}]
    todo += [f"{name} {key}: removed (no longer in the English notebook)" for key in gone]
    return cells, todo


def navigation(paths: list[Path], index: int, titles: list[str]) -> str:
    """The English navigation line, in Japanese and pointing at ``README.ja.md``."""
    return english_navigation(
        paths,
        index,
        titles,
        contents="[目次](../../README.ja.md#ノートブック)",
        series="*bgkit ウォークスルー*",
    )


def update(
    check: bool, translated: bool = False, only: str | None = None
) -> tuple[list[str], list[str]]:
    """Regenerate (or with ``check`` only compare); return what changed and what is left.
    ``translated``: record the current English markdown as translated — of every notebook, or
    of the notebook numbered ``only``."""
    sources = json.loads(SOURCES.read_text()) if SOURCES.exists() else {}
    english_paths = notebook_paths(ENGLISH)
    paths = [JAPANESE / p.name for p in english_paths]
    books, stale, todo = [], [], []
    for english_path, path in zip(english_paths, paths, strict=True):
        english = nbformat.read(english_path, as_version=4)
        japanese = nbformat.read(path, as_version=4) if path.exists() else None
        mine = sources.setdefault(path.stem, {})
        if translated and only in (None, path.name[:2]):
            mine.clear()
            mine.update({c.id: digest(c.source) for c in body(english) if c.cell_type != "code"})
        cells, left = merge(english, japanese, mine, path.stem)
        todo += left
        if japanese is None:
            japanese = nbformat.v4.new_notebook(metadata=english.metadata)
        books.append((path, japanese, cells))
    titles = [f"{p.name[:2]} · {opening(nbformat.v4.new_notebook(cells=c))['title']}"
              for p, _, c in books]  # fmt: skip
    for index, (path, japanese, cells) in enumerate(books):
        text = navigation(paths, index, titles)
        top = nbformat.v4.new_markdown_cell(text, metadata={"tags": [TAG]})
        bottom = nbformat.v4.new_markdown_cell(text, metadata={"tags": [TAG]})
        top.id, bottom.id = f"{path.name[:2]}-nav-top", f"{path.name[:2]}-nav-bottom"
        cells = [top, *cells, bottom]
        if [(c.cell_type, c.source, c.get("id")) for c in cells] != [
            (c.cell_type, c.source, c.get("id")) for c in japanese.cells
        ]:
            stale.append(str(path.relative_to(ROOT)))
            if not check:
                japanese.cells = cells
                path.parent.mkdir(exist_ok=True)
                nbformat.write(japanese, path)
    stale += _readme(check, paths, [c for _, _, c in books], titles)
    if translated and not check:
        SOURCES.write_text(json.dumps(sources, indent=1, sort_keys=True) + "\n")
    return stale, todo


def _readme(check: bool, paths: list[Path], cells: list[list], titles: list[str]) -> list[str]:
    rows = ["| ノートブック | やること | 所要時間 |", "|---|---|---|"]
    for path, found, title in zip(paths, cells, titles, strict=True):
        info = opening(nbformat.v4.new_notebook(cells=found))
        rows.append(f"| [{title}](notebooks/ja/{path.name}) | {info['do']} | {info['time']} |")
    block = f"{START}\n" + "\n".join(rows) + f"\n{END}"
    readme = README.read_text(encoding="utf-8") if README.exists() else ""
    if START not in readme:
        return []
    new = re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _: block, readme,
                 flags=re.DOTALL)  # fmt: skip
    if new == readme:
        return []
    if not check:
        README.write_text(new, encoding="utf-8")
    return ["README.ja.md"]


def store(last: str | None, only: str | None = None) -> int:
    """Run the Japanese notebooks headless with ``BGKIT_LANG=ja``; store those that ran (or
    only the notebook numbered ``only``)."""
    from store_outputs import strip

    from bgkit.tour import run_tour

    saved = os.environ.get("BGKIT_LANG")
    os.environ["BGKIT_LANG"] = "ja"
    try:
        with tempfile.TemporaryDirectory() as out:
            report = run_tour(JAPANESE, Path(out), last=last)
            print(report)
            for step in report.steps:
                if step["outcome"] == "ok" and only in (None, step["notebook"][:2]):
                    path = Path(out) / f"{step['notebook']}.ipynb"
                    nbformat.write(strip(nbformat.read(path, as_version=4)), JAPANESE / path.name)
                    print("stored", f"ja/{path.name}")
    finally:
        if saved is None:
            os.environ.pop("BGKIT_LANG", None)
        else:
            os.environ["BGKIT_LANG"] = saved
    return 0 if all(s["outcome"] == "ok" for s in report.steps) else 1


def main(argv: list[str]) -> int:
    check = "--check" in argv
    only = argv[argv.index("--only") + 1] if "--only" in argv else None
    stale, todo = update(check, translated="--translated" in argv, only=only)
    for name in stale:
        print(("out of date: " if check else "updated: ") + name)
    for line in todo:
        print("to do: " + line)
    if "--store" in argv:
        numbers = [a for a in argv if a.isdigit() and a != only]
        return store(numbers[0] if numbers else None, only)
    return 1 if check and (stale or todo) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
