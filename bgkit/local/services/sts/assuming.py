"""Who calls STS, and whether they may assume a role: ``AssumeRole``'s decision and its credentials.

The caller is the one who signed the request (:func:`.models.caller_of`): a role session STS
handed out, an IAM user by one of its access keys, or else the account itself — the local
cloud's default caller, whatever dummy keys sign. AWS refuses ``AssumeRole`` to a root login
("Roles may not be assumed by root accounts"); the local cloud's default caller stands for the
account's administrator rather than its root login, so a trust policy that trusts the account
lets it assume the role.

The decision follows the IAM User Guide (*How to use trust policies with IAM roles*, *Policy
evaluation logic*): the role's trust policy must allow ``sts:AssumeRole`` for the caller —
named by its ARN (a user, an assumed role session, or the session's role), by its account (the
account id or ``arn:aws:iam::<account>:root``), or by ``*`` — with its conditions holding over the
request's keys (``sts:ExternalId``, ``sts:RoleSessionName``, ``aws:RequestTag/…``,
``aws:PrincipalArn`` …); session tags need ``sts:TagSession`` in the trust policy too. The
caller's own ``sts:AssumeRole`` permission on the role is decided by IAM's authorization before
the provider runs. Either refusal is the same ``AccessDenied``, and a role that does not exist
is refused with it too (STS does not tell).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.iam.models import find_role, role_trusts
from bgkit.local.services.sts.models import ASSUMED_ROLE, Caller, sessions

__all__ = ["assumed_role", "check_session_name", "check_session_policy", "issue"]

#: the patterns of the model's ``roleSessionNameType`` and ``tagKeyType``/``tagValueType``
SESSION_NAME = re.compile(r"[\w+=,.@-]*")
TAG_TEXT = re.compile(r"[\w\s.:/=+\-@]*")
#: role chaining caps a session at an hour (AssumeRole API reference, *DurationSeconds*)
CHAINED_LIMIT = 3600
SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def check_session_name(name: str, member: str = "roleSessionName") -> None:
    """Refuse a session name outside the model's pattern, in STS's front end's words."""
    if not SESSION_NAME.fullmatch(name):
        raise ServiceError(
            "ValidationError",
            f"1 validation error detected: Value '{name}' at '{member}' failed to satisfy "
            rf"constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*",
        )


def assumed_role(
    ctx: RequestContext,
    caller: Caller,
    role_arn: str,
    session_name: str,
    duration: int | None,
    external_id: str | None,
    tags: list[dict[str, str]],
) -> dict[str, Any]:
    """The role record ``caller`` may assume as ``session_name``, or STS's refusal.

    Raises:
        ServiceError: ``ValidationError`` for an ARN that is not a role's or a duration past
            the role's ``MaxSessionDuration`` (or the hour of role chaining); ``AccessDenied``
            when the role does not exist or its trust policy does not let the caller assume it.
    """
    if not re.fullmatch(r"arn:[\w-]+:iam::\d{12}:role/[\w+=,.@/-]+", role_arn):
        # STS's answer to a RoleArn that is not an IAM role's (quoted in
        # oktadev/okta-aws-cli-assume-role#307)
        raise ServiceError("ValidationError", "Request ARN is invalid")
    check_session_name(session_name)
    for tag in tags:
        check_tag(tag)
    denied = ServiceError(
        "AccessDenied",
        f"User: {caller.arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
        status=403,
    )
    role = find_role(ctx, role_arn)
    if role is None:
        raise denied
    context = request_context(ctx, caller, session_name, external_id, tags)
    how = {"kind": "AWS", "aliases": aliases(ctx, caller)}
    if not role_trusts(ctx, role_arn, caller.arn, context, **how):
        raise denied
    if tags and not role_trusts(ctx, role_arn, caller.arn, context, action="sts:TagSession", **how):
        raise ServiceError(
            "AccessDenied",
            f"User: {caller.arn} is not authorized to perform: sts:TagSession on resource: "
            f"{role_arn}",
            status=403,
        )
    if duration is not None:
        if caller.kind == ASSUMED_ROLE and duration > CHAINED_LIMIT:
            # AssumeRole API reference: "if you assume a role using role chaining and provide a
            # DurationSeconds parameter value greater than one hour, the operation fails"
            raise ServiceError(
                "ValidationError",
                "The requested DurationSeconds exceeds the 1 hour session limit for roles "
                "assumed by role chaining.",
            )
        if duration > role["MaxSessionDuration"]:
            # STS's wording (quoted in kreuzwerker/awsu#27 and aws-azure-login#93)
            raise ServiceError(
                "ValidationError",
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            )
    return role


