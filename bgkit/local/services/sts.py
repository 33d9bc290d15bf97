"""The STS provider: who the caller is.

The local cloud does not check credentials: whatever dummy keys a client signs with, it acts as
the root user of the local account (``123456789012``). ``GetCallerIdentity`` says so exactly as
AWS answers for root credentials: the account id as ``UserId`` and ``arn:aws:iam::<account>:root``
as ``Arn``.
"""

from __future__ import annotations

from typing import Any

from bgkit.local.provider import Provider, RequestContext


class StsProvider(Provider):
    """AWS Security Token Service: the caller's identity."""

    service = "sts"

    def get_caller_identity(self, ctx: RequestContext) -> dict[str, Any]:
        return {
            "UserId": ctx.account,
            "Account": ctx.account,
            "Arn": ctx.arn("iam", "root", global_=True),
        }
