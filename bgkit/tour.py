"""The headless tour: every notebook in order, on a fresh local cloud, on autopilot.

:func:`fresh_environment` is the one place that sets up such a run — a temporary state directory,
a free endpoint port and listener offset, a sped-up clock, autopilot — and it serves three
callers: ``bgkit tour``, nbval's plugin (``tests/notebooks/nbval_cloud.py``) and
``scripts/store_outputs.py``, which stores the notebooks' outputs. :func:`run_tour` executes the
notebooks with nbclient, each in a kernel it reaches over CurveZMQ-encrypted sockets
(:data:`KERNEL_CONFIG`), and reports what ports 80 and 8080 served at each step and every
deployment the notebooks started.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bgkit.config import Settings
from bgkit.errors import NotRunningError
from bgkit.labels import header, word
from bgkit.local.ports import free_listener_offset
from bgkit.local.process import free_port, start_background, stop_background

__all__ = [
    "KERNEL_CONFIG",
    "NOTEBOOKS",
    "TourReport",
    "deployments_seen",
    "fresh_environment",
    "notebooks",
    "run_tour",
]

#: the checkout's notebooks (an installed wheel has none: ``bgkit tour --notebooks PATH``)
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOK_NAME = re.compile(r"^\d\d-[a-z0-9-]+\.ipynb$")
#: settings of a headless run (the state dir, ports and offset are chosen per run)
HEADLESS = {
    "BGKIT_TARGET": "local",
    "BGKIT_CLOCK": "60",
    "BGKIT_AUTOPILOT": "reroute",
    "BGKIT_APPROVAL_TIMEOUT": "120",
    "BGKIT_PREFIX": "bgkit",
    "AWS_REGION": "us-east-1",
}
#: How the tour's kernel manager starts kernels: with CurveZMQ keys it provisions, so the
#: kernel's sockets are encrypted (ipykernel warns of plain TCP otherwise). "required": a
#: kernelspec that does not declare ``supported_encryption: curve`` fails to start, clearly.
KERNEL_CONFIG = {"KernelManager": {"transport_encryption": "required"}}


def notebooks(folder: Path = NOTEBOOKS) -> list[Path]:
    """The walkthrough's notebooks, in order (``NN-verb-phrase.ipynb``)."""
    return sorted(p for p in folder.iterdir() if NOTEBOOK_NAME.match(p.name))


def free_offset(ports: tuple[int, ...] = (80, 8080)) -> int:
    """A listener offset that puts each of ``ports`` on a free host port below the ephemeral
    port range (a port inside it can be held by a connection's source port)."""
    return free_listener_offset(ports)


@contextlib.contextmanager
def fresh_environment(
    environ: Any = os.environ, before_start: Callable[[], object] | None = None
) -> Iterator[Settings]:
    """A fresh local cloud in the background, and ``environ`` set so that kernels started
    meanwhile use it; everything is stopped and restored afterwards.

    Args:
        before_start: called once ``environ`` is set, before the local cloud starts: what it
            starts (a kernel) gets ready while the local cloud does.
    """
    state_dir = Path(tempfile.mkdtemp(prefix="bgkit-tour-"))
    values = {
        **HEADLESS,
        "BGKIT_STATE_DIR": str(state_dir),
        "BGKIT_LOCAL_PORT": str(free_port()),
        "BGKIT_LISTENER_OFFSET": str(free_offset()),
    }
    saved = {name: environ.get(name) for name in [*values, "AWS_ENDPOINT_URL", "AWS_PROFILE"]}
    environ.update(values)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        environ.pop(name, None)
    settings = Settings.load(dict(environ))
    try:
        if before_start is not None:
            before_start()
        start_background(settings)
        yield settings
    finally:
        with contextlib.suppress(NotRunningError):
            stop_background(settings)
        for name, value in saved.items():
            if value is None:
                environ.pop(name, None)
            else:
                environ[name] = value
        shutil.rmtree(state_dir, ignore_errors=True)


