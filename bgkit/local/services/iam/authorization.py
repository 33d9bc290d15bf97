"""Who calls the local cloud, and whether they may: requests signed with an IAM user's key.

The local cloud takes any credentials and answers as the account itself (the default caller,
allowed everything, as before). A request signed with the access key of an IAM user made here
(``CreateUser``, ``CreateAccessKey``) is the user's: :func:`authorize` asks IAM's questions of it
before the provider answers, and refuses it as the service refuses a caller without the
permission (``AccessDenied``, ``AccessDeniedException``, EC2's ``UnauthorizedOperation``) in
AWS's wording. The signature is not verified; on loopback the key id is the identity.

A request signed with temporary credentials STS handed out (``ASIA…``, found through
:mod:`bgkit.local.services.sts.models`) is its session's: an assumed role's session is decided
on the role's policies and boundary with the session's condition keys and named
``arn:aws:sts::<account>:assumed-role/<role>/<session>`` in refusals; a session token is the
user's it was issued to; expired ones are refused with ``ExpiredToken``. ``AssumeRole`` is
decided on the role it names.

The questions (:func:`questions`) follow the Service Authorization Reference: the operation's
action (``elasticloadbalancing:`` for ELBv2; S3's operations by the action they need:
``HeadObject`` is ``s3:GetObject``); the dependent actions AWS checks behind it — ``iam:PassRole``
of each role the request hands to a service (with ``iam:PassedToService``) and the tagging action
of a create request that carries tags; and their condition keys: the principal's
(``aws:PrincipalArn``, ``aws:PrincipalTag/…``, ``aws:username``, ``aws:RequestedRegion`` …), the
request's tags (``aws:RequestTag/…``, ``aws:TagKeys``), and IAM's own
(``iam:PermissionsBoundary``, ``iam:PolicyARN``, ``aws:ResourceTag/…`` of the role or user).

Each question is decided by the user's identity policies capped by the user's permissions
boundary (:mod:`.boundaries`). Resources: IAM's operations name their role, user or policy ARN
and ``iam:PassRole`` the role passed; the other services' requests are decided on ``*`` — the
local cloud does not derive their resource ARNs, so a policy that scopes them by ARN denies
here what AWS may allow (the workshop policy leaves them on ``*``; docs/workshop.md says why).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.iam.boundaries import bounded_decision
from bgkit.local.services.iam.evaluation import NamedPolicy, evaluate
from bgkit.local.services.iam.models import (
    boundary_policies,
    entity_policies,
    find_role,
    managed_policy,
    not_authorized_message,
    user_by_access_key,
    users,
)
from bgkit.local.services.iam.users import CALLER
from bgkit.local.services.sts.models import ASSUMED_ROLE, SIGNED_WITH, live_session

__all__ = ["Question", "authorize", "questions"]

#: botocore service name → IAM action prefix, where they differ
ACTION_PREFIX = {"elbv2": "elasticloadbalancing"}
#: operations whose action is not named after them (S3 User Guide, *Required permissions for
#: Amazon S3 API operations*; Lambda's ``Invoke`` is ``lambda:InvokeFunction``)
RENAMED = {
    ("s3", "HeadBucket"): "ListBucket",
    ("s3", "HeadObject"): "GetObject",
    ("s3", "ListBuckets"): "ListAllMyBuckets",
    ("s3", "ListObjects"): "ListBucket",
    ("s3", "ListObjectsV2"): "ListBucket",
    ("s3", "ListObjectVersions"): "ListBucketVersions",
    ("s3", "DeleteObjects"): "DeleteObject",
    ("lambda", "Invoke"): "InvokeFunction",
}
#: S3 operations that need the ``…Version`` action when they name a version
VERSIONED = {("s3", "GetObject"), ("s3", "HeadObject"), ("s3", "DeleteObject")}
#: operations that need no permission
FREE = {("sts", "GetCallerIdentity"), ("sts", "GetSessionToken")}
#: operations decided on the resource a member names rather than on ``*``
RESOURCE_MEMBER = {("sts", "AssumeRole"): "RoleArn"}
#: how each service refuses a caller without the permission (its error shapes)
DENIED = {"ec2": "UnauthorizedOperation", "iam": "AccessDenied", "elbv2": "AccessDenied",
          "s3": "AccessDenied", "sts": "AccessDenied"}  # fmt: skip
#: the action that tags what a create request makes, by service
TAGGING = {"ecs": "ecs:TagResource", "codedeploy": "codedeploy:TagResource",
           "codepipeline": "codepipeline:TagResource", "logs": "logs:TagResource",
           "lambda": "lambda:TagResource", "elbv2": "elasticloadbalancing:AddTags",
           "ec2": "ec2:CreateTags", "sts": "sts:TagSession"}  # fmt: skip
IAM_TAGGING = {"CreateRole": "iam:TagRole", "CreateUser": "iam:TagUser",
               "CreatePolicy": "iam:TagPolicy"}  # fmt: skip
#: where a request hands a role to a service: (service, operation) → [(path, principal)]
#: a path is member names, ``[]`` for each item of a list
ECS, ECS_TASKS = "ecs.amazonaws.com", "ecs-tasks.amazonaws.com"
PASSED = {
    ("ecs", "RegisterTaskDefinition"): [(("executionRoleArn",), ECS_TASKS),
                                        (("taskRoleArn",), ECS_TASKS)],
    **{("ecs", op): [(("role",), ECS),
                     (("loadBalancers", "[]", "advancedConfiguration", "roleArn"), ECS),
                     (("deploymentConfiguration", "lifecycleHooks", "[]", "roleArn"), ECS)]
       for op in ("CreateService", "UpdateService")},
    **{("codedeploy", op): [(("serviceRoleArn",), "codedeploy.amazonaws.com")]
       for op in ("CreateDeploymentGroup", "UpdateDeploymentGroup")},
    **{("codepipeline", op): [(("pipeline", "roleArn"), "codepipeline.amazonaws.com")]
       for op in ("CreatePipeline", "UpdatePipeline")},
    **{("lambda", op): [(("Role",), "lambda.amazonaws.com")]
       for op in ("CreateFunction", "UpdateFunctionConfiguration")},
}  # fmt: skip
#: IAM operations whose ``iam:PermissionsBoundary`` is the role's or user's boundary as it is
ON_BOUNDED = {
    f"{verb}{kind}{what}"
    for kind in ("Role", "User")
    for verb, what in (("Attach", "Policy"), ("Detach", "Policy"), ("Put", "Policy"),
                       ("Delete", "Policy"), ("Delete", "PermissionsBoundary"))
}  # fmt: skip


#: IAM operations on the calling user when they name none
ON_CALLER = {"GetUser", "CreateAccessKey", "ListAccessKeys", "DeleteAccessKey"}


@dataclass(frozen=True)
class Question:
    """One thing IAM decides about a request: an action on a resource with condition keys."""

    action: str
    resource: str = "*"
    context: Mapping[str, Any] = field(default_factory=dict)


def authorize(ctx: RequestContext, access_key_id: str, params: Mapping[str, Any]) -> None:
    """Refuse the request if it is an IAM user's (signed with one of its access keys) and the
    user may not make it; a request signed with any other key is the account's, allowed.

    Args:
        ctx: the call's context (its ``service`` and ``operation`` say what is asked); the
            calling user's name is left in ``ctx.extras`` for ``GetUser`` without a name.
        access_key_id: the key the request is signed with (its SigV4 credential scope).
        params: the request's members, by the service model's names.

    Raises:
        ServiceError: the service's refusal of a caller without the permission.
    """
    ctx.extras[SIGNED_WITH] = access_key_id
    session = live_session(ctx, access_key_id)
    if session is not None and session["Type"] == ASSUMED_ROLE:
        # temporary credentials of a role: decided as the role's, named as the session
        role = find_role(ctx, session["RoleArn"]) or {"Arn": session["RoleArn"]}
        context = _session_context(ctx, role, session)
        _decide(ctx, params, role, session["Arn"], context, _session_policies(ctx, session))
        return
    if session is not None:
        # a session token: the user's it was issued to, or the account's (allowed)
        user = users(ctx).get((session["UserName"] or "").lower())
    else:
        user = user_by_access_key(ctx, access_key_id)
    if user is None:
        return
    ctx.extras[CALLER] = user["UserName"]
    _decide(ctx, params, user, user["Arn"], _principal_context(ctx, user))


def _decide(
    ctx: RequestContext,
    params: Mapping[str, Any],
    entity: Mapping[str, Any],
    caller_arn: str,
    principal: Mapping[str, Any],
    session: list[NamedPolicy] | None = None,
) -> None:
    """Ask each question of the request of ``entity``'s policies (capped by its boundary, and
    by the ``session`` policies of a role session that has them); refuse the first denied one,
    naming the caller by ``caller_arn``."""
    identity, boundary = entity_policies(ctx, entity), boundary_policies(ctx, entity)
    for question in questions(ctx, params):
        context = {**principal, **question.context}
        decision = bounded_decision(identity, boundary, question.action, question.resource, context)
        if decision and session is not None:
            capped = evaluate(session, question.action, question.resource, context)
            decision = decision if capped else replace(capped, layer="session policy")
        if not decision:
            message = not_authorized_message(
                caller_arn, question.action, question.resource, decision
            )
            raise ServiceError(
                DENIED.get(ctx.service, "AccessDeniedException"), message, status=403
            )


def _session_policies(ctx: RequestContext, session: Mapping[str, Any]) -> list[NamedPolicy] | None:
    """The session policies ``AssumeRole`` was given (``Policy``, ``PolicyArns``), or ``None``
    without any: the session may do only what both they and the role allow (IAM User Guide,
    *Session policies*); an ARN whose policy is gone allows nothing."""
    text, arns = session.get("Policy"), session.get("PolicyArns") or []
    if text is None and not arns:
        return None
    found = [NamedPolicy("session policy", json.loads(text))] if text else []
    for arn in arns:
        policy = managed_policy(ctx, arn)
        if policy is not None:
            found.append(NamedPolicy(arn, json.loads(policy["Document"])))
    return found


def _session_context(
    ctx: RequestContext, role: Mapping[str, Any], session: Mapping[str, Any]
) -> dict[str, Any]:
    """The global condition keys of a request signed by a role session: the role's ARN as
    ``aws:PrincipalArn``, ``AROA…:<session>`` as ``aws:userid``, the role's tags overridden by
    the session's as ``aws:PrincipalTag/…`` (IAM User Guide, *AWS global condition context
    keys*, *Passing session tags in AWS STS*)."""
    context = _principal_context(ctx, {**role, "Tags": role.get("Tags", []) + session["Tags"]})
    del context["aws:username"]
    context.update({"aws:PrincipalType": "AssumedRole", "aws:userid": session["AssumedRoleId"]})
    return context


def _principal_context(ctx: RequestContext, user: Mapping[str, Any]) -> dict[str, Any]:
    """The global condition keys of a request made by ``user`` (IAM User Guide, *AWS global
    condition context keys*)."""
    now = ctx.now()
    context: dict[str, Any] = {
        "aws:PrincipalArn": user["Arn"],
        "aws:PrincipalAccount": ctx.account,
        "aws:PrincipalType": "User",
        "aws:username": user.get("UserName"),
        "aws:userid": user.get("UserId"),
        "aws:RequestedRegion": ctx.region,
        "aws:SecureTransport": False,
        "aws:CurrentTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
        "aws:EpochTime": str(int(now)),
    }
    for tag in user.get("Tags", []):
        context[f"aws:PrincipalTag/{tag['Key']}"] = tag["Value"]
    return context


def questions(ctx: RequestContext, params: Mapping[str, Any]) -> list[Question]:
    """What IAM decides about the call ``ctx.service``/``ctx.operation`` with ``params``: the
    operation's action first, then the dependent ones."""
    service, operation = ctx.service, ctx.operation
    if (service, operation) in FREE:
        return []
    name = RENAMED.get((service, operation), operation)
    if (service, operation) in VERSIONED and params.get("VersionId"):
        name = operation.replace("Head", "Get") + "Version"
    action = f"{ACTION_PREFIX.get(service, service)}:{name}"
    tags = request_tags(params)
    tagged = _tag_context(tags) if tags else {}
    if service == "iam":
        resource, context = _iam_target(ctx, operation, params)
        found = [Question(action, resource, {**context, **tagged})]
        tagging = IAM_TAGGING.get(operation)
    else:
        resource = params.get(RESOURCE_MEMBER.get((service, operation), ""), "*")
        found = [Question(action, resource, tagged)]
        tagging = TAGGING.get(service)
    if tags and tagging and tagging != action:
        found.append(Question(tagging, found[0].resource, tagged))
    for role, principal in _passed_roles(params, PASSED.get((service, operation), [])):
        arn = role if role.startswith("arn:") else f"arn:aws:iam::{ctx.account}:role/{role}"
        record = find_role(ctx, arn)
        context = {"iam:PassedToService": principal}
        context.update(_resource_tags(record))
        found.append(Question("iam:PassRole", record["Arn"] if record else arn, context))
    return found


