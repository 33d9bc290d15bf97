"""The set-up files agree with each other."""

from __future__ import annotations

from pathlib import Path

import tomllib
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]


def _requirements(lines: list[str]) -> dict[str, str]:
    parsed = (Requirement(line) for line in lines)
    return {req.name.lower(): str(req.specifier) for req in parsed}


def test_environment_names_the_same_packages_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = _requirements(project["dependencies"] + project["optional-dependencies"]["dev"])
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(item["pip"] for item in environment["dependencies"] if isinstance(item, dict))
    assert "-e ." in pip, "environment.yml must install this checkout"
    assert _requirements([line for line in pip if not line.startswith("-e")]) == wanted
    assert "python=3.11" in environment["dependencies"]
    assert environment["name"] == "bgkit"
