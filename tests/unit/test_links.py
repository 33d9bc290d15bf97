"""The links shown to the browser: 127.0.0.1 on a laptop, the Jupyter server's proxy path behind
JupyterHub or Binder (``JUPYTERHUB_SERVICE_PREFIX``, set by JupyterHub for the single-user server,
jupyterhub.readthedocs.io, *Environment variables of the single-user server*)."""

from __future__ import annotations

import pytest

from bgkit.config import Settings
from bgkit.connect import Session
from bgkit.links import PortLinks, hub_prefix, listener_link
from bgkit.local.ports import free_listener_offset


@pytest.fixture
def kit() -> Session:
    return Session(Settings.load({}, listener_offset=12000))


def test_without_a_hub_the_link_is_the_listener_on_this_machine(kit):
    assert listener_link(kit, 80, environ={}) == "http://127.0.0.1:12080/"
    assert listener_link(kit, 8080, "/fizzbuzz?n=15", environ={}) == (
        "http://127.0.0.1:20080/fizzbuzz?n=15"
    )
    assert listener_link(kit, 80, environ={}) == kit.url(80, "/")  # what the kernel fetches


def test_behind_a_hub_the_link_is_the_proxy_path_of_the_host_port(kit):
    environ = {"JUPYTERHUB_SERVICE_PREFIX": "/user/alice/"}
    assert listener_link(kit, 80, environ=environ) == "/user/alice/proxy/12080/"
    assert listener_link(kit, 8080, "status", environ=environ) == "/user/alice/proxy/20080/status"
    # the kernel still asks the listener itself, on the server
    assert kit.url(80) == "http://127.0.0.1:12080"


@pytest.mark.parametrize(
    ("value", "prefix"),
    [
        ("/user/alice/", "/user/alice/"),
        ("/user/alice", "/user/alice/"),  # a missing slash does not make a wrong link
        ("/", "/"),
        ("  ", None),
        ("", None),
    ],
)
def test_hub_prefix(value, prefix):
    assert hub_prefix({"JUPYTERHUB_SERVICE_PREFIX": value}) == prefix
    assert hub_prefix({}) is None


def test_port_links_for_the_browser_and_as_text(kit, monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/bob/")
    links = PortLinks(kit)
    assert links.links == {80: "/user/bob/proxy/12080/", 8080: "/user/bob/proxy/20080/"}
    assert repr(links) == "port 80: /user/bob/proxy/12080/\nport 8080: /user/bob/proxy/20080/"
    assert '<a href="/user/bob/proxy/12080/" target="_blank"' in links._repr_html_()
    monkeypatch.delenv("JUPYTERHUB_SERVICE_PREFIX")
    assert PortLinks(kit, ports=[80]).links == {80: "http://127.0.0.1:12080/"}


def test_pages_are_fetched_by_the_kernel_and_linked_for_the_browser(monkeypatch):
    """A page served on loopback: the kernel fetches it from 127.0.0.1, its link is the proxy's."""
    import http.server
    import threading

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"<html><title>Welcome to nginx!</title></html>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    offset = free_listener_offset((80,))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", offset + 80), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host_port = server.server_address[1]
        kit = Session(Settings.load({}, listener_offset=offset))
        monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/carol/")
        from bgkit.observe import Pages

        pages = Pages(kit, ports=[80])
        assert repr(pages) == "port 80: HTTP 200 — Welcome to nginx!"
        assert pages.links == {80: f"/user/carol/proxy/{host_port}/"}
        assert f'<a href="/user/carol/proxy/{host_port}/" target="_blank"' in pages._repr_html_()
    finally:
        server.shutdown()
        server.server_close()
