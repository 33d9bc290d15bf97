"""What the walkthrough costs on AWS, and the confirmation nothing billable is created without.

``data/prices.json`` is a dated table of the hourly prices of what the walkthrough bills (the
Application Load Balancer and its LCUs, the Fargate tasks, CloudWatch Logs, public IPv4
addresses) for a few regions. :func:`estimate` turns it into an hourly estimate for a region.

On the aws target, :func:`require_cost_confirmation` guards the creation of every billable
resource: it raises :class:`~bgkit.errors.CostNotConfirmedError` until someone has confirmed the
estimate — with the button of :func:`confirm_costs` in a notebook, or ``BGKIT_CONFIRM_COSTS=yes``
for a scripted run. :func:`install_cost_guard` makes every client of a session call it before
each operation of :data:`BILLABLE` (:func:`bgkit.connect` installs it on the aws target), so the
guard holds for any code, not only the walkthrough's. A confirmation is kept in the state
directory for a day, for this region and prefix, so the later notebooks do not ask again.
On the local target nothing is billed: everything is let through.
"""

from __future__ import annotations

import datetime
import html
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pandas as pd

from bgkit.data import DATA
from bgkit.errors import ConfigError, CostNotConfirmedError

__all__ = [
    "BILLABLE",
    "CONFIRM_VARIABLE",
    "CostConfirmation",
    "Estimate",
    "PriceTable",
    "confirm_costs",
    "estimate",
    "install_cost_guard",
    "is_confirmed",
    "record_confirmation",
    "require_cost_confirmation",
]

PRICES = DATA / "prices.json"
CONFIRM_VARIABLE = "BGKIT_CONFIRM_COSTS"
#: where a confirmation is kept, in the state directory
CONFIRMATION_FILE = "cost-confirmation.json"
#: how long a confirmation lasts (a workshop day)
CONFIRMATION_LIFETIME = datetime.timedelta(hours=24)


@dataclass(frozen=True)
class PriceTable:
    """The content of ``data/prices.json``."""

    compiled: str
    sources: dict[str, str]
    usage: dict[str, Any]
    regions: dict[str, dict[str, float]]
    checked: bool = False

    @classmethod
    def load(cls, path: Path = PRICES) -> PriceTable:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(
            compiled=raw["compiled"],
            sources=raw["sources"],
            usage=raw["usage"],
            regions=raw["regions"],
            checked=bool(raw.get("checked_against_live_pages")),
        )


