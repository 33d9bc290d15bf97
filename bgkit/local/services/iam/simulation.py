"""IAM's policy simulator operations: SimulateCustomPolicy and SimulatePrincipalPolicy —
:class:`SimulationOperations`.

This module reads the request — the documents (validated as identity policies), ``ActionNames``
(one action each, no wildcards), ``ResourceArns``, ``ContextEntries`` (each value read by its
``ContextKeyType``), the permissions boundary and the service control policies — and refuses
what IAM refuses with ``InvalidInput``; :mod:`.simulator` decides, and the results are paged by
``MaxItems``/``Marker``.

SimulateCustomPolicy evaluates the documents it is sent (cited as ``PolicyInputList.1`` …, of
type ``none``). SimulatePrincipalPolicy evaluates a role's or a user's attached policies
(``aws-managed`` or ``user-managed``, cited by name) and inline ones (``role``, ``user``), less
those of ``PolicyExclusionList``, then any it is sent, capped by the entity's permissions boundary —
unless ``PermissionsBoundaryPolicyInputList`` gives another, which is then used instead (the
operation's documentation), or ``PolicyExclusionList`` excludes ``permission-boundary``; the
local cloud has no groups, so a group is ``NoSuchEntity``. Resource-based policies are refused:
for a role as AWS refuses them, for a user because the local cloud does not simulate them.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.iam.checks import PAGER, check_arn
from bgkit.local.services.iam.documents import managed_policies, parse_document
from bgkit.local.services.iam.evaluation import like, parse_date
from bgkit.local.services.iam.models import find_role, managed_policy, users
from bgkit.local.services.iam.simulator import BOUNDARY, Guard, Simulation, Source

__all__ = ["SimulationOperations"]

#: how a value of each ``ContextKeyType`` is read (a value that does not read is refused)
VALUE_READERS: dict[str, Callable[[str], object]] = {
    "string": str,
    "numeric": float,
    "boolean": lambda v: {"true": True, "false": False}[v.lower()],
    "date": parse_date,
    "ip": ipaddress.ip_address,
    "binary": lambda v: base64.b64decode(v, validate=True),
}
RESOURCE_HANDLING_OPTIONS = (
    "EC2-VPC-InstanceStore", "EC2-VPC-InstanceStore-Subnet", "EC2-VPC-EBS", "EC2-VPC-EBS-Subnet",
)  # fmt: skip
EXCLUDABLE_TYPES = ("inline", "aws-managed", "user-managed", "permission-boundary", "scp", "rcp")
ENTITY_KINDS = ("user", "group", "role")
#: the ``SourcePolicyType`` of an entity's inline policy
INLINE_TYPES = ("role", "user")


def _invalid_input(message: str) -> ServiceError:
    return ServiceError("InvalidInput", message)


# --- the request -----------------------------------------------------------------------------


def _documents(texts: Iterable[str], member: str) -> list[Source]:
    """The documents of a ``*InputList`` member, validated as identity policies."""
    sources = []
    for number, text in enumerate(texts, 1):
        try:
            parse_document(text)
        except ServiceError as error:
            raise _invalid_input(
                f"{member}.{number} is not a valid policy: {error.message}"
            ) from None
        sources.append(Source(f"{member}.{number}", "none", text))
    return sources


def _context(entries: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The request's condition keys from ``ContextEntries``, each value read by its type."""
    context: dict[str, Any] = {}
    for entry in entries:
        name = entry.get("ContextKeyName")
        kind = entry.get("ContextKeyType", "string")
        values = list(entry.get("ContextKeyValues", []))
        if not name:
            raise _invalid_input("Each of ContextEntries must name its ContextKeyName.")
        if name.lower() in (known.lower() for known in context):
            raise _invalid_input(f"ContextEntries name the context key {name} more than once.")
        single = kind.removesuffix("List")
        if single not in VALUE_READERS:
            raise _invalid_input(f"{kind} is not a ContextKeyType (context key {name}).")
        if single == kind and len(values) != 1:
            raise _invalid_input(
                f"The context key {name} of type {kind} takes exactly one value; "
                f"give {kind}List for several."
            )
        for value in values:
            try:
                VALUE_READERS[single](value)
            except (ValueError, KeyError, binascii.Error):
                raise _invalid_input(
                    f"The value {value} of the context key {name} is not a {single}."
                ) from None
        context[name] = values if single != kind else values[0]
    return context


def _check_actions(actions: Iterable[str]) -> None:
    for action in actions:
        service, _, name = action.partition(":")
        if not service or not name or "*" in action or "?" in action:
            raise _invalid_input(
                f"Action {action} is not valid: name one action with its service prefix, "
                "such as iam:PassRole (the simulator takes no wildcards)."
            )


