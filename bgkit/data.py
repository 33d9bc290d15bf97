"""Where the kit's data files are: policy documents, task definition and AppSpec templates, the
local image catalogue, prices.

In a checkout (an editable install too) they are the ``data/`` folder at its top; an installed
wheel carries the same files inside the package, as ``bgkit/_data/`` (see ``setup.py``).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["DATA", "find_data"]

PACKAGE = Path(__file__).resolve().parent
#: where a wheel puts the files, and where a checkout keeps them
INSTALLED, CHECKOUT = PACKAGE / "_data", PACKAGE.parent / "data"


def find_data(candidates: tuple[Path, ...] = (INSTALLED, CHECKOUT)) -> Path:
    """The first of ``candidates`` that holds the image catalogue (``images.json``).

    Raises:
        FileNotFoundError: none does: the install lacks its data files.
    """
    for folder in candidates:
        if (folder / "images.json").is_file():
            return folder
    raise FileNotFoundError(
        f"bgkit's data files are missing (looked for images.json in "
        f"{' and '.join(map(str, candidates))}); reinstall bgkit from its checkout: "
        "`pip install .` (or `make install`)"
    )


#: the folder of the data files
DATA = find_data()