def request_tags(params: Mapping[str, Any]) -> dict[str, str]:
    """The tags a request gives what it makes: ``tags``/``Tags`` as a list of key-value pairs
    (any spelling) or a map, and EC2's ``TagSpecifications``."""
    found: dict[str, str] = {}
    given = params.get("tags", params.get("Tags"))
    items: list[Any] = []
    if isinstance(given, Mapping):
        found.update({str(k): str(v) for k, v in given.items()})
    elif isinstance(given, list):
        items += given
    for spec in params.get("TagSpecifications") or []:
        items += spec.get("Tags", [])
    for item in items:
        if isinstance(item, Mapping):
            key, value = item.get("Key", item.get("key")), item.get("Value", item.get("value"))
            if key is not None:
                found[str(key)] = "" if value is None else str(value)
    return found


def _tag_context(tags: Mapping[str, str]) -> dict[str, Any]:
    return {"aws:TagKeys": list(tags), **{f"aws:RequestTag/{k}": v for k, v in tags.items()}}


def _resource_tags(record: Mapping[str, Any] | None) -> dict[str, str]:
    if record is None:
        return {}
    return {f"aws:ResourceTag/{t['Key']}": t["Value"] for t in record.get("Tags", [])}


def _walk(value: Any, path: tuple[str, ...]) -> Iterator[Any]:
    if not path:
        yield value
        return
    head, rest = path[0], path[1:]
    if head == "[]":
        for item in value if isinstance(value, list) else []:
            yield from _walk(item, rest)
    elif isinstance(value, Mapping) and value.get(head) is not None:
        yield from _walk(value[head], rest)


