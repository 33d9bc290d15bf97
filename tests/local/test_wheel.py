"""A wheel built from the checkout, installed where the checkout is out of reach, runs the tour.

The wheel is built from a copy of the files a build reads, without build isolation, and
installed without its dependencies into a fresh virtual environment that reuses this one's
packages (a ``.pth`` line naming its site-packages; the editable install of bgkit there is not
activated, as ``.pth`` lines only add paths) — nothing is downloaded. Before ``data/`` went into
the wheel, such an install answered 500 on CreateRole with a managed policy and could not find
its image catalogue.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
#: what building the wheel reads
SOURCES = ("pyproject.toml", "setup.py", "README.md", "bgkit", "data")


def _run(*command: str | Path, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    result = subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A fresh virtual environment with bgkit installed from a wheel built from the checkout."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=ignore)
        else:
            shutil.copy2(ROOT / name, source / name)
    pip = (sys.executable, "-m", "pip", "--disable-pip-version-check")
    _run(*pip, "wheel", "--no-build-isolation", "--no-deps", "--no-index", "--wheel-dir",
         tmp / "dist", source, cwd=tmp)  # fmt: skip
    (wheel,) = (tmp / "dist").glob("bgkit-*.whl")
    _run(sys.executable, "-m", "venv", "--without-pip", tmp / "venv", cwd=tmp)
    python = tmp / "venv" / "bin" / "python"
    purelib = _run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                   cwd=tmp).stdout.strip()  # fmt: skip
    Path(purelib, "reuse-the-project-venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run(*pip, "--python", python, "install", "--no-deps", "--no-index", wheel, cwd=tmp)
    return tmp / "venv"


def test_the_wheel_carries_the_data_files_and_finds_them(venv, tmp_path):
    found = _run(venv / "bin" / "python", "-c",
                 "import bgkit, bgkit.data; print(bgkit.__file__); print(bgkit.data.DATA)",
                 cwd=tmp_path).stdout.split()  # fmt: skip
    package = Path(found[0]).parent
    assert package.is_relative_to(venv), "bgkit came from the checkout, not from the wheel"
    assert Path(found[1]) == package / "_data"
    assert _data_files(package / "_data") == _data_files(ROOT / "data")


def _data_files(root: Path) -> set[Path]:
    """The files and folders under ``root``, without the byte code an installer or an import
    writes beside a Python file (``data/hooks/`` holds a function's source)."""
    return {
        path.relative_to(root)
        for path in root.rglob("*")
        if "__pycache__" not in path.relative_to(root).parts
    }


@pytest.mark.timeout(900)
def test_the_installed_wheel_runs_the_tour(venv, tmp_path):
    ran = _run(venv / "bin" / "bgkit", "tour", "--notebooks", ROOT / "notebooks",
               "--out", tmp_path / "tour", cwd=tmp_path, timeout=840)  # fmt: skip
    report = ran.stdout
    steps = re.findall(r"^  (\d\d)-[a-z0-9-]+ +[\d.]+ s  (.*)$", report, re.MULTILINE)
    numbers = [path.name[:2] for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))]
    assert [number for number, _ in steps] == numbers, report
    assert all(outcome == "ok" for _, outcome in steps), report
    # notebook 02's role has the managed policy; 03's tasks run the catalogue's Nginx image
    assert "80 → nginx (200), 8080 → nginx (200)" in report
    # every notebook that deploys is listed with its deployments (CodeDeploy's, and ECS's own)
    deployed = re.findall(r"^      (\d\d)  +\S+  +(CodeDeploy|ECS) ", report, re.MULTILINE)
    assert {"05", "06", "08", "09"} <= {number for number, _ in deployed}, report
    assert "without encryption" not in ran.stderr
