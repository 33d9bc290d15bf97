"""The stored notebooks follow the house rules, their navigation is generated, and nbval passes
on a fresh local cloud (the last test runs ``pytest --nbval notebooks/`` as ``make test`` would)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from bgkit.tour import notebooks

ROOT = Path(__file__).resolve().parents[2]
BOOKS = notebooks(ROOT / "notebooks")


def test_there_are_ten_numbered_notebooks():
    assert [p.name[:2] for p in BOOKS] == [f"{n:02d}" for n in range(10)]


@pytest.mark.parametrize("path", BOOKS, ids=lambda p: p.stem)
def test_notebook_follows_the_house_rules(path):
    book = nbformat.read(path, as_version=4)
    assert set(book.metadata) <= {"kernelspec", "language_info"}, "editor metadata"
    text = "\n".join(c.source for c in book.cells if c.cell_type == "markdown")
    for part in ("What you'll do", "What you'll learn", "What you'll need", "Time", "On your own",
                 "In practice", "Further reading"):  # fmt: skip
        assert part in text, f"{path.name} lacks {part!r}"
    for cell in book.cells:
        assert set(cell.metadata) <= {"tags"}, f"editor metadata in {path.name}"
        if cell.cell_type != "code":
            continue
        assert "%pip" not in cell.source and "!pip" not in cell.source
        assert 1 <= len(cell.source.splitlines()) <= 8, f"long cell in {path.name}: {cell.source}"
        assert cell.execution_count is not None, f"{path.name} is stored unexecuted"
        for output in cell.outputs:
            assert output.output_type != "error", f"{path.name} stores an error"
            assert output.get("name") != "stderr", f"{path.name} stores stderr"


def test_navigation_and_readme_index_are_up_to_date():
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "navigation.py"), "--check"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout


@pytest.mark.slow
def test_nbval_passes_on_a_fresh_local_cloud():
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", "notebooks/", "-p", "no:cacheprovider",
         "--nbval-sanitize-with", "notebooks/nbval-sanitize.cfg", "--nbval-current-env",
         "--nbval-cell-timeout=120", "-q"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:]
