"""What every provider of the local cloud is given and how it is called.

A provider is one class a service (``IamProvider``, ``Ec2Provider`` …) whose methods are named
after the operations, ``xform_name(Operation)``: ``create_role``, ``describe_vpcs``. The gateway
calls ``method(ctx, **params)`` where ``params`` are the operation's top-level input members
renamed by ``xform_name`` (``RoleName`` → ``role_name``); nested structures keep AWS's member names
exactly as the service model spells them. A method returns a plain ``dict`` keyed by the output
shape's member names (or ``None`` for an empty output); the protocol layer serialises it. A method
refuses with :class:`bgkit.errors.ServiceError` carrying AWS's error code.

Providers never touch sockets or processes: they read and write records through
:class:`RequestContext`, inside the one transaction the gateway opens for the call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from botocore import xform_name

from bgkit.errors import ServiceError
from bgkit.local.clock import Clock
from bgkit.local.ids import ACCOUNT, Ids, arn, dns_suffix, partition
from bgkit.local.store import Store

GLOBAL = "global"


class Records:
    """The records of one kind in one partition."""

    def __init__(self, store: Store, partition: str, kind: str) -> None:
        self.store = store
        self.partition = partition
        self.kind = kind

    def get(self, key: str) -> dict[str, Any] | None:
        return self.store.get(self.partition, self.kind, key)

    def require(self, key: str, code: str, message: str) -> dict[str, Any]:
        """The record, or a :class:`ServiceError` with ``code`` and ``message``."""
        record = self.get(key)
        if record is None:
            raise ServiceError(code, message)
        return record

    def put(self, key: str, record: dict[str, Any]) -> dict[str, Any]:
        self.store.put(self.partition, self.kind, key, record)
        return record

    def delete(self, key: str) -> bool:
        return self.store.delete(self.partition, self.kind, key)

    def list(self) -> list[dict[str, Any]]:
        return self.store.list(self.partition, self.kind)

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None


@dataclass
class RequestContext:
    """One API call: where it is (account, region), and the local cloud's store, clock and ids."""

    store: Store
    clock: Clock
    ids: Ids
    region: str
    service: str = ""
    operation: str = ""
    account: str = ACCOUNT
    #: who calls: ``None`` for a user's request, or the AWS service principal when one service
    #: calls another inside the local cloud (``codedeploy.amazonaws.com`` creating a task set).
    caller: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    #: every provider of the local cloud, by botocore service name (for :meth:`call`)
    providers: Mapping[str, Provider] = field(default_factory=dict)

    def records(self, kind: str, *, global_: bool = False) -> Records:
        """Records of ``kind`` in this call's region, or account-wide with ``global_=True``."""
        region = GLOBAL if global_ else self.region
        return Records(self.store, f"{self.account}/{region}", kind)

    def arn(self, service: str, resource: str, *, global_: bool = False) -> str:
        """An ARN in this call's partition; with ``global_=True`` it names no region."""
        region = "" if global_ else self.region
        return arn(service, region, resource, self.account, partition_of=self.region)

    @property
    def partition(self) -> str:
        """This call's partition (``aws``, ``aws-cn``, ``aws-us-gov`` …), its region's."""
        return partition(self.region)

    @property
    def dns_suffix(self) -> str:
        """The DNS suffix of this call's partition (``amazonaws.com``, ``amazonaws.com.cn`` …)."""
        return dns_suffix(self.region)

    def now(self) -> float:
        return self.clock.now()

    def call(
        self,
        service: str,
        operation: str,
        /,
        *,
        caller: str,
        extras: dict[str, Any] | None = None,
        **params: Any,
    ) -> dict[str, Any]:
        """Another service's operation, called the way an AWS service principal calls it.

        CodeDeploy creating a task set is ``ctx.call("ecs", "CreateTaskSet",
        caller="codedeploy.amazonaws.com", extras={"role_arn": …}, service=…, cluster=…)``. It
        runs inside this call's transaction, so a refusal anywhere rolls everything back.
        """
        ctx = replace(
            self, service=service, operation=operation, caller=caller, extras=extras or {}
        )
        return getattr(self.providers[service], xform_name(operation))(ctx, **params) or {}


class Provider:
    """Base of the providers: one a service, named by botocore's service name."""

    #: botocore's name of the service model this provider answers (``iam``, ``elbv2`` …).
    service: ClassVar[str]

    #: kinds of record that move on by themselves (tasks starting, deployments running): the
    #: local cloud calls :meth:`advance` for every region holding one, after each API call that
    #: succeeded and at least every ``dataplane.RECONCILE_INTERVAL`` seconds.
    advancing: ClassVar[tuple[str, ...]] = ()

    def advance(self, ctx: RequestContext) -> None:
        """Move this region's records on to what the clock and the data plane say (one
        transaction; ``ctx.operation`` is ``"advance"``)."""
