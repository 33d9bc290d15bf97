"""The data plane's components receive a :class:`Host`; the local cloud is one.

Which way imports go — inside the protocol layer, from the data plane to the services' models,
never to the server — is held by the import contracts of ``pyproject.toml`` (``make lint``).
"""

from __future__ import annotations

from pathlib import Path

from bgkit.local.dataplane import Host
from bgkit.local.server import LocalCloud


def test_the_local_cloud_is_a_host_of_the_data_plane(tmp_path: Path) -> None:
    cloud = LocalCloud(tmp_path / "state", dataplane=False)
    try:
        assert isinstance(cloud, Host)
    finally:
        cloud.store.close()
