"""Without Chromium the browser tests skip and say how to install it; in CI they may not skip.

These run without a browser (they are not marked ``browser``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from . import jupyterlab
from .jupyterlab import ROOT, require_chromium


def test_missing_chromium_skips_saying_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setattr(jupyterlab, "CHROMIUM", tmp_path / "chromium")
    monkeypatch.delenv("BGKIT_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"apt-get install -y chromium"):
        require_chromium()


def test_missing_chromium_fails_where_the_browser_is_required(monkeypatch, tmp_path):
    monkeypatch.setattr(jupyterlab, "CHROMIUM", tmp_path / "chromium")
    monkeypatch.setenv("BGKIT_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match=r"apt-get install -y chromium"):
        require_chromium()


def test_ci_installs_chromium_and_requires_the_browser_tests():
    script = (ROOT / ".ci" / "run").read_text()
    assert "missing+=(chromium)" in script
    assert "export BGKIT_REQUIRE_BROWSER=1" in script


def test_chromium_is_found_where_it_is_installed(monkeypatch):
    if not Path("/usr/bin/chromium").exists():
        pytest.skip(jupyterlab.INSTALL_HINT)
    monkeypatch.delenv("BGKIT_REQUIRE_BROWSER", raising=False)
    assert require_chromium() == Path("/usr/bin/chromium")