def _passed_roles(
    params: Mapping[str, Any], places: list[tuple[tuple[str, ...], str]]
) -> Iterator[tuple[str, str]]:
    seen = set()
    for path, principal in places:
        for role in _walk(params, path):
            if isinstance(role, str) and role and (role, principal) not in seen:
                seen.add((role, principal))
                yield role, principal


def _iam_target(
    ctx: RequestContext, operation: str, params: Mapping[str, Any]
) -> tuple[str, dict[str, Any]]:
    """The resource an IAM operation acts on, and IAM's condition keys for it."""
    account = ctx.account
    context: dict[str, Any] = {}
    record: Mapping[str, Any] | None = None
    if "RoleName" in params:
        record = find_role(ctx, params["RoleName"])
        path = params.get("Path", "/")
        resource = (
            record["Arn"] if record else f"arn:aws:iam::{account}:role{path}{params['RoleName']}"
        )
    elif "UserName" in params or operation in ON_CALLER:
        name = params.get("UserName") or ctx.extras.get(CALLER, "")
        record = users(ctx).get(name.lower())
        path = params.get("Path", "/")
        resource = record["Arn"] if record else f"arn:aws:iam::{account}:user{path}{name}"
    elif "PolicyArn" in params:
        resource = params["PolicyArn"]
    elif operation == "CreatePolicy":
        resource = f"arn:aws:iam::{account}:policy{params.get('Path', '/')}{params['PolicyName']}"
    elif "PolicySourceArn" in params:
        resource = params["PolicySourceArn"]
    else:
        resource = "*"
    if params.get("PermissionsBoundary"):
        context["iam:PermissionsBoundary"] = params["PermissionsBoundary"]
    elif operation in ON_BOUNDED and record is not None and record.get("PermissionsBoundary"):
        context["iam:PermissionsBoundary"] = record["PermissionsBoundary"]
    if "PolicyArn" in params and ("RoleName" in params or "UserName" in params):
        context["iam:PolicyARN"] = params["PolicyArn"]
    context.update(_resource_tags(record))
    return resource, context
