"""The CodeDeploy provider's records, how they are found, paged and tagged.

Records, per region (``ctx.records(kind)``), keep botocore's output shapes plus private ``_``
keys (the serialiser writes only the shape's members):

- ``application`` (key: name): ``ApplicationInfo`` + ``_tags``;
- ``deployment-group`` (key ``<application>/<group>``): ``DeploymentGroupInfo`` + ``_tags`` and
  ``_targetGroupArns`` (the pair, by the names' order);
- ``deployment-config`` (key: name): custom ``DeploymentConfigInfo`` + ``_tags``
  (:mod:`.configs`; the predefined ones have no record);
- ``codedeploy-deployment`` (key: deployment id): ``DeploymentInfo`` + ``_engine``, the
  lifecycle engine's whole state (:mod:`.engine`) — nothing is kept in memory between two
  steps (the kind is not ``deployment``, which ECS uses for its rolling deployments);
- ``codedeploy-active`` (key: deployment id): ``{deploymentId, due}`` for each deployment that
  has not ended, so that advancing the region reads only those;
- ``revision`` (key ``<application>/<sha256>``): an AppSpec's text and ``revisionInfo``.
"""

from __future__ import annotations

from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.ids import parse_arn
from bgkit.local.paging import Members, Pager
from bgkit.local.provider import RequestContext

APPLICATION = "application"
GROUP = "deployment-group"
#: not ``deployment``: ECS keeps its rolling deployments under that kind in the same region
DEPLOYMENT = "codedeploy-deployment"
ACTIVE = "codedeploy-active"
REVISION = "revision"
SERVICE = "codedeploy"
PAGE_SIZE = 100
MAX_NAME = 100


#: CodeDeploy's pages: decimal offsets, :data:`PAGE_SIZE` items (its list operations take no limit)
PAGER = Pager(
    SERVICE,
    lambda token: ServiceError("InvalidNextTokenException", "The next token is not valid"),
    size=lambda _: PAGE_SIZE,
    members={"ListTagsForResource": Members("NextToken", "NextToken", "Tags")},  # no model
)


def check_name(name: str | None, what: str, required: str, invalid: str) -> str:
    """An application or group name, or the exception AWS answers for it."""
    if not name:
        raise ServiceError(required, f"The {what} name must be specified")
    if len(name) > MAX_NAME:
        raise ServiceError(invalid, f"The {what} name must be at most {MAX_NAME} characters")
    return name


def require_application(ctx: RequestContext, name: str | None) -> dict[str, Any]:
    """An application record, or ``ApplicationDoesNotExistException``."""
    name = check_name(
        name, "application", "ApplicationNameRequiredException", "InvalidApplicationNameException"
    )
    return ctx.records(APPLICATION).require(
        name, "ApplicationDoesNotExistException", f"No application found for name: {name}"
    )


def group_key(application: str, group: str) -> str:
    return f"{application}/{group}"


def require_group(ctx: RequestContext, application: str, name: str | None) -> dict[str, Any]:
    """A deployment group record, or ``DeploymentGroupDoesNotExistException``."""
    name = check_name(
        name,
        "deployment group",
        "DeploymentGroupNameRequiredException",
        "InvalidDeploymentGroupNameException",
    )
    return ctx.records(GROUP).require(
        group_key(application, name),
        "DeploymentGroupDoesNotExistException",
        f"No Deployment Group found for name: {name}",
    )


def require_deployment(ctx: RequestContext, deployment_id: str | None) -> dict[str, Any]:
    """A deployment record, or the exception AWS answers for the id."""
    if not deployment_id:
        raise ServiceError("DeploymentIdRequiredException", "The deployment ID must be specified")
    if not deployment_id.startswith("d-") or len(deployment_id) != 11:
        raise ServiceError(
            "InvalidDeploymentIdException",
            f"{deployment_id} is not a deployment ID (they look like d-A1B2C3D4E)",
        )
    return ctx.records(DEPLOYMENT).require(
        deployment_id,
        "DeploymentDoesNotExistException",
        f"The deployment {deployment_id} could not be found",
    )


def public_deployment(record: dict[str, Any]) -> dict[str, Any]:
    """``DeploymentInfo`` as GetDeployment shows it: the AppSpec's content is always null."""
    info = {k: v for k, v in record.items() if not k.startswith("_")}
    for member in ("revision", "previousRevision"):
        revision = info.get(member)
        if revision and revision.get("appSpecContent"):
            info[member] = {
                **revision,
                "appSpecContent": {"sha256": revision["appSpecContent"].get("sha256")},
            }
    return info


# --- ARNs and tags -------------------------------------------------------------------------


def group_arn(ctx: RequestContext, application: str, name: str) -> str:
    return ctx.arn(SERVICE, f"deploymentgroup:{application}/{name}")


def check_tags(tags: list[dict[str, str]] | None) -> list[dict[str, str]]:
    """Tags as sent, checked: keys present, at most 50."""
    tags = list(tags or [])
    if len(tags) > 50 or any(not tag.get("Key") for tag in tags):
        raise ServiceError(
            "InvalidTagsToAddException", "Tags must have keys, and a resource at most 50 tags"
        )
    return [{"Key": t["Key"], "Value": t.get("Value", "")} for t in tags]


def tagged_record(ctx: RequestContext, arn: str | None) -> tuple[str, str, dict[str, Any]]:
    """``(kind, key, record)`` of an application, group or config ARN."""
    if not arn:
        raise ServiceError("ResourceArnRequiredException", "The resource ARN must be specified")
    parts = parse_arn(arn)
    if parts is None or parts["service"] != SERVICE or ":" not in parts["resource"]:
        raise ServiceError("InvalidArnException", f"{arn} is not a CodeDeploy ARN")
    kind, _, name = parts["resource"].partition(":")
    if kind == "application":
        return APPLICATION, name, require_application(ctx, name)
    if kind == "deploymentgroup" and "/" in name:
        application, group = name.split("/", 1)
        return GROUP, group_key(application, group), require_group(ctx, application, group)
    if kind == "deploymentconfig":
        record = ctx.records("deployment-config").get(name)
        if record is None:
            raise ServiceError(
                "DeploymentConfigDoesNotExistException",
                f"No custom deployment configuration found for name: {name} (the predefined "
                "configurations cannot be tagged)",
            )
        return "deployment-config", name, record
    raise ServiceError(
        "ArnNotSupportedException",
        f"{arn} cannot be tagged: tag applications, deployment groups or deployment configs",
    )