@dataclass
class TourReport:
    """What the tour saw: per notebook, its time and what the ports served; every deployment
    the notebooks started (keyed by its id, in the order first seen)."""

    steps: list[dict[str, Any]] = field(default_factory=list)
    deployments: dict[str, dict[str, str]] = field(default_factory=dict)
    #: when the deployments could not be listed, and why
    unlisted: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: the language of the report, ``en`` or ``ja``; default ``BGKIT_LANG``'s (bgkit.labels)
    lang: str | None = None

    def record(self, notebook: str, deployments: list[dict[str, str]]) -> None:
        """Add the deployments not seen before as ``notebook``'s; update the others' status."""
        for row in deployments:
            known = self.deployments.setdefault(row["deployment"], {**row, "notebook": notebook})
            known.update(status=row["status"], what=row["what"])

    def __str__(self) -> str:
        lines = [word("tour", self.lang)]
        width = max((len(step["notebook"]) for step in self.steps), default=0)
        for step in self.steps:
            seconds = f"{step['seconds']:5.1f} s"
            lines.append(f"  {step['notebook']:<{width}}  {seconds}  {step['outcome']}")
            lines += [f"      {seen}" for seen in step["ports"]]
        if self.deployments:
            lines.append("  " + word("tour_deployments", self.lang))
            lines += _table(list(self.deployments.values()), "      ", self.lang)
        lines += ["  " + word("tour_unlisted", self.lang, why=why) for why in self.unlisted]
        lines.append("  " + word("tour_total", self.lang, seconds=f"{self.seconds:.1f}"))
        return "\n".join(lines)


DEPLOYMENT_COLUMNS = ("notebook", "deployment", "kind", "status", "what")


def _table(rows: list[dict[str, str]], indent: str, lang: str | None = None) -> list[str]:
    """Rows as left-aligned columns under a header in ``lang`` (the last column unpadded;
    widths on the terminal, where a Japanese character takes two columns)."""
    heads = {name: header(name, lang) for name in DEPLOYMENT_COLUMNS}
    widths = {
        name: max(_width(heads[name]), *(_width(row[name]) for row in rows))
        for name in DEPLOYMENT_COLUMNS
    }

    def line(values: dict[str, str]) -> str:
        cells = (values[n] + " " * (widths[n] - _width(values[n])) for n in DEPLOYMENT_COLUMNS)
        return (indent + "  ".join(cells)).rstrip()

    return [line(heads), *map(line, rows)]