def check_session_policy(policy: str | None) -> None:
    """Refuse a session policy that is not a JSON policy document (``MalformedPolicyDocument``,
    the model's error for it)."""
    if policy is None:
        return
    try:
        document = json.loads(policy)
    except ValueError:
        document = None
    if not isinstance(document, dict) or "Statement" not in document:
        raise ServiceError(
            "MalformedPolicyDocument",
            "The session policy is not a JSON policy document with a Statement.",
        )


def check_tag(tag: Mapping[str, str]) -> None:
    """Refuse a session tag outside the model's patterns (``tagKeyType``, ``tagValueType``)."""
    for member, value in (("key", tag["Key"]), ("value", tag["Value"])):
        if not TAG_TEXT.fullmatch(value):
            raise ServiceError(
                "ValidationError",
                f"1 validation error detected: Value '{value}' at 'tags.member.{member}' failed "
                r"to satisfy constraint: Member must satisfy regular expression pattern: "
                r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*",
            )


def aliases(ctx: RequestContext, caller: Caller) -> list[str]:
    """The other names a trust policy may give ``caller`` by: its account, and for a role
    session the role itself."""
    names = [ctx.account, ctx.arn("iam", "root", global_=True)]
    if caller.session is not None and caller.kind == ASSUMED_ROLE:
        names.append(caller.session["RoleArn"])
    return names


def request_context(
    ctx: RequestContext,
    caller: Caller,
    session_name: str,
    external_id: str | None,
    tags: list[dict[str, str]],
) -> dict[str, Any]:
    """The condition keys of an ``AssumeRole`` request (IAM User Guide, *Available keys for
    AWS STS*, *AWS global condition context keys*)."""
    context: dict[str, Any] = {
        "aws:PrincipalArn": caller.principal_arn,
        "aws:PrincipalAccount": ctx.account,
        "aws:PrincipalType": caller.kind,
        "aws:userid": caller.user_id,
        "aws:RequestedRegion": ctx.region,
        "sts:RoleSessionName": session_name,
    }
    if caller.user_name:
        context["aws:username"] = caller.user_name
    if external_id is not None:
        context["sts:ExternalId"] = external_id
    if tags:
        context["aws:TagKeys"] = [t["Key"] for t in tags]
        context.update({f"aws:RequestTag/{t['Key']}": t["Value"] for t in tags})
    return context


def issue(ctx: RequestContext, duration: int, **record: Any) -> dict[str, Any]:
    """New temporary credentials (``ASIA…``) valid for ``duration`` seconds of the local clock,
    saved with ``record``; the ``Credentials`` shape of the answer."""
    key = "ASIA" + ctx.ids.upper("session-key", 16)
    secret = ctx.ids.draw("session-secret", SECRET_ALPHABET, 40)
    digest = hashlib.sha256(f"{key}:{secret}".encode()).digest() * 8
    token = "IQoJb3JpZ2luX2VjE" + base64.b64encode(digest).decode()
    expiration = ctx.now() + duration
    sessions(ctx).put(
        key,
        {"AccessKeyId": key, "SecretAccessKey": secret, "SessionToken": token,
         "Expiration": expiration, **record},
    )  # fmt: skip
    return {
        "AccessKeyId": key,
        "SecretAccessKey": secret,
        "SessionToken": token,
        "Expiration": expiration,
    }
