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
assumed role's; it leaves the key in ``ctx.extras[SIGNED_WITH]`` so that STS answers
``GetCallerIdentity`` and ``AssumeRole`` for the caller who signed.
"""

from __future__ import annotations

from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import Records, RequestContext

__all__ = ["ASSUMED_ROLE", "SESSION", "SESSION_TOKEN", "SIGNED_WITH", "live_session", "sessions"]

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