def _width(text: str) -> int:
    """Columns ``text`` takes on a terminal: two for a wide (East Asian) character."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


PORT_ROW = re.compile(r"^\d+\s+(80|8080)\s+(\d+|NaN|None)\s+(\S+)")


def ports_seen(notebook: Any) -> list[str]:
    """What the ``compare_ports`` cells of an executed notebook showed, one line each."""
    seen = []
    for cell in notebook.cells:
        if cell.cell_type != "code" or "compare_ports(" not in cell.source:
            continue
        for output in cell.get("outputs", []):
            text = output.get("data", {}).get("text/plain", "")
            rows = [PORT_ROW.match(line) for line in text.splitlines()]
            found = [f"{m.group(1)} → {m.group(3)} ({m.group(2)})" for m in rows if m]
            if found:
                seen.append(", ".join(found))
    return seen


def deployments_seen(kit: Any) -> list[dict[str, str]]:
    """Every deployment the target holds now, oldest first: CodeDeploy's of every application
    and deployment group, and ECS's service deployments of services with the ``ECS``
    controller (built-in blue/green). Each row: ``deployment``, ``kind``, ``status``, ``what``
    (who started it and what it rolled back, or the service), ``created`` (for the order)."""
    rows = _codedeploy_deployments(kit.client("codedeploy")) + _ecs_deployments(kit.client("ecs"))
    return sorted(rows, key=lambda row: row["created"])


def _codedeploy_deployments(codedeploy: Any) -> list[dict[str, str]]:
    ids = []
    for page in codedeploy.get_paginator("list_applications").paginate():
        for application in page["applications"]:
            groups = codedeploy.get_paginator("list_deployment_groups")
            for groups_page in groups.paginate(applicationName=application):
                for group in groups_page["deploymentGroups"]:
                    listed = codedeploy.get_paginator("list_deployments").paginate(
                        applicationName=application, deploymentGroupName=group
                    )
                    ids += [i for listed_page in listed for i in listed_page["deployments"]]
    rows = []
    for batch in _batches(ids, 25):  # BatchGetDeployments takes 25 ids at most
        for info in codedeploy.batch_get_deployments(deploymentIds=batch)["deploymentsInfo"]:
            rolled_back = info.get("rollbackInfo", {}).get("rollbackTriggeringDeploymentId")
            what = f"by {info.get('creator', 'user')}"
            what += f", rollback of {rolled_back}" if rolled_back else ""
            rows.append(_row(info["deploymentId"], "CodeDeploy", info["status"], what,
                             info["createTime"]))  # fmt: skip
    return rows


def _ecs_deployments(ecs: Any) -> list[dict[str, str]]:
    rows = []
    for page in ecs.get_paginator("list_clusters").paginate():
        for cluster in page["clusterArns"]:
            services = [
                arn
                for services_page in ecs.get_paginator("list_services").paginate(cluster=cluster)
                for arn in services_page["serviceArns"]
            ]
            for batch in _batches(services, 10):  # DescribeServices takes 10 at most
                for service in ecs.describe_services(cluster=cluster, services=batch)["services"]:
                    if service.get("deploymentController", {}).get("type", "ECS") == "ECS":
                        rows += _service_deployments(ecs, cluster, service["serviceArn"])
    return rows


def _service_deployments(ecs: Any, cluster: str, service: str) -> list[dict[str, str]]:
    arns = []
    token: dict[str, str] = {}
    while True:  # ListServiceDeployments has no paginator in botocore's models
        page = ecs.list_service_deployments(cluster=cluster, service=service, **token)
        arns += [each["serviceDeploymentArn"] for each in page["serviceDeployments"]]
        if not page.get("nextToken"):
            break
        token = {"nextToken": page["nextToken"]}
    rows = []
    for batch in _batches(arns, 20):  # DescribeServiceDeployments takes 20 at most
        found = ecs.describe_service_deployments(serviceDeploymentArns=batch)
        for each in found["serviceDeployments"]:
            reason = each.get("rollback", {}).get("reason", "")
            what = f"service {service.rsplit('/', 1)[-1]}"
            what += f", rolled back: {reason}" if reason else ""
            rows.append(_row(each["serviceDeploymentArn"].rsplit("/", 1)[-1], "ECS",
                             each["status"], what, each["createdAt"]))  # fmt: skip
    return rows


def _batches(items: list[str], size: int) -> Iterator[list[str]]:
    """``items`` in lists of at most ``size``: what one Describe or BatchGet call takes."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _row(deployment: str, kind: str, status: str, what: str, created: Any) -> dict[str, str]:
    return {"deployment": deployment, "kind": kind, "status": status, "what": what,
            "created": created.isoformat()}  # fmt: skip


#: a cell that deletes (the notebooks' clean-ups): the tour looks at the deployments before it
DELETES = re.compile(r"\b(clean_up|delete_\w+)\(")


#: what the notebooks' first cells import (pandas and matplotlib with them: seconds): a kernel
#: started ahead imports it, silently, while the notebook before its own runs
WARM_UP = "import bgkit, bgkit.observe, bgkit.walkthrough, bgkit.widgets"


