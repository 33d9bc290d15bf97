"""The order of the notebooks: what each one leaves behind that the later ones need.

A notebook that builds on earlier ones starts with ``wt.require(kit, "04")``: when something an
earlier notebook makes is missing, it stops with one sentence naming the first notebook to run
(:class:`RunFirst`, which Jupyter shows as that sentence, not as a traceback).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bgkit.errors import BgkitError
from bgkit.walkthrough import existing
from bgkit.walkthrough.naming import names

__all__ = ["STEPS", "RunFirst", "missing_step", "require"]


class RunFirst(BgkitError, LookupError):
    """Something an earlier notebook makes is missing: run that notebook first."""

    def _render_traceback_(self) -> list[str]:
        """What IPython shows instead of a traceback: the sentence alone."""
        return [f"{type(self).__name__}: {self}"]


def _role(kit: Any) -> bool:
    iam = kit.client("iam")
    try:
        iam.get_role(RoleName=names(kit).codedeploy_role)
    except iam.exceptions.NoSuchEntityException:
        return False
    return True


def _succeeded(kit: Any) -> bool:
    if existing.deployment_group(kit) is None:
        return False
    listed = kit.client("codedeploy").list_deployments(
        applicationName=names(kit).application,
        deploymentGroupName=names(kit).deployment_group,
        includeOnlyStatuses=["Succeeded"],
    )
    return bool(listed["deployments"])


#: notebook → its title, what is missing when it has not run, and whether what it makes exists
STEPS: dict[str, tuple[str, Callable[[Any], str], Callable[[Any], bool]]] = {
    "01": (
        "01 · Prepare the network and the cluster",
        lambda kit: (
            f"the load balancer {names(kit).load_balancer} or the cluster "
            f"{names(kit).cluster} does not exist yet"
        ),
        lambda kit: existing.load_balancer(kit) is not None and existing.cluster(kit) is not None,
    ),
    "02": (
        "02 · Create the CodeDeploy role",
        lambda kit: f"the role {names(kit).codedeploy_role} does not exist yet",
        _role,
    ),
    "03": (
        "03 · Create the blue/green service",
        lambda kit: f"the service {names(kit).service} does not exist yet",
        lambda kit: existing.service(kit) is not None,
    ),
    "04": (
        "04 · Set up CodeDeploy",
        lambda kit: f"the deployment group {names(kit).deployment_group} does not exist yet",
        lambda kit: existing.deployment_group(kit) is not None,
    ),
    "05": (
        "05 · Deploy FizzBuzz and approve",
        lambda kit: f"no deployment of {names(kit).deployment_group} has succeeded yet",
        _succeeded,
    ),
}


def missing_step(kit: Any, up_to: str) -> str | None:
    """The first notebook up to ``up_to`` (``"04"``) whose resources are missing, as the
    sentence :func:`require` raises; ``None`` when everything is there."""
    if up_to not in STEPS:
        raise ValueError(f"notebooks to require are {', '.join(STEPS)}, not {up_to!r}")
    for number, (title, what, exists) in STEPS.items():
        if not exists(kit):
            return f"Run notebook {title} first: {what(kit)}."
        if number == up_to:
            break
    return None


def require(kit: Any, up_to: str) -> None:
    """Stop, with one sentence naming the notebook to run first, unless everything notebooks
    01 to ``up_to`` make exists.

    Raises:
        RunFirst: something is missing.
    """
    sentence = missing_step(kit, up_to)
    if sentence is not None:
        raise RunFirst(sentence)
