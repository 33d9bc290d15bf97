"""The Japanese edition (``notebooks/ja/``) cannot drift from the English notebooks: the same
notebooks, the same code cells (only comments may differ), its markdown Japanese and following
the house rules in Japanese, stored with outputs of a run in Japanese; ``scripts/japanese.py
--check`` finds nothing to do; and nbval passes over it on a fresh local cloud with
``BGKIT_LANG=ja``, as over ``notebooks/``."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from bgkit.labels import WORDS
from bgkit.tour import notebooks

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
ENGLISH = notebooks(ROOT / "notebooks")
JAPANESE = ROOT / "notebooks" / "ja"
SCRIPT = ROOT / "scripts" / "japanese.py"
#: the house rules' parts, as the Japanese edition names them
PARTS = ("やること", "学ぶこと", "必要なもの", "所要時間", "自分で試す", "実務では", "参考資料")
KANA = re.compile(r"[\u3040-\u30ff]")


def script():
    spec = importlib.util.spec_from_file_location("japanese", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pair(path: Path) -> tuple[nbformat.NotebookNode, nbformat.NotebookNode]:
    return nbformat.read(path, as_version=4), nbformat.read(JAPANESE / path.name, as_version=4)


def test_every_english_notebook_has_its_japanese_edition():
    assert [p.name for p in notebooks(JAPANESE)] == [p.name for p in ENGLISH]


@pytest.mark.parametrize("path", ENGLISH, ids=lambda p: p.stem)
def test_the_code_cells_are_the_english_ones_comments_aside(path):
    code_of = script().code_of
    english, japanese = pair(path)
    mine = [(c.get("id"), code_of(c.source)) for c in japanese.cells if c.cell_type == "code"]
    theirs = [(c.get("id"), code_of(c.source)) for c in english.cells if c.cell_type == "code"]
    assert mine == theirs, f"ja/{path.name}: run python scripts/japanese.py --store"


def test_comments_are_all_that_may_differ():
    code_of = script().code_of
    assert code_of("x = 1  # 一つ目\n# 説明\ny = 2") == code_of("x = 1  # one\ny = 2")
    assert code_of("x = 1") != code_of("x = 2  # 1")
    assert code_of('s = "# not a comment"') != code_of('s = "# ないコメント"')


@pytest.mark.parametrize("path", ENGLISH, ids=lambda p: p.stem)
def test_the_japanese_edition_follows_the_house_rules_in_japanese(path):
    japanese = nbformat.read(JAPANESE / path.name, as_version=4)
    assert set(japanese.metadata) <= {"kernelspec", "language_info", "widgets"}
    body = [c for c in japanese.cells if c.cell_type == "markdown"]
    text = "\n".join(c.source for c in body)
    for part in PARTS:
        assert f"**{part}" in text, f"ja/{path.name} lacks {part!r}"
    for cell in body:
        assert KANA.search(cell.source), f"ja/{path.name} {cell.get('id')} is not Japanese"
        assert "../README.md" not in cell.source, "the Japanese edition links README.ja.md"
    for cell in japanese.cells:
        assert set(cell.metadata) <= {"tags"}, f"editor metadata in ja/{path.name}"
        if cell.cell_type == "code":
            assert cell.execution_count is not None, f"ja/{path.name} is stored unexecuted"
            for output in cell.outputs:
                assert output.output_type != "error", f"ja/{path.name} stores an error"
                assert output.get("name") != "stderr", f"ja/{path.name} stores stderr"


@pytest.mark.parametrize("number", ["05", "06"])
def test_the_stored_panel_speaks_japanese_with_the_console_labels(number):
    path = next(p for p in notebooks(JAPANESE) if p.name.startswith(number))
    state = nbformat.read(path, as_version=4).metadata["widgets"]
    models = state["application/vnd.jupyter.widget-state+json"]["state"].values()
    buttons = {m["state"]["description"] for m in models if m["model_name"] == "ButtonModel"}
    assert {WORDS[key]["ja"] for key in ("reroute", "roll_back", "terminate")} <= buttons


def test_the_script_finds_the_editions_in_step():
    done = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True,
                          text=True, cwd=ROOT)  # fmt: skip
    assert done.returncode == 0, done.stdout


def test_the_readme_links_the_japanese_edition():
    assert "README.ja.md" in (ROOT / "README.md").read_text(encoding="utf-8")
    japanese = (ROOT / "README.ja.md").read_text(encoding="utf-8")
    assert all(f"notebooks/ja/{p.name}" in japanese for p in ENGLISH)


@pytest.mark.slow
def test_nbval_passes_over_the_japanese_edition_on_a_fresh_local_cloud():
    environ = {**os.environ, "PYTHONPATH": str(HERE), "BGKIT_LANG": "ja"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "nbval_cloud", "--nbval", "notebooks/ja/",
         "-p", "no:cacheprovider", "--nbval-sanitize-with", str(HERE / "nbval-sanitize.cfg"),
         "--nbval-current-env", "--nbval-cell-timeout=120", "-q"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env=environ,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:]
