"""IAM's policy simulator, on policies alone: :class:`Simulation` decides each action on each
resource and shapes the answer as IAM's ``EvaluationResult``.

A simulation evaluates identity policies (:class:`Source`: a policy with the id and type IAM
cites it by, and its text) with the request's condition keys, as :mod:`.evaluation` does, and
answers as IAM's simulator does: for one action, an ``EvalDecision`` that is the most
restrictive over the resources (``explicitDeny``, then ``implicitDeny``, then ``allowed``); the
``MatchedStatements`` that made that decision, each cited by its policy (``SourcePolicyId``,
``SourcePolicyType``) and by where the statement stands in the policy's text (``StartPosition``,
``EndPosition``: :func:`.documents.statement_spans`); the condition keys the policies read but
the request did not give (``MissingContextValues``); and, when resources were named, one
``ResourceSpecificResult`` a resource.

A :class:`Guard` — a permissions boundary, or service control policies — limits what the
identity policies allow (``PermissionsBoundaryDecisionDetail``, ``OrganizationsDecisionDetail``);
its statements are never cited. A condition operator the local evaluator does not know is
``PolicyEvaluation``, the simulator's "could not be evaluated", rather than a guess.

``EvalResourceName`` is always ``*``: AWS gives the ARN template of the action's resource type,
a table the local cloud does not have.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.services.iam.documents import statement_spans, statements
from bgkit.local.services.iam.evaluation import (
    NamedPolicy,
    applies,
    condition_keys,
    known_operator,
    matches,
)

__all__ = ["ALLOWED", "BOUNDARY", "EXPLICIT_DENY", "IMPLICIT_DENY", "Guard", "Simulation", "Source"]

ALLOWED, IMPLICIT_DENY, EXPLICIT_DENY = "allowed", "implicitDeny", "explicitDeny"
#: the decisions, least restrictive first
RESTRICTIVENESS = (ALLOWED, IMPLICIT_DENY, EXPLICIT_DENY)
#: the one guard's detail a ``ResourceSpecificResult`` carries too
BOUNDARY = "PermissionsBoundaryDecisionDetail"


@dataclass
class Source:
    """A policy the simulation evaluates: the id and type IAM cites it by, and its text."""

    id: str
    type: str
    text: str

    @cached_property
    def policy(self) -> NamedPolicy:
        return NamedPolicy(self.id, json.loads(self.text))

    @cached_property
    def spans(self) -> list[tuple[dict[str, int], dict[str, int]]]:
        return statement_spans(self.text)

    def cite(self, index: int) -> dict[str, Any]:
        """The ``Statement`` shape of this policy's statement ``index``."""
        start, end = self.spans[index]
        return {"SourcePolicyId": self.id, "SourcePolicyType": self.type,
                "StartPosition": start, "EndPosition": end}  # fmt: skip


@dataclass
class Guard:
    """Policies that limit what the identity policies allow: a permissions boundary (one level)
    or service control policies (a level a node of the organisation, root first). Every level
    must allow the request, and a deny in any level denies it."""

    member: str
    key: str
    levels: list[list[Source]]

    def sources(self) -> list[Source]:
        return [source for level in self.levels for source in level]

    def verdict(self, action: str, resource: str, context: Mapping[str, Any]) -> tuple[bool, bool]:
        """``(allowed, explicitly denied)`` by this guard."""
        effects = [
            {m.effect for s in level for m in matches([s.policy], action, resource, context)}
            for level in self.levels
        ]
        denied = any("Deny" in found for found in effects)
        return not denied and all("Allow" in found for found in effects), denied


@dataclass
class Verdict:
    """The simulator's answer for one action on one resource."""

    decision: str
    matched: list[dict[str, Any]]
    missing: list[str]
    guards: dict[str, dict[str, bool]] = field(default_factory=dict)


def _unique(cited: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for statement in cited:
        seen.setdefault(json.dumps(statement, sort_keys=True), statement)
    return list(seen.values())


@dataclass
class Simulation:
    """One simulation: the identity policies, the guards, the request's condition keys."""

    identity: list[Source]
    guards: list[Guard]
    context: dict[str, Any]

    def _every_source(self) -> list[Source]:
        return self.identity + [source for guard in self.guards for source in guard.sources()]

    def _check_operators(self, action: str, resource: str) -> None:
        for source in self._every_source():
            for index, statement in enumerate(statements(source.policy.document)):
                if not applies(statement, action, resource):
                    continue
                for operator in statement.get("Condition", {}):
                    if not known_operator(operator):
                        raise ServiceError(
                            "PolicyEvaluation",
                            f"The condition operator {operator} of statement {index} of "
                            f"{source.id} cannot be evaluated by the bgkit local cloud.",
                            sender_fault=False,
                        )

    def decide(self, action: str, resource: str) -> Verdict:
        """The decision for ``action`` on ``resource``, and the statements that made it."""
        self._check_operators(action, resource)
        found = [
            (source, match)
            for source in self.identity
            for match in matches([source.policy], action, resource, self.context)
        ]
        denies = [source.cite(m.index) for source, m in found if m.effect == "Deny"]
        allows = [source.cite(m.index) for source, m in found if m.effect == "Allow"]
        decision = EXPLICIT_DENY if denies else ALLOWED if allows else IMPLICIT_DENY
        details = {}
        for guard in self.guards:
            allowed, denied = guard.verdict(action, resource, self.context)
            details[guard.member] = {guard.key: allowed}
            if denied:
                decision = EXPLICIT_DENY
            elif not allowed and decision == ALLOWED:
                decision = IMPLICIT_DENY
        given = {name.lower() for name in self.context}
        keys = condition_keys([s.policy for s in self._every_source()], action, resource)
        cited = {EXPLICIT_DENY: denies, ALLOWED: allows}.get(decision, [])
        return Verdict(decision, cited, [k for k in keys if k.lower() not in given], details)

    def result(self, action: str, resources: list[str] | None) -> dict[str, Any]:
        """The ``EvaluationResult`` of one action over every resource (``*`` when none)."""
        verdicts = [(r, self.decide(action, r)) for r in resources or ["*"]]
        worst = max((v.decision for _, v in verdicts), key=RESTRICTIVENESS.index)
        result: dict[str, Any] = {
            "EvalActionName": action,
            "EvalResourceName": "*",
            "EvalDecision": worst,
            "MatchedStatements": _unique(
                s for _, v in verdicts if v.decision == worst for s in v.matched
            ),
            "MissingContextValues": list(dict.fromkeys(k for _, v in verdicts for k in v.missing)),
        }
        for guard in self.guards:
            every = all(v.guards[guard.member][guard.key] for _, v in verdicts)
            result[guard.member] = {guard.key: every}
        if resources and resources != ["*"]:
            result["ResourceSpecificResults"] = [
                {"EvalResourceName": resource, "EvalResourceDecision": v.decision,
                 "MatchedStatements": v.matched, "MissingContextValues": v.missing,
                 **{k: d for k, d in v.guards.items() if k == BOUNDARY}}
                for resource, v in verdicts
            ]  # fmt: skip
        return result
