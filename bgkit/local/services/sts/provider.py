"""The STS provider: who the caller is, and temporary credentials.

The caller is whoever signed the request (:func:`.assuming.caller_of`): a role session or a
session token STS handed out, an IAM user by its access key, or — with any other keys, the local
cloud's dummy ones — the account itself. ``GetCallerIdentity`` answers as AWS does for each: the
account id and ``arn:aws:iam::<account>:root`` for the account, the user's id and ARN for a user
(also through its session token), ``AROA…:<session>`` and the ``assumed-role/<role>/<session>``
ARN for a role session. It needs no permission (AWS's API reference says so).

``AssumeRole`` hands out credentials (``ASIA…``, a secret, a session token, the expiration) once
:mod:`.assuming` has decided the trust policy allows it; requests signed with them are decided
as the role's by IAM's authorization. ``GetSessionToken`` needs no permission either, cannot be
called with session credentials, and lasts 900 s to 36 h for a user (12 h by default) and up to
an hour for the account (the API reference's *Session Duration*). The two federated operations
are answered by :mod:`.federation`.
"""

from __future__ import annotations

from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import Provider, RequestContext
from bgkit.local.services.sts.assuming import assumed_role, check_session_policy, issue
from bgkit.local.services.sts.federation import refuse_saml, refuse_web_identity
from bgkit.local.services.sts.models import ASSUMED_ROLE, SESSION_TOKEN, caller_of

#: GetSessionToken's durations (API reference, *Session Duration*): user default, account cap
USER_DEFAULT, ACCOUNT_LIMIT = 43200, 3600


class StsProvider(Provider):
    """AWS Security Token Service: the caller's identity and temporary credentials."""

    service = "sts"

    def get_caller_identity(self, ctx: RequestContext) -> dict[str, Any]:
        caller = caller_of(ctx)
        return {"UserId": caller.user_id, "Account": ctx.account, "Arn": caller.arn}

    def assume_role(
        self,
        ctx: RequestContext,
        role_arn: str,
        role_session_name: str,
        duration_seconds: int | None = None,
        external_id: str | None = None,
        tags: list[dict[str, str]] | None = None,
        source_identity: str | None = None,
        policy: str | None = None,
        policy_arns: list[dict[str, str]] | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        caller = caller_of(ctx)
        tags = tags or []
        check_session_policy(policy)
        role = assumed_role(
            ctx, caller, role_arn, role_session_name, duration_seconds, external_id, tags
        )
        assumed_id = f"{role['RoleId']}:{role_session_name}"
        arn = ctx.arn("sts", f"assumed-role/{role['RoleName']}/{role_session_name}", global_=True)
        credentials = issue(
            ctx, duration_seconds or 3600, Type=ASSUMED_ROLE, RoleArn=role["Arn"],
            RoleName=role["RoleName"], SessionName=role_session_name, AssumedRoleId=assumed_id,
            Arn=arn, Tags=tags, SourceIdentity=source_identity, Policy=policy,
            PolicyArns=[p["arn"] for p in policy_arns or []],
        )  # fmt: skip
        answer: dict[str, Any] = {
            "Credentials": credentials,
            "AssumedRoleUser": {"AssumedRoleId": assumed_id, "Arn": arn},
        }
        if source_identity is not None:
            answer["SourceIdentity"] = source_identity
        return answer

    def get_session_token(
        self, ctx: RequestContext, duration_seconds: int | None = None, **_: Any
    ) -> dict[str, Any]:
        caller = caller_of(ctx)
        if caller.session is not None:
            raise ServiceError(
                "AccessDenied", "Cannot call GetSessionToken with session credentials", status=403
            )
        if caller.kind == "Account":
            duration = min(duration_seconds or ACCOUNT_LIMIT, ACCOUNT_LIMIT)
        else:
            duration = duration_seconds or USER_DEFAULT
        credentials = issue(ctx, duration, Type=SESSION_TOKEN, UserName=caller.user_name)
        return {"Credentials": credentials}

    def assume_role_with_web_identity(
        self,
        ctx: RequestContext,
        role_arn: str,
        role_session_name: str,
        web_identity_token: str,
        provider_id: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        refuse_web_identity(role_arn, role_session_name, web_identity_token, provider_id)
        return {}

    def assume_role_with_saml(
        self,
        ctx: RequestContext,
        role_arn: str,
        principal_arn: str,
        saml_assertion: str,
        **_: Any,
    ) -> dict[str, Any]:
        refuse_saml(role_arn, principal_arn, saml_assertion)
        return {}
