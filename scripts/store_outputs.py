"""Store the notebooks' outputs from a clean run on a fresh local cloud (what nbval compares).

Runs the tour (:func:`bgkit.tour.run_tour`), then writes each executed notebook back into
``notebooks/`` without editor metadata — no execution timings, no kernel version details — but
with the widget state, so that GitHub and nbviewer show the approval panel as it was, not
``ApprovalPanel(...)``. Notebooks that failed are not written back.

    python scripts/store_outputs.py            # every notebook
    python scripts/store_outputs.py 04         # notebooks 00 to 04
    python scripts/store_outputs.py --only 12  # run them all, store notebook 12 alone
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import nbformat

from bgkit.tour import NOTEBOOKS, run_tour

IMAGE = NOTEBOOKS.parent / "docs" / "traffic.png"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def strip(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    widgets = notebook.metadata.get("widgets")
    notebook.metadata = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    if widgets:
        notebook.metadata["widgets"] = widgets
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("collapsed", None)
        cell.metadata.pop("scrolled", None)
    return notebook


def save_traffic_image(path: Path) -> None:
    """The README's picture: the traffic plot of notebook 05, as stored."""
    import base64

    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "code" and "plot_traffic(" in cell.source:
            for output in cell.outputs:
                png = output.get("data", {}).get("image/png")
                if png:
                    IMAGE.parent.mkdir(exist_ok=True)
                    IMAGE.write_bytes(base64.b64decode(png))
                    print("saved", IMAGE.relative_to(NOTEBOOKS.parent))


def main(argv: list[str]) -> int:
    only = argv[argv.index("--only") + 1] if "--only" in argv else None
    numbers = [a for a in argv if a.isdigit() and a != only]
    with tempfile.TemporaryDirectory() as out:
        report = run_tour(NOTEBOOKS, Path(out), last=numbers[0] if numbers else None)
        print(report)
        for step in report.steps:
            if step["outcome"] != "ok" or (only is not None and step["notebook"][:2] != only):
                continue
            path = Path(out) / f"{step['notebook']}.ipynb"
            nbformat.write(strip(nbformat.read(path, as_version=4)), NOTEBOOKS / path.name)
            print("stored", path.name)
        save_traffic_image(NOTEBOOKS / "05-deploy-fizzbuzz-and-approve.ipynb")
    return 0 if all(s["outcome"] == "ok" for s in report.steps) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