@dataclass(frozen=True)
class Estimate:
    """What the walkthrough costs an hour in one region, item by item (USD)."""

    region: str
    lines: list[tuple[str, str, float]]
    compiled: str
    sources: dict[str, str]
    priced_region: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def per_hour(self) -> float:
        return sum(cost for _, _, cost in self.lines)

    def frame(self) -> pd.DataFrame:
        """One row per billed item: ``item``, ``usage``, ``usd_per_hour``."""
        return pd.DataFrame(self.lines, columns=["item", "usage", "usd_per_hour"])

    def summary(self) -> str:
        return (
            f"about ${self.per_hour:.2f} an hour in {self.region} "
            f"(prices of {self.compiled}; re-check them)"
        )

    def __str__(self) -> str:
        width = max(len(item) for item, _, _ in self.lines)
        rows = [f"Estimated cost of the walkthrough on AWS in {self.region}, per hour (USD):"]
        rows += [f"  {item:<{width}}  ${cost:.4f}  {usage}" for item, usage, cost in self.lines]
        rows.append(f"  {'total':<{width}}  ${self.per_hour:.4f}")
        rows += [f"  note: {note}" for note in self.notes]
        rows.append(f"  prices of {self.compiled}; re-check them:")
        rows += [f"    {url}" for url in self.sources.values()]
        rows.append("  Delete everything afterwards: notebook 07 or `bgkit cleanup --target aws`.")
        return "\n".join(rows)

    def _repr_html_(self) -> str:
        body = "".join(
            f"<tr><td>{html.escape(item)}</td><td>{html.escape(usage)}</td>"
            f"<td style='text-align:right'>${cost:.4f}</td></tr>"
            for item, usage, cost in self.lines
        )
        notes = "".join(f"<li>{html.escape(note)}</li>" for note in self.notes)
        links = ", ".join(
            f"<a href='{html.escape(url)}' target='_blank'>{html.escape(name)}</a>"
            for name, url in self.sources.items()
        )
        return (
            f"<p><b>Estimated cost on AWS in {html.escape(self.region)}: "
            f"${self.per_hour:.2f} an hour</b></p>"
            f"<table><tr><th>item</th><th>usage</th><th>USD / hour</th></tr>{body}</table>"
            f"<ul>{notes}<li>Prices of {html.escape(self.compiled)}; re-check them: {links}.</li>"
            "<li>Delete everything afterwards: notebook 07 or "
            "<code>bgkit cleanup --target aws</code>.</li></ul>"
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/plain": str(self), "text/html": self._repr_html_()}


def estimate(region: str, table: PriceTable | None = None) -> Estimate:
    """The hourly estimate of the walkthrough in ``region``.

    A region the table lacks is priced with the highest price of each item in the table, and the
    estimate says so.
    """
    table = table or PriceTable.load()
    notes = []
    if region in table.regions:
        prices, priced = table.regions[region], region
    else:
        prices = {key: max(p[key] for p in table.regions.values()) for key in _KEYS}
        priced = "highest of the table"
        notes.append(
            f"the price table has no prices for {region}: each item is priced at the highest "
            "price of the regions it has; check the pages"
        )
    if not table.checked:
        notes.append("the prices were not checked against the live price pages")
    use = table.usage
    tasks, vcpu, memory = use["tasks"], use["task_vcpu"], use["task_memory_gb"]
    addresses = use["load_balancer_subnets"] + tasks
    balancers, lcu, logs = use["load_balancers"], use["lcu_per_hour"], use["log_gb_per_hour"]
    lines = [
        ("load balancer", f"{balancers} ALB", balancers * prices["alb_hour"]),
        ("load balancer capacity", f"{lcu} LCU (upper bound)", lcu * prices["alb_lcu_hour"]),
        ("Fargate vCPU", f"{tasks} × {vcpu} vCPU", tasks * vcpu * prices["fargate_vcpu_hour"]),
        ("Fargate memory", f"{tasks} × {memory} GB", tasks * memory * prices["fargate_gb_hour"]),
        ("CloudWatch Logs", f"{logs} GB ingested", logs * prices["logs_ingest_gb"]),
        ("public IPv4 addresses", f"{addresses} (ALB subnets + tasks)",
         addresses * prices["public_ipv4_hour"]),
    ]  # fmt: skip
    return Estimate(region, lines, table.compiled, table.sources, priced, notes)


_KEYS = (
    "alb_hour", "alb_lcu_hour", "fargate_vcpu_hour", "fargate_gb_hour", "logs_ingest_gb",
    "public_ipv4_hour",
)  # fmt: skip


# -- the confirmation -------------------------------------------------------------------------


def _env_confirmed() -> bool:
    value = os.environ.get(CONFIRM_VARIABLE, "").strip().lower()
    if value in ("", "no"):
        return False
    if value != "yes":
        raise ConfigError(f"{CONFIRM_VARIABLE} must be 'yes' or unset, not {value!r}")
    return True


def _file(kit: Any) -> Path:
    return Path(kit.settings.state_dir) / CONFIRMATION_FILE


def _records(kit: Any) -> list[dict[str, str]]:
    try:
        return json.loads(_file(kit).read_text(encoding="utf-8"))["confirmed"]
    except (FileNotFoundError, ValueError, KeyError):
        return []


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def _valid(record: dict[str, str], kit: Any) -> bool:
    try:
        at = datetime.datetime.fromisoformat(record["at"])
    except (KeyError, ValueError):
        return False
    return (
        record.get("region") == kit.settings.region
        and record.get("prefix") == kit.settings.prefix
        and _now() - at < CONFIRMATION_LIFETIME
    )


def is_confirmed(kit: Any) -> bool:
    """Whether billable resources may be created for ``kit``: always on the local target; on
    AWS when ``BGKIT_CONFIRM_COSTS=yes`` or a confirmation of the last 24 hours is kept for this
    region and prefix."""
    if kit.settings.target != "aws":
        return True
    return _env_confirmed() or any(_valid(record, kit) for record in _records(kit))


def record_confirmation(kit: Any, by: str) -> None:
    """Keep a confirmation for ``kit``'s region and prefix (``by``: who or what confirmed)."""
    path = _file(kit)
    path.parent.mkdir(parents=True, exist_ok=True)
    kept = [r for r in _records(kit) if not _valid(r, kit)]
    kept = [r for r in kept if _now() - _at(r) < CONFIRMATION_LIFETIME]
    kept.append(
        {
            "region": kit.settings.region,
            "prefix": kit.settings.prefix,
            "prices": PriceTable.load().compiled,
            "at": _now().isoformat(timespec="seconds"),
            "by": by,
        }
    )
    path.write_text(json.dumps({"confirmed": kept}, indent=2) + "\n", encoding="utf-8")


def _at(record: dict[str, str]) -> datetime.datetime:
    try:
        return datetime.datetime.fromisoformat(record["at"])
    except (KeyError, ValueError):
        return datetime.datetime.min.replace(tzinfo=datetime.timezone.utc)


def require_cost_confirmation(kit: Any, what: str = "billable resources") -> None:
    """Stop before creating something billable on AWS that nobody confirmed the cost of.

    Call it just before the call that creates ``what``; it calls nothing on AWS.

    Raises:
        CostNotConfirmedError: on the aws target, without a confirmation.
    """
    if is_confirmed(kit):
        return
    summary = estimate(kit.settings.region).summary()
    raise CostNotConfirmedError(
        f"{what} would be billed on AWS ({summary}), and nobody has confirmed that cost yet, so "
        "nothing was created. Run `bgkit.costs.confirm_costs(kit)` in a cell and press "
        f"*Create billable resources*, or set {CONFIRM_VARIABLE}=yes for a scripted run; then "
        "run this cell again."
    )


#: what bills by the hour from the moment it exists: botocore service name → operation → what
BILLABLE: dict[str, dict[str, str]] = {
    "elbv2": {"CreateLoadBalancer": "the load balancer"},
    "ecs": {
        "CreateService": "the service's Fargate tasks",
        "CreateTaskSet": "a task set's Fargate tasks",
        "RunTask": "Fargate tasks",
        "StartTask": "tasks",
    },
    "codedeploy": {"CreateDeployment": "a deployment's new Fargate tasks"},
}
#: the service names of botocore's events (``ServiceId.hyphenize()``; a test checks them)
EVENT_NAMES = {"elbv2": "elastic-load-balancing-v2", "ecs": "ecs", "codedeploy": "codedeploy"}


def install_cost_guard(session: Any) -> None:
    """Make every client ``session`` creates from now on refuse the operations of
    :data:`BILLABLE` before they are sent, unless :func:`is_confirmed`.

    Args:
        session: a boto3 session with bgkit's ``settings`` (:class:`bgkit.connect.Session`).
    """
    for service, operations in BILLABLE.items():
        for operation, what in operations.items():
            session.events.register_first(
                f"provide-client-params.{EVENT_NAMES[service]}.{operation}",
                _guard(session, what),
                unique_id=f"bgkit-cost-guard-{service}-{operation}",
            )


def _guard(kit: Any, what: str) -> Callable[..., None]:
    def check(**_: Any) -> None:
        require_cost_confirmation(kit, what)

    return check


class CostConfirmation(widgets.VBox):
    """The estimate and a button that confirms it (see :func:`confirm_costs`).

    Args:
        kit: the session (``settings.target``, ``settings.region``, ``settings.prefix``).
    """

    def __init__(self, kit: Any, **kwargs: Any) -> None:
        self._kit = kit
        local = kit.settings.target != "aws"
        self.estimate = None if local else estimate(kit.settings.region)
        text = (
            "<p>The local target bills nothing: no confirmation is needed.</p>"
            if self.estimate is None
            else self.estimate._repr_html_()
        )
        self._table = widgets.HTML(text)
        self._button = widgets.Button(
            description="Create billable resources",
            button_style="warning",
            icon="check",
            tooltip="I accept this estimate; the kit may create the load balancer and the tasks",
            layout=widgets.Layout(width="auto"),
        )
        self._status = widgets.HTML()
        self._button.on_click(self._on_button_click)
        super().__init__([self._table, self._button, self._status], **kwargs)
        self._show()

    @property
    def confirmed(self) -> bool:
        return is_confirmed(self._kit)

    def confirm(self) -> None:
        """Confirm the estimate (what the button does)."""
        if not self.confirmed:
            record_confirmation(self._kit, by="button")
        self._show()

    def _on_button_click(self, _button: widgets.Button) -> None:
        self.confirm()

    def _show(self) -> None:
        done = self.confirmed
        self._button.disabled = done
        self._button.layout.display = "none" if done or self.estimate is None else None
        if self.estimate is None:
            self._status.value = ""
        elif done:
            self._status.value = (
                f"<p>✓ Confirmed for {html.escape(self._kit.settings.region)}, prefix "
                f"{html.escape(self._kit.settings.prefix)}: the walkthrough may create billable "
                "resources. Clean up at the end (notebook 07).</p>"
            )
        else:
            self._status.value = "<p>Nothing billable is created until you press the button.</p>"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        if self.estimate is None:
            text = "local target: nothing is billed"
        else:
            state = "confirmed" if self.confirmed else "NOT confirmed: press the button"
            text = f"{self.estimate}\n{state}"
        return {**bundle, "text/plain": text}


def confirm_costs(kit: Any) -> CostConfirmation:
    """Show the cost estimate and ask for a confirmation (the last line of a notebook cell).

    With ``BGKIT_CONFIRM_COSTS=yes`` the confirmation is recorded without a click (the widget
    shows it as confirmed); on the local target the widget only says that nothing is billed.
    """
    if kit.settings.target == "aws" and _env_confirmed():
        record_confirmation(kit, by=f"{CONFIRM_VARIABLE}=yes")
    return CostConfirmation(kit)