def _entity(arn: str, member: str) -> tuple[str, str]:
    """``(kind, name)`` of the IAM user, group or role an ARN names, or ``InvalidInput``."""
    parts = arn.split(":", 5)
    kind, _, rest = parts[-1].partition("/")
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "iam" or kind not in ENTITY_KINDS:
        raise _invalid_input(
            f"{member} {arn} is not the ARN of an IAM user, group or role (an assumed role, a "
            "federated user or a service principal cannot be simulated)."
        )
    return kind, rest.rsplit("/", 1)[-1]


def _guards(
    boundary: list[str] | None, organization: list[Mapping[str, Any]] | None
) -> list[Guard]:
    guards = []
    if boundary:
        if len(boundary) > 1:
            raise _invalid_input("PermissionsBoundaryPolicyInputList takes one policy at most.")
        documents = _documents(boundary, "PermissionsBoundaryPolicyInputList")
        guards.append(Guard(BOUNDARY, "AllowedByPermissionsBoundary", [documents]))
    if organization:
        member = "OrderedOrganizationPolicyInputList.{}.ServiceControlPolicyInputList"
        levels = [
            _documents(level.get("ServiceControlPolicyInputList", []), member.format(number))
            for number, level in enumerate(organization, 1)
        ]
        guards.append(Guard("OrganizationsDecisionDetail", "AllowedByOrganizations", levels))
    return guards


def _refuse_resource_policy(caller: tuple[str, str] | None) -> None:
    if caller is None:
        raise _invalid_input("A ResourcePolicy needs a CallerArn, the principal it names.")
    if caller[0] == "role":
        raise _invalid_input("Simulation of resource-based policies isn't supported for IAM roles.")
    raise _invalid_input(
        "The bgkit local cloud does not simulate resource-based policies; simulate the "
        "identity policies without ResourcePolicy."
    )


# --- a role's policies -----------------------------------------------------------------------


@dataclass(frozen=True)
class Exclusion:
    """One entry of ``PolicyExclusionList``: exactly one of its three members."""

    entry: Mapping[str, Any]

    def __post_init__(self) -> None:
        if len(self.entry) != 1:
            raise _invalid_input(
                "Each of PolicyExclusionList names exactly one of PolicyType, PolicyArn and "
                "InlinePolicyIdentifier."
            )
        kind, arn = self.entry.get("PolicyType"), self.entry.get("PolicyArn")
        inline = self.entry.get("InlinePolicyIdentifier")
        if kind is not None and kind not in EXCLUDABLE_TYPES:
            raise _invalid_input(f"{kind} is not a PolicyType of PolicyExclusionList.")
        if arn is not None:
            check_arn(arn)
            head, name = arn.rsplit(":", 1)
            if "*" in head or "?" in head or name.count("*") > 1:
                raise _invalid_input(
                    f"PolicyArn {arn} may hold wildcards in its resource only, one * at most."
                )
        if inline is not None and inline["AttachmentName"].count("*") > 1:
            raise _invalid_input(
                f"AttachmentName {inline['AttachmentName']} may hold one * at most."
            )

    def excludes(self, source: Source, arn: str, role_name: str) -> bool:
        """Whether this entry excludes a role's policy (``arn`` is ``""`` for an inline one)."""
        kind, pattern = self.entry.get("PolicyType"), self.entry.get("PolicyArn")
        inline = self.entry.get("InlinePolicyIdentifier")
        if kind is not None:
            return source.type == kind or (kind == "inline" and source.type in INLINE_TYPES)
        if pattern is not None:
            return bool(arn) and like(pattern, arn)
        return (
            not arn
            and source.id == inline["PolicyName"]
            and inline["AttachmentType"] == source.type
            and like(inline["AttachmentName"], role_name, ignore_case=True)
        )


def _entity_record(ctx: RequestContext, arn: str) -> tuple[str, dict[str, Any]]:
    """``(kind, record)`` of the role or user ``arn`` names, or IAM's ``NoSuchEntity``."""
    kind, name = _entity(arn, "PolicySourceArn")
    record = None
    if kind == "role":
        record = find_role(ctx, arn)
    elif kind == "user":
        record = users(ctx).get(name.lower())
        record = record if record is not None and record["Arn"] == arn else None
    if record is None:
        raise ServiceError("NoSuchEntity", f"The {kind} with name {name} cannot be found.")
    return kind, record


