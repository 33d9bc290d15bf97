"""Notebook 00: are the packages the walkthrough relies on there, in versions that work?"""

from __future__ import annotations

import platform
from importlib import metadata

from packaging.specifiers import SpecifierSet

__all__ = ["NEEDED", "check_setup"]

#: package → the versions the walkthrough works with (ipykernel: the approval wait needs 7.4)
NEEDED = {
    "boto3": ">=1.44,<1.45",
    "ipykernel": ">=7.4,<8",
    "ipywidgets": ">=8.1",
    "pandas": ">=2",
    "matplotlib": ">=3.8",
}


def check_setup() -> bool:
    """Print one line per package — its version, what is needed, ✓ or ✗ — and return whether
    all are fine."""
    print(f"Python {platform.python_version()}")
    fine = True
    for package, needed in NEEDED.items():
        try:
            version = metadata.version(package)
        except metadata.PackageNotFoundError:
            print(f"{package} missing (needs {needed}) ✗ — run `make install`")
            fine = False
            continue
        ok = version in SpecifierSet(needed)
        fine = fine and ok
        print(f"{package} {version} (needs {needed}) {'✓' if ok else '✗'}")
    return fine
