"""Imports go one way: inside the protocol layer, and from the data plane to the local cloud.

Every import counts, those under ``TYPE_CHECKING`` and inside functions too: a circle drawn only
for the type checker is still a circle in the design.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bgkit.local.dataplane import Host
from bgkit.local.server import LocalCloud

BGKIT = Path(__file__).resolve().parents[2] / "bgkit"
API = "bgkit.local.api"


def _module_name(path: Path) -> str:
    parts = path.relative_to(BGKIT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """The bgkit modules a file imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {name for name in found if name == "bgkit" or name.startswith("bgkit.")}


def _package(folder: str) -> dict[str, set[str]]:
    return {_module_name(path): _imports(path) for path in sorted((BGKIT / folder).rglob("*.py"))}


#: what the protocol layer's modules may import of it: leaves ← parsers, serialisers ← protocol
#: ← gateway
API_LAYERS = {
    f"{API}": set(),
    f"{API}.wire": set(),
    f"{API}.timestamps": set(),
    f"{API}.parsers": {f"{API}.wire", f"{API}.timestamps"},
    f"{API}.serializers": {f"{API}.wire", f"{API}.timestamps"},
    f"{API}.protocol": {f"{API}.wire", f"{API}.timestamps", f"{API}.parsers", f"{API}.serializers"},
    f"{API}.gateway": {f"{API}.wire", f"{API}.protocol"},
}


@pytest.mark.parametrize(("module", "imports"), sorted(_package("local/api").items()))
def test_protocol_layer_imports_go_one_way(module: str, imports: set[str]) -> None:
    assert module in API_LAYERS, f"{module}: place it in API_LAYERS"
    inside = {name for name in imports if name.startswith(API + ".")}
    assert inside <= API_LAYERS[module], inside - API_LAYERS[module]


#: what the data plane may import of the local cloud, besides itself
DATAPLANE_MAY_IMPORT = re.compile(
    r"bgkit\.local\.(dataplane(\..+)?|store|clock|ids|process|provider|forwarding|services\.\w+\.models)"
)


@pytest.mark.parametrize(("module", "imports"), sorted(_package("local/dataplane").items()))
def test_dataplane_imports_neither_the_server_nor_a_services_inside(
    module: str, imports: set[str]
) -> None:
    local = {name for name in imports if name.startswith("bgkit.local")}
    refused = {name for name in local if not DATAPLANE_MAY_IMPORT.fullmatch(name)}
    assert not refused, f"{module} imports {sorted(refused)}"


def test_the_local_cloud_is_a_host_of_the_data_plane(tmp_path: Path) -> None:
    cloud = LocalCloud(tmp_path / "state", dataplane=False)
    try:
        assert isinstance(cloud, Host)
    finally:
        cloud.store.close()
