"""Where the learner's browser opens a listener: the one place that decides every link shown.

The kernel always asks the listeners itself (``kit.url``: ``http://127.0.0.1:10080`` on the local
cloud), but a link in a notebook is opened by the *browser*, which is not always on the kernel's
machine:

- on a laptop, browser and kernel share the machine: ``http://127.0.0.1:<host port>/``;
- behind JupyterHub (Binder launches its servers through a JupyterHub too), the hub sets
  ``JUPYTERHUB_SERVICE_PREFIX`` (``/user/alice/``) in the single-user server's environment, which
  the kernel inherits, and jupyter-server-proxy (a dependency of the kit) forwards
  ``<prefix>proxy/<port>/`` to ``localhost:<port>`` on the server: the link is that path, which
  the browser resolves against the hub's own address;
- on the aws target the load balancer is public: the link is its DNS name, as ``kit.url`` says.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["PortLinks", "hub_prefix", "listener_link"]

#: set by JupyterHub (and so by BinderHub) for the single-user server and its kernels
HUB_PREFIX = "JUPYTERHUB_SERVICE_PREFIX"


def hub_prefix(environ: Mapping[str, str] | None = None) -> str | None:
    """The hub's path prefix of this Jupyter server (``/user/alice/``), or ``None`` off a hub.

    Args:
        environ: the environment to read (``os.environ`` by default).
    """
    value = (os.environ if environ is None else environ).get(HUB_PREFIX, "").strip()
    if not value:
        return None
    return "/" + value.strip("/") + "/" if value.strip("/") else "/"


def listener_link(
    kit: Any, port: int, path: str = "/", environ: Mapping[str, str] | None = None
) -> str:
    """The link a browser opens to see what the load balancer's listener on ``port`` serves.

    Args:
        kit: the handle of :func:`bgkit.connect`.
        port: the listener's port (80, 8080).
        path: the path on the listener.
        environ: the environment to read (``os.environ`` by default).

    Returns:
        On AWS, ``http://<the ALB's DNS name>:<port><path>``; locally behind a hub,
        ``<prefix>proxy/<host port><path>``; locally otherwise
        ``http://127.0.0.1:<host port><path>``.

    Raises:
        BgkitError: on AWS, when the load balancer does not exist yet (from ``kit.url``).
    """
    path = path if path.startswith("/") else "/" + path
    if kit.settings.target != "local":
        return kit.url(port, path)
    prefix = hub_prefix(environ)
    if prefix is None:
        return kit.settings.listener_url(port) + path
    return f"{prefix}proxy/{kit.settings.listener_offset + port}{path}"


class PortLinks:
    """Links to the listeners on ``ports``, for the browser (HTML) and as text.

    Args:
        kit: the handle of :func:`bgkit.connect`.
        ports: listener ports.
        path: the path on each listener.
    """

    def __init__(self, kit: Any, ports: Iterable[int] = (80, 8080), path: str = "/") -> None:
        self.links = {port: listener_link(kit, port, path) for port in ports}

    def html(self) -> str:
        """One link a port, opening in a new tab: ``port 80 ↗ · port 8080 ↗``."""
        return " · ".join(
            f'<a href="{html.escape(link, quote=True)}" target="_blank" rel="noopener">'
            f"port {port} ↗</a>"
            for port, link in self.links.items()
        )

    def _repr_html_(self) -> str:
        return self.html()

    def __repr__(self) -> str:
        return "\n".join(f"port {port}: {link}" for port, link in self.links.items())