def _boundary(
    ctx: RequestContext, record: dict[str, Any], exclusions: list[Exclusion]
) -> Source | None:
    """The entity's own permissions boundary, unless excluded."""
    arn = record.get("PermissionsBoundary")
    if not arn or any(e.entry.get("PolicyType") == "permission-boundary" for e in exclusions):
        return None
    policy = managed_policy(ctx, arn)
    text = policy["Document"] if policy else '{"Version": "2012-10-17", "Statement": []}'
    return Source(arn, "permission-boundary", text)


def _entity_sources(
    ctx: RequestContext, kind: str, record: dict[str, Any], exclusions: list[Exclusion]
) -> list[Source]:
    """A role's or a user's policies, attached then inline, less the excluded ones."""
    found: list[tuple[Source, str]] = []
    for policy_arn in record["AttachedPolicies"]:
        policy = managed_policy(ctx, policy_arn)
        if policy is not None:
            source_type = "aws-managed" if policy_arn in managed_policies() else "user-managed"
            found.append(
                (Source(policy["PolicyName"], source_type, policy["Document"]), policy_arn)
            )
    for policy_name, text in sorted(record["InlinePolicies"].items()):
        found.append((Source(policy_name, kind, text), ""))
    name = record.get("RoleName") or record["UserName"]
    return [
        source
        for source, policy_arn in found
        if not any(e.excludes(source, policy_arn, name) for e in exclusions)
    ]


# --- the operations --------------------------------------------------------------------------


def _simulate(
    operation: str,
    identity: list[Source],
    actions: list[str],
    *,
    permissions_boundary_policy_input_list: list[str] | None = None,
    ordered_organization_policy_input_list: list[dict[str, Any]] | None = None,
    resource_arns: list[str] | None = None,
    context_entries: list[dict[str, Any]] | None = None,
    resource_handling_option: str | None = None,
    resource_owner: str | None = None,
    entity_boundary: Source | None = None,
    **paging: Any,
) -> dict[str, Any]:
    """The members both operations take: what limits the identity policies, the resources,
    the context, the scenario (accepted; the local cloud runs no EC2 instances) and the page."""
    _check_actions(actions)
    for resource in resource_arns or []:
        if resource != "*":
            check_arn(resource)
    if resource_handling_option not in (None, *RESOURCE_HANDLING_OPTIONS):
        raise _invalid_input(
            f"ResourceHandlingOption {resource_handling_option} is not one of "
            f"{', '.join(RESOURCE_HANDLING_OPTIONS)}."
        )
    guards = _guards(permissions_boundary_policy_input_list, ordered_organization_policy_input_list)
    if entity_boundary is not None and not permissions_boundary_policy_input_list:
        guards.insert(0, Guard(BOUNDARY, "AllowedByPermissionsBoundary", [[entity_boundary]]))
    simulation = Simulation(identity, guards, _context(context_entries or []))
    return PAGER.page(
        operation, list(actions), paging, show=lambda a: simulation.result(a, resource_arns)
    )


class SimulationOperations:
    """SimulateCustomPolicy and SimulatePrincipalPolicy, mixed into the provider (the members
    they share are :func:`_simulate`'s)."""

    def simulate_custom_policy(
        self,
        ctx: RequestContext,
        policy_input_list: list[str],
        action_names: list[str],
        caller_arn: str | None = None,
        resource_policy: str | None = None,
        **shared: Any,
    ) -> dict[str, Any]:
        caller = _entity(caller_arn, "CallerArn") if caller_arn is not None else None
        if resource_policy is not None:
            _refuse_resource_policy(caller)
        if not policy_input_list:
            raise _invalid_input("PolicyInputList must hold at least one policy document.")
        identity = _documents(policy_input_list, "PolicyInputList")
        return _simulate("SimulateCustomPolicy", identity, action_names, **shared)

    def simulate_principal_policy(
        self,
        ctx: RequestContext,
        policy_source_arn: str,
        action_names: list[str],
        policy_input_list: list[str] | None = None,
        policy_exclusion_list: list[dict[str, Any]] | None = None,
        caller_arn: str | None = None,
        resource_policy: str | None = None,
        **shared: Any,
    ) -> dict[str, Any]:
        source = _entity(policy_source_arn, "PolicySourceArn")
        caller = _entity(caller_arn, "CallerArn") if caller_arn is not None else source
        exclusions = [Exclusion(entry) for entry in policy_exclusion_list or []]
        extra = _documents(policy_input_list or [], "PolicyInputList")
        kind, record = _entity_record(ctx, policy_source_arn)
        identity = _entity_sources(ctx, kind, record, exclusions) + extra
        if resource_policy is not None:
            _refuse_resource_policy(caller)
        boundary = _boundary(ctx, record, exclusions)
        return _simulate(
            "SimulatePrincipalPolicy", identity, action_names, entity_boundary=boundary, **shared
        )
