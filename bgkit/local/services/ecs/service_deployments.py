"""ECS service deployments and revisions: :class:`ServiceDeploymentOperations`.

``DescribeServiceDeployments``, ``ListServiceDeployments``, ``ContinueServiceDeployment``,
``StopServiceDeployment`` and ``DescribeServiceRevisions`` over the records of the blue/green
engine (:mod:`.bluegreen.engine`): the deployments of ``BLUE_GREEN``, ``LINEAR`` and ``CANARY``
services (a rolling service's deployments are its ``deployments`` in ``DescribeServices``).

Messages marked [V] are AWS's (troubleshooting-blue-green, "Lifecycle hook issues"); the error
codes of those refusals are not published — ``InvalidParameterException`` is [I].
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.ecs.bluegreen import engine as engine
from bgkit.local.services.ecs.models import (
    BLUE_GREEN,
    PAGER,
    SERVICE_REVISION,
    described,
    find_service,
    invalid,
    public,
)

MAX_ARNS = 20
NOT_FOUND = "The service deployment does not exist."  # [V]
HOOK_FORMAT = "Invalid hookId: hookId must follow the format: ecs-{hookType}-{id}"  # [V]
HOOK_GONE = (  # [V]
    "Provided hookId is either completed, unavailable, or not associated with the given "
    "Resource ARN"
)
TERMINAL_CONTINUE = (  # [V]
    "Continuing a service deployment is not allowed for service deployment in terminal states."
)


def _find(ctx: RequestContext, arn: str) -> dict[str, Any]:
    return ctx.records(BLUE_GREEN).require(arn, "ServiceDeploymentNotFoundException", NOT_FOUND)


def _described(
    ctx: RequestContext,
    kind: str,
    arns_member: str,
    arns: list[str],
    member: str,
    show: Callable[[dict[str, Any]], dict[str, Any]],
) -> dict[str, Any]:
    """DescribeServiceDeployments or DescribeServiceRevisions: the ``kind`` records of at most
    :data:`MAX_ARNS` ARNs (given in ``arns_member``), shown under ``member``."""
    if len(arns) > MAX_ARNS:
        raise invalid(f"{arns_member} can have at most {MAX_ARNS} items.")
    return described(member, arns, ctx.records(kind).get, show)


class ServiceDeploymentOperations:
    """The service deployment operations, mixed into the ECS provider."""

    def describe_service_deployments(
        self, ctx: RequestContext, service_deployment_arns: list[str]
    ) -> dict[str, Any]:
        return _described(
            ctx,
            BLUE_GREEN,
            "serviceDeploymentArns",
            service_deployment_arns,
            "serviceDeployments",
            lambda record: engine.show(ctx, record),
        )

    def list_service_deployments(
        self,
        ctx: RequestContext,
        service: str,
        cluster: str | None = None,
        status: list[str] | None = None,
        created_at: dict[str, Any] | None = None,
        **paging: Any,
    ) -> dict[str, Any]:
        record = find_service(ctx, cluster, service)
        PAGER.limit("ListServiceDeployments", paging)  # refused before the window is read
        window = created_at or {}
        before, after = window.get("before"), window.get("after")
        found = [
            d
            for d in ctx.records(BLUE_GREEN).list()
            if d["serviceArn"] == record["serviceArn"]
            and (not status or d["status"] in status)
            and (before is None or d["createdAt"] < _epoch(before))
            and (after is None or d["createdAt"] > _epoch(after))
        ]
        found.reverse()  # newest first, also among deployments made at the same instant
        found.sort(key=lambda d: d["createdAt"], reverse=True)
        briefs = [engine.brief(d) for d in found]
        return PAGER.page("ListServiceDeployments", briefs, paging)

    def continue_service_deployment(
        self,
        ctx: RequestContext,
        service_deployment_arn: str,
        hook_id: str,
        action: str | None = None,
    ) -> dict[str, Any]:
        record = _find(ctx, service_deployment_arn)
        parts = hook_id.split("-", 2)
        if len(parts) != 3 or parts[0] != "ecs" or not parts[1] or not parts[2]:
            raise invalid(HOOK_FORMAT)
        decision = action or "CONTINUE"
        if decision not in ("CONTINUE", "ROLLBACK"):
            raise invalid("Invalid action. Valid values are: CONTINUE, ROLLBACK")
        if record["status"] in engine.TERMINAL:
            raise invalid(TERMINAL_CONTINUE)
        pending = record["_engine"].get("pending") or []
        if hook_id not in pending or record["status"] != "IN_PROGRESS":
            raise invalid(HOOK_GONE)
        record["_engine"]["decisions"][hook_id] = decision
        record["_engine"]["due"] = 0.0
        engine.run(ctx, record)
        return {"serviceDeploymentArn": service_deployment_arn}

    def stop_service_deployment(
        self, ctx: RequestContext, service_deployment_arn: str, stop_type: str | None = None
    ) -> dict[str, Any]:
        record = _find(ctx, service_deployment_arn)
        if (stop_type or "ROLLBACK") != "ROLLBACK":
            raise invalid(f"Invalid stopType {stop_type}. The valid value is ROLLBACK.")
        if record["status"] in engine.TERMINAL or record["status"].startswith("ROLLBACK"):
            raise ServiceError(
                "ConflictException",
                f"The service deployment is in the {record['status']} state and cannot be stopped.",
            )
        engine.begin_rollback(
            engine.ServiceDeploymentRun(ctx, record), engine.STOPPED_BY_USER, requested=True
        )
        ctx.records(BLUE_GREEN).put(service_deployment_arn, record)
        return {"serviceDeploymentArn": service_deployment_arn}

    def describe_service_revisions(
        self, ctx: RequestContext, service_revision_arns: list[str]
    ) -> dict[str, Any]:
        return _described(
            ctx,
            SERVICE_REVISION,
            "serviceRevisionArns",
            service_revision_arns,
            "serviceRevisions",
            public,
        )


def _epoch(value: Any) -> float:
    """A timestamp as the gateway passes it (a datetime or epoch seconds)."""
    return value.timestamp() if hasattr(value, "timestamp") else float(value)
