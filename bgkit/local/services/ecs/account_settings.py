"""ECS account settings: PutAccountSetting, PutAccountSettingDefault, ListAccountSettings and
DeleteAccountSetting.

A setting is set for a principal (an IAM user, a role, or the root user, whose setting is the
account's default for everyone without their own): records of kind ``account-setting`` keyed by
``<name> <principalArn>``, in the call's region (ECS's account settings are regional). A request
without ``principalArn`` sets the caller's own (the role, for a role session); the local cloud's
default caller is the account, so its settings are the defaults. AWS's own defaults (the Amazon
ECS Developer Guide, *Amazon ECS account settings*) answer where nothing is set:

- the long ARN formats ``enabled``, ``awsvpcTrunking`` and ``fargateEventWindows``
  ``disabled``, ``containerInsights`` ``disabled``, ``fargateFIPSMode`` ``disabled`` (it can be
  changed in the AWS GovCloud (US) Regions only), ``tagResourceAuthorization`` ``on``,
  ``fargateTaskRetirementWaitPeriod`` ``7`` (days; 0, 7 or 14, set by the root user only),
  ``defaultLogDriverMode`` ``non-blocking`` (the default since June 2025), and
  ``guardDutyActivate`` ``off``, which GuardDuty manages (``type`` ``aws_managed``, read-only);
- ``ListAccountSettings`` answers the principal's own settings, or with ``effectiveSettings``
  every setting as it applies to the principal: its own, else the account default, else AWS's.

What a setting changes: ``containerInsights`` is the default of a new cluster's setting of the
same name (``CreateCluster`` without ``settings``); the others are kept and listed — the local
cloud's ARNs are always the long ones, its tasks have no ENI trunking, FIPS or retirement.
"""

from __future__ import annotations

from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.ecs.models import PAGER, invalid
from bgkit.local.services.sts.models import caller_of

__all__ = ["AccountSettingOperations", "effective_value"]

SETTING = "account-setting"
ON_OFF, ENABLED = ("on", "off"), ("enabled", "disabled")
#: name → (AWS's default, the values it takes)
SETTINGS: dict[str, tuple[str, tuple[str, ...]]] = {
    "serviceLongArnFormat": ("enabled", ENABLED),
    "taskLongArnFormat": ("enabled", ENABLED),
    "containerInstanceLongArnFormat": ("enabled", ENABLED),
    "awsvpcTrunking": ("disabled", ENABLED),
    "containerInsights": ("disabled", ("enabled", "disabled", "enhanced")),
    "fargateFIPSMode": ("disabled", ENABLED),
    "tagResourceAuthorization": ("on", ON_OFF),
    "fargateTaskRetirementWaitPeriod": ("7", ("0", "7", "14")),
    "guardDutyActivate": ("off", ON_OFF),
    "defaultLogDriverMode": ("non-blocking", ("blocking", "non-blocking")),
    "fargateEventWindows": ("disabled", ENABLED),
}
#: settings another service manages (``type`` ``aws_managed``)
AWS_MANAGED = {"guardDutyActivate"}
#: settings only the root user sets (the model's ``principalArn`` note)
ROOT_ONLY = {"fargateTaskRetirementWaitPeriod"}


def _key(name: str, principal: str) -> str:
    return f"{name} {principal}"


def _root(ctx: RequestContext) -> str:
    return ctx.arn("iam", "root", global_=True)


def _own(ctx: RequestContext) -> str:
    """The principal whose settings the caller's are: the root user for the account, the role
    for a role session, else the user."""
    caller = caller_of(ctx)
    return _root(ctx) if caller.kind == "Account" else caller.principal_arn


def effective_value(ctx: RequestContext, name: str, principal: str | None = None) -> str:
    """The value of setting ``name`` for ``principal`` (the caller's when ``None``): its own,
    else the account default, else AWS's default."""
    records = ctx.records(SETTING)
    for arn in (principal or _own(ctx), _root(ctx)):
        record = records.get(_key(name, arn))
        if record is not None:
            return record["value"]
    return SETTINGS[name][0]


def _shown(name: str, value: str, principal: str) -> dict[str, Any]:
    kind = "aws_managed" if name in AWS_MANAGED else "user"
    return {"name": name, "value": value, "principalArn": principal, "type": kind}


class AccountSettingOperations:
    """The account settings of ECS, by principal."""

    def _principal(self, ctx: RequestContext, name: str, principal_arn: str | None) -> str:
        own = _own(ctx)
        principal = principal_arn or own
        if principal != own and own != _root(ctx):
            raise ServiceError(
                "AccessDeniedException",
                f"{caller_of(ctx).arn} may set account settings for itself only: only the root "
                f"user sets them for another principal ({principal}).",
            )
        if not principal.startswith("arn:") or ":iam::" not in principal:
            raise invalid(
                f"principalArn {principal} is not the ARN of an IAM user, role or root user."
            )
        if name in ROOT_ONLY and principal != _root(ctx):
            raise invalid(f"{name} can be set for the root user only (PutAccountSettingDefault).")
        return principal

    def _put(self, ctx: RequestContext, name: str, value: str, principal: str) -> dict[str, Any]:
        values = SETTINGS[name][1]
        if name in AWS_MANAGED:
            raise invalid(f"{name} is managed by Amazon GuardDuty and cannot be changed in ECS.")
        if name == "fargateFIPSMode" and not ctx.region.startswith("us-gov-"):
            raise invalid("fargateFIPSMode can only be changed in the AWS GovCloud (US) Regions.")
        if value not in values:
            raise invalid(
                f"The value {value!r} is not valid for {name}: use one of {', '.join(values)}."
            )
        record = _shown(name, value, principal)
        ctx.records(SETTING).put(_key(name, principal), record)
        return {"setting": record}

    def put_account_setting(
        self, ctx: RequestContext, name: str, value: str, principal_arn: str | None = None
    ) -> dict[str, Any]:
        return self._put(ctx, name, value, self._principal(ctx, name, principal_arn))

    def put_account_setting_default(
        self, ctx: RequestContext, name: str, value: str
    ) -> dict[str, Any]:
        return self._put(ctx, name, value, _root(ctx))

    def delete_account_setting(
        self, ctx: RequestContext, name: str, principal_arn: str | None = None
    ) -> dict[str, Any]:
        principal = self._principal(ctx, name, principal_arn)
        records = ctx.records(SETTING)
        record = records.get(_key(name, principal))
        if record is None:
            raise invalid(f"The account setting {name} is not set for {principal}.")
        records.delete(_key(name, principal))
        return {"setting": record}

    def list_account_settings(
        self,
        ctx: RequestContext,
        name: str | None = None,
        value: str | None = None,
        principal_arn: str | None = None,
        effective_settings: bool | None = None,
        **paging: Any,
    ) -> dict[str, Any]:
        if value is not None and name is None:
            raise invalid("value can be given only with name.")
        principal = principal_arn or _own(ctx)
        names = [name] if name else list(SETTINGS)
        found = []
        records = ctx.records(SETTING)
        for each in names:
            # its own; with effectiveSettings, else the account default's, else AWS's
            own = records.get(_key(each, principal))
            if own is None and effective_settings:
                own = records.get(_key(each, _root(ctx))) or _shown(
                    each, SETTINGS[each][0], principal
                )
            if own is not None:
                found.append(own)
        if value is not None:
            found = [s for s in found if s["value"] == value]
        return PAGER.page("ListAccountSettings", found, paging)