class _Kernels:
    """The tour's kernels, each started one notebook ahead: the next notebook's kernel starts
    and imports :data:`WARM_UP` while the current notebook runs, and the finished one's stops
    meanwhile too (both on the loop nbclient runs on, :func:`jupyter_core.utils.ensure_event_loop`).
    """

    def __init__(self, folder: Path) -> None:
        from jupyter_core.utils import ensure_event_loop

        self.folder = folder
        self.loop = ensure_event_loop()
        self.started: list[Any] = []
        self.stopping: list[Any] = []
        #: each started kernel's client that sent it :data:`WARM_UP` (open until it stops)
        self.warming: dict[Any, Any] = {}

    def start(self) -> Any:
        """A kernel manager whose kernel is starting (it answers once ready)."""
        from jupyter_client.manager import AsyncKernelManager
        from traitlets.config import Config

        manager = AsyncKernelManager(kernel_name="python3", config=Config(KERNEL_CONFIG))
        self.started.append(manager)
        self.loop.run_until_complete(manager.start_kernel(cwd=str(self.folder)))
        warming = manager.client()
        warming.start_channels()
        # silent: no execution count, no output, nothing in the notebook's history
        warming.execute(WARM_UP, silent=True, store_history=False)
        self.warming[manager] = warming
        return manager

    def stop(self, manager: Any, client: Any) -> None:
        """Stop a finished notebook's kernel while the next notebook runs."""

        async def stop() -> None:
            if client.kc is not None:
                client.kc.stop_channels()
            self.warming.pop(manager).stop_channels()
            with contextlib.suppress(RuntimeError):  # already dead
                await manager.shutdown_kernel()

        self.stopping.append(self.loop.create_task(stop()))

    def close(self) -> None:
        """Wait for every stop; stop at once what still runs (the kernel started for a
        notebook that did not run)."""

        async def close() -> None:
            await asyncio.gather(*self.stopping, return_exceptions=True)
            for warming in self.warming.values():
                warming.stop_channels()
            for manager in self.started:
                with contextlib.suppress(RuntimeError):
                    if await manager.is_alive():
                        await manager.shutdown_kernel(now=True)

        self.loop.run_until_complete(close())


def _notebook_client(
    notebook: Any, folder: Path, timeout: int, before_delete: Any, kernel: Any = None
) -> Any:
    from nbclient import NotebookClient
    from traitlets.config import Config

    def on_cell_start(cell: Any, cell_index: int) -> None:
        if cell.cell_type == "code" and DELETES.search(cell.source):
            before_delete()

    return NotebookClient(
        notebook, timeout=timeout, kernel_name="python3", config=Config(KERNEL_CONFIG),
        resources={"metadata": {"path": str(folder)}}, on_cell_start=on_cell_start, km=kernel,
    )  # fmt: skip


def run_tour(
    folder: Path = NOTEBOOKS,
    out: Path | None = Path("build/tour"),
    timeout: int = 300,
    last: str | None = None,
) -> TourReport:
    """Run every notebook of ``folder`` in order on a fresh local cloud; write the executed
    notebooks to ``out`` (unless ``None``); return the report.

    Args:
        last: the number (``"04"``) of the last notebook to run; default all.
    """
    from bgkit.connect import Session

    report = TourReport()
    start = time.monotonic()
    chosen = [p for p in notebooks(folder) if last is None or p.name[:2] <= last]
    kernels = _Kernels(folder)
    first: list[Any] = []

    def start_the_first_kernel() -> None:
        if chosen:
            first.append(kernels.start())

    try:
        with fresh_environment(before_start=start_the_first_kernel) as settings:
            kit = Session(settings)
            _tour(chosen, kit, kernels, first[0] if first else None, report, out, timeout)
    finally:
        kernels.close()
    report.seconds = time.monotonic() - start
    return report


def _tour(
    chosen: list[Path], kit: Any, kernels: _Kernels, ahead: Any, report: TourReport,
    out: Path | None, timeout: int,
) -> None:  # fmt: skip
    """The notebooks in order, each in the kernel started for it (``ahead``: the first's)."""
    import nbformat

    for index, path in enumerate(chosen):
        kernel, ahead = ahead, kernels.start() if index + 1 < len(chosen) else None
        notebook = nbformat.read(path, as_version=4)
        number = path.name[:2]
        began = time.monotonic()
        outcome = "ok"

        def record(number: str = number) -> None:
            try:
                report.record(number, deployments_seen(kit))
            except (BotoCoreError, ClientError) as error:  # the report says so
                report.unlisted.append(f"after a cell of {number}: {error}")

        client = _notebook_client(notebook, path.parent, timeout, record, kernel)
        try:
            client.execute()
        except Exception as error:  # the report says which notebook failed, and why
            outcome = f"FAILED: {type(error).__name__}: {str(error).strip().splitlines()[-1]}"
        kernels.stop(kernel, client)
        record()
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, out / path.name)
        report.steps.append(
            {
                "notebook": path.stem,
                "seconds": time.monotonic() - began,
                "outcome": outcome,
                "ports": ports_seen(notebook),
            }
        )
        if outcome != "ok":
            break
