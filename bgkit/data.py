"""Where the kit's data files are: policy documents, task definition templates, the local image
catalogue (the ``data/`` folder at the top of the checkout)."""

from __future__ import annotations

from pathlib import Path

#: the ``data/`` folder
DATA = Path(__file__).resolve().parents[1] / "data"
