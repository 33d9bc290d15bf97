"""STS's records: the temporary credentials it handed out, and who signed a request.

STS is global: its records live in the account-wide partition. One kind, ``session``, keyed by
the temporary access key id (``ASIA…``), one record a set of credentials:

- ``Type``: ``AssumedRole`` (``AssumeRole``) or ``SessionToken`` (``GetSessionToken``);
- ``AccessKeyId``, ``SecretAccessKey``, ``SessionToken``, ``Expiration`` (epoch seconds of the
  local clock);
- an assumed role's ``RoleArn``, ``RoleName``, ``SessionName``, ``AssumedRoleId``
  (``AROA…:<session>``), ``Arn`` (``arn:aws:sts::<account>:assumed-role/<role>/<session>``) and
  its session ``Tags``;
- a session token's ``UserName`` (``None`` when the account itself asked for it).

IAM's authorization (:mod:`bgkit.local.services.iam.authorization`) reads the key a request is
signed with, finds its session here (:func:`live_session`) and decides the request as the
assumed role's; it leaves the key in ``ctx.extras[SIGNED_WITH]``, from which :func:`caller_of`
says who signed (STS's ``GetCallerIdentity`` and ``AssumeRole``, ECS's account settings).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import Records, RequestContext
from bgkit.local.services.iam.models import user_by_access_key, users

__all__ = [
    "ASSUMED_ROLE", "SESSION", "SESSION_TOKEN", "SIGNED_WITH", "Caller", "caller_of",
    "live_session", "sessions",
]  # fmt: skip

SESSION = "session"
ASSUMED_ROLE = "AssumedRole"
SESSION_TOKEN = "SessionToken"
#: the ``ctx.extras`` key of the access key id a request is signed with
SIGNED_WITH = "signed_with"
#: services whose expired-credentials code is ``ExpiredToken`` (the XML ones); the JSON ones
#: answer ``ExpiredTokenException``
XML_STYLE = {"sts", "iam", "elbv2", "ec2", "s3", "cloudwatch"}


def sessions(ctx: RequestContext) -> Records:
    """The account's temporary credentials, keyed by access key id."""
    return ctx.records(SESSION, global_=True)


def live_session(ctx: RequestContext, access_key_id: str) -> dict[str, Any] | None:
    """The session whose temporary key is ``access_key_id``, ``None`` for a key STS did not hand
    out.

    Raises:
        ServiceError: ``ExpiredToken`` (``ExpiredTokenException`` for a JSON service) when the
            credentials have expired, in the words every service answers them with ("The
            security token included in the request is expired").
    """
    if not access_key_id.startswith("ASIA"):
        return None
    record = sessions(ctx).get(access_key_id)
    if record is not None and record["Expiration"] <= ctx.now():
        code = "ExpiredToken" if ctx.service in XML_STYLE else "ExpiredTokenException"
        raise ServiceError(
            code, "The security token included in the request is expired", status=403
        )
    return record


@dataclass(frozen=True)
class Caller:
    """Who signed a request: its ARN, its ``UserId`` as ``GetCallerIdentity`` says it, and
    the session it signed with (``None`` for long-term credentials)."""

    arn: str
    user_id: str
    kind: str  # "Account", "User" or "AssumedRole"
    session: Mapping[str, Any] | None = None
    user_name: str | None = None

    @property
    def principal_arn(self) -> str:
        """The IAM principal behind the caller: an assumed role session's role, else itself
        (``aws:PrincipalArn``)."""
        if self.kind == ASSUMED_ROLE and self.session is not None:
            return self.session["RoleArn"]
        return self.arn


def caller_of(ctx: RequestContext) -> Caller:
    """The caller of this request, from the key it was signed with."""
    key = ctx.extras.get(SIGNED_WITH, "")
    session = live_session(ctx, key) if key else None
    if session is not None and session["Type"] == ASSUMED_ROLE:
        return Caller(session["Arn"], session["AssumedRoleId"], ASSUMED_ROLE, session)
    user = None
    if session is not None and session.get("UserName"):
        user = users(ctx).get(session["UserName"].lower())
    elif session is None and key:
        user = user_by_access_key(ctx, key)
    if user is not None:
        return Caller(user["Arn"], user["UserId"], "User", session, user["UserName"])
    return Caller(ctx.arn("iam", "root", global_=True), ctx.account, "Account", session)
