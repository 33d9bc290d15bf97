"""The facilitator's notebook (``notebooks/workshop/``) keeps the stored notebooks' house rules;
nbval runs it with the others (``--nbval notebooks/`` collects its folder, only ``ja/`` is left
out: ``tests/notebooks/nbval_cloud.py``), on its own rehearsal prefixes, so what earlier
notebooks leave in the local cloud does not change its outputs."""

from __future__ import annotations

from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "notebooks" / "workshop" / "facilitator.ipynb"


def test_it_is_stored_executed_short_and_without_errors():
    book = nbformat.read(BOOK, as_version=4)
    nbformat.validate(book)
    assert set(book.metadata) <= {"kernelspec", "language_info", "widgets"}
    code = [cell for cell in book.cells if cell.cell_type == "code"]
    for cell in book.cells:
        assert set(cell.metadata) <= {"tags"}
    for cell in code:
        assert 1 <= len(cell.source.splitlines()) <= 8, cell.source
        assert cell.execution_count is not None
        for output in cell.outputs:
            assert output.output_type != "error" and output.get("name") != "stderr"
    text = "\n".join(cell.source for cell in book.cells)
    for part in ("What you'll do", "What you'll learn", "What you'll need", "Time",
                 "On your own", "In practice", "Further reading"):  # fmt: skip
        assert part in text
    # the rehearsal's own prefixes, and the room read once and live
    assert 'rehearsal = ["p01", "p02"]' in text
    assert "room_status(kit, prefixes=rehearsal)" in text and "RoomView(kit" in text
    assert "bgkit workshop status" in text


def test_its_links_point_at_files_of_the_repository():
    book = nbformat.read(BOOK, as_version=4)
    text = "\n".join(cell.source for cell in book.cells if cell.cell_type == "markdown")
    for target in ("../../docs/workshop.md", "../../README.md"):
        assert target in text
        assert (BOOK.parent / target.split("#")[0]).resolve().is_file()
