"""What a customer sees: requests to the load balancer's listeners, one row each.

:func:`fetch` makes one request and says which revision answered (from the page's title: Nginx's
welcome page, or FizzBuzz naming its revision). :func:`compare_ports` asks each listener once;
:class:`Probe` keeps asking in a background thread — steady traffic across a deployment — and
records marks ("reroute") so a plot can show the switch.
"""

from __future__ import annotations

import html
import http.client
import re
import threading
import time
import urllib.parse
from collections.abc import Iterable
from typing import Any

import pandas as pd

from bgkit.links import PortLinks
from bgkit.walkthrough.naming import names

__all__ = ["COLUMNS", "Pages", "Probe", "compare_ports", "fetch", "probe", "revision_of", "summary"]

#: the columns of a probe's frame
COLUMNS = ["time", "port", "status", "revision", "latency_ms", "error"]
TITLE = re.compile(r"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)
FIZZBUZZ = "FizzBuzz — revision "


def revision_of(status: int | None, title: str, server: str = "") -> str:
    """Which revision answered: ``nginx``, a FizzBuzz revision's name, or ``-``.

    FizzBuzz names its revision in its ``Server`` header (``fizzbuzz/<revision>``) and its
    page title; Nginx (and the local stand-in) in its ``Server`` header and welcome page.
    """
    if server.startswith("fizzbuzz/"):
        return server[len("fizzbuzz/") :]
    if title.startswith(FIZZBUZZ):
        return title[len(FIZZBUZZ) :]
    if (
        status is not None
        and status < 500
        and (server.startswith("nginx") or "nginx" in title.lower())
    ):
        return "nginx"
    return "-"


def fetch(url: str, timeout: float = 2.0) -> dict[str, Any]:
    """One ``GET`` on a new connection, as a new customer would make it.

    Returns:
        ``status`` (``None`` when no answer), ``title`` (or the first line of a plain-text
        answer), ``revision``, ``latency_ms``, ``error``.
    """
    parts = urllib.parse.urlsplit(url)
    start = time.perf_counter()
    connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        connection.request("GET", parts.path or "/", headers={"User-Agent": "bgkit-probe"})
        answer = connection.getresponse()
        body = answer.read().decode("utf-8", "replace")
        status: int | None = answer.status
        server = answer.getheader("Server", "")
        error = ""
    except OSError as exc:
        status, body, server, error = None, "", "", type(exc).__name__
    finally:
        connection.close()
    latency = (time.perf_counter() - start) * 1000
    found = TITLE.search(body)
    title = html.unescape(found.group(1).strip()) if found else ""
    if not title and status is not None and "<" not in body:
        title = body.strip().splitlines()[0][:60] if body.strip() else ""
    return {
        "status": status,
        "title": title,
        "revision": revision_of(status, title, server),
        "latency_ms": latency,
        "error": error,
    }


def compare_ports(kit: Any, ports: Iterable[int] = (80, 8080), path: str = "/") -> pd.DataFrame:
    """What each listener serves now: ``port``, ``status``, ``revision``, ``title``."""
    rows = []
    for port in ports:
        answer = fetch(kit.url(port, path))
        rows.append(
            {
                "port": port,
                "status": answer["status"],
                "revision": answer["revision"],
                "title": answer["title"] or answer["error"],
            }
        )
    return pd.DataFrame(rows, columns=["port", "status", "revision", "title"])


class Probe:
    """Steady requests to listeners from a background thread, until :meth:`stop`.

    Args:
        kit: the handle of :func:`bgkit.connect`.
        ports: listener ports, asked in turn.
        interval: wall seconds between two rounds.

        weights: also record the listeners' weights each round (:meth:`weights_frame`), to
            follow a gradual shift.

    Use it as a context manager, or :meth:`start` and :meth:`stop`; :meth:`mark` notes an
    instant (the reroute) that :func:`bgkit.observe.plot_traffic` draws.
    """

    def __init__(
        self,
        kit: Any,
        ports: Iterable[int] = (80, 8080),
        interval: float = 0.05,
        *,
        weights: bool = False,
    ):
        self.urls = {port: kit.url(port) for port in ports}
        self.interval = interval
        self._listeners = _Listeners(kit, self.urls) if weights else None
        self._weights: list[dict[str, Any]] = []
        self._rows: list[dict[str, Any]] = []
        self._marks: list[tuple[float, str]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._start = 0.0

    def start(self) -> Probe:
        if self._thread is None:
            self._start = time.monotonic()
            if self._listeners is not None:
                self._record_weights()  # the weights before anything changes
            self._thread = threading.Thread(target=self._run, name="bgkit-probe", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            for port, url in self.urls.items():
                moment = time.monotonic() - self._start
                answer = fetch(url)
                with self._lock:
                    self._rows.append({"time": moment, "port": port, **_row(answer)})
            if self._listeners is not None:
                self._record_weights()
            self._stop.wait(self.interval)

    def _record_weights(self) -> None:
        moment = time.monotonic() - self._start
        assert self._listeners is not None
        try:
            rows = self._listeners.weights()
        except Exception:  # a failed read is a gap in the record, not an error
            return
        with self._lock:
            self._weights.extend({"time": moment, **row} for row in rows)

    def weights_frame(self) -> pd.DataFrame:
        """The listeners' weights as recorded each round (``Probe(…, weights=True)``):
        ``time``, ``port``, ``target group``, ``weight`` (percent)."""
        with self._lock:
            return pd.DataFrame(
                list(self._weights), columns=["time", "port", "target group", "weight"]
            )

    def mark(self, label: str, at: float | None = None) -> None:
        """Note that ``label`` happened now, or at ``time.monotonic()`` value ``at`` (drawn as a
        vertical line)."""
        moment = time.monotonic() if at is None else at
        with self._lock:
            self._marks.append((moment - self._start, label))

    def stop(self) -> pd.DataFrame:
        """Stop asking; return :meth:`frame`."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        return self.frame()

    def frame(self) -> pd.DataFrame:
        """One row per request: ``time`` (s since start), ``port``, ``status``, ``revision``,
        ``latency_ms``, ``error``."""
        with self._lock:
            return pd.DataFrame(list(self._rows), columns=COLUMNS)

    @property
    def marks(self) -> list[tuple[float, str]]:
        with self._lock:
            return list(self._marks)

    def __enter__(self) -> Probe:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        ports = ", ".join(str(p) for p in self.urls)
        return f"Probe(ports=[{ports}], interval={self.interval})"


class _Listeners:
    """The load balancer's listeners on ``ports``, read with a client of their own (boto3
    sessions are not thread-safe, clients are): ``port``, ``target group``, ``weight``."""

    def __init__(self, kit: Any, ports: Iterable[int]) -> None:
        self._elbv2 = kit.client("elbv2")
        lb_name, groups = names(kit).load_balancer, list(names(kit).target_groups)
        lb = self._elbv2.describe_load_balancers(Names=[lb_name])["LoadBalancers"][0]
        listeners = self._elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])
        wanted = set(ports)
        self._arns = [x["ListenerArn"] for x in listeners["Listeners"] if x["Port"] in wanted]
        found = self._elbv2.describe_target_groups(Names=groups)["TargetGroups"]
        self._groups = {g["TargetGroupArn"]: g["TargetGroupName"] for g in found}

    def weights(self) -> list[dict[str, Any]]:
        rows = []
        for listener in self._elbv2.describe_listeners(ListenerArns=self._arns)["Listeners"]:
            for action in listener["DefaultActions"]:
                forward = action.get("ForwardConfig", {}).get("TargetGroups") or []
                total = sum(t.get("Weight", 1) for t in forward) or 1
                rows += [
                    {
                        "port": listener["Port"],
                        "target group": self._groups.get(t["TargetGroupArn"], "?"),
                        "weight": round(100 * t.get("Weight", 1) / total),
                    }
                    for t in forward
                ]
        return rows


def _row(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: answer[k] for k in ("status", "revision", "latency_ms", "error")}


def probe(
    kit: Any, seconds: float = 2.0, ports: Iterable[int] = (80, 8080), interval: float = 0.05
) -> pd.DataFrame:
    """Steady requests for ``seconds``; one row per request (see :meth:`Probe.frame`)."""
    with Probe(kit, ports, interval) as running:
        time.sleep(seconds)
    return running.frame()


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Per port: the revisions that answered, in order (``nginx → fizzbuzz``), and how many
    requests failed (no answer, or a 5xx) — what stays the same from run to run."""
    rows = []
    for port, requests in frame.sort_values("time").groupby("port", sort=True):
        order: list[str] = []
        for revision in requests["revision"]:
            if revision != "-" and (not order or order[-1] != revision):
                order.append(revision)
        failed = requests["status"].isna() | (requests["status"].fillna(0) >= 500)
        rows.append({"port": port, "revisions": " → ".join(order), "failed": int(failed.sum())})
    return pd.DataFrame(rows, columns=["port", "revisions", "failed"])


class Pages:
    """The pages the listeners serve, side by side (HTML), with a one-line text summary.

    The kernel fetches each page itself; each port's name is a link that opens the page in the
    browser, wherever the browser is (:mod:`bgkit.links`: 127.0.0.1, or the Jupyter server's proxy
    behind JupyterHub or Binder).

    Args:
        kit: the handle of :func:`bgkit.connect`.
        ports: listener ports.
        path: the path asked for.
    """

    def __init__(self, kit: Any, ports: Iterable[int] = (80, 8080), path: str = "/") -> None:
        self.pages: dict[int, tuple[int | None, str, str]] = {}
        #: where the browser opens each page (:func:`bgkit.links.listener_link`)
        self.links = PortLinks(kit, ports, path).links
        for port in self.links:
            url = kit.url(port, path)
            status, body = _get(url)
            found = TITLE.search(body)
            title = html.unescape(found.group(1).strip()) if found else ""
            self.pages[port] = (status, title, body)

    def _repr_html_(self) -> str:
        frames = []
        for port, (status, _title, body) in self.pages.items():
            frames.append(
                '<div style="flex:1;min-width:18em">'
                f'<b><a href="{html.escape(self.links[port], quote=True)}" target="_blank" '
                f'rel="noopener">port {port} ↗</a></b> — HTTP {status}'
                f'<iframe srcdoc="{html.escape(body, quote=True)}" '
                'style="width:100%;height:16em;border:1px solid #ccc"></iframe></div>'
            )
        return '<div style="display:flex;gap:1em">' + "".join(frames) + "</div>"

    def __repr__(self) -> str:
        return "\n".join(
            f"port {port}: HTTP {status} — {title or '(no title)'}"
            for port, (status, title, _body) in self.pages.items()
        )


def _get(url: str, timeout: float = 2.0) -> tuple[int | None, str]:
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        connection.request("GET", parts.path or "/", headers={"User-Agent": "bgkit-pages"})
        answer = connection.getresponse()
        return answer.status, answer.read().decode("utf-8", "replace")
    except OSError as exc:
        return None, type(exc).__name__
    finally:
        connection.close()
