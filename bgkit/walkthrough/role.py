"""The CodeDeploy service role (notebook 02): trust, permissions, and why PassRole matters.

``<prefix>-codedeploy`` trusts ``codedeploy.amazonaws.com``, has the AWS managed policy
``AWSCodeDeployRoleForECSLimited`` and an inline policy letting it pass the kit's task roles to
ECS tasks. :func:`pass_role_frame` shows why the inline policy is needed: it reads the role's
policies back and asks IAM's policy simulator about them, with plain boto3.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from bgkit.walkthrough.naming import names
from bgkit.walkthrough.prerequisites import document, service_role

__all__ = ["LIMITED_POLICY", "codedeploy_role", "pass_role_frame", "role_policies"]

LIMITED_POLICY = "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECSLimited"
#: the condition key ECS's iam:PassRole check carries: to whom the role is passed
PASSED_TO_ECS_TASKS = {
    "ContextKeyName": "iam:PassedToService",
    "ContextKeyValues": ["ecs-tasks.amazonaws.com"],
    "ContextKeyType": "string",
}


def codedeploy_role(kit: Any) -> dict[str, Any]:
    """``<prefix>-codedeploy``: trusted by CodeDeploy, with the Limited managed policy and the
    kit's ``iam:PassRole`` inline policy."""
    name = names(kit).codedeploy_role
    role = service_role(
        kit,
        name,
        trust="codedeploy-trust-policy.json",
        description="bgkit: lets CodeDeploy run blue/green deployments of the ECS service",
        managed_policy=LIMITED_POLICY,
    )
    kit.client("iam").put_role_policy(
        RoleName=name,
        PolicyName=names(kit).passrole_policy,
        PolicyDocument=document("codedeploy-passrole-policy.json"),
    )
    return role


def role_policies(kit: Any, role_name: str) -> dict[str, dict[str, Any]]:
    """Every identity policy of a role, by name: attached ones (their default version) and
    inline ones — read with plain IAM calls."""
    iam = kit.client("iam")
    found: dict[str, dict[str, Any]] = {}
    for attached in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
        policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
        version = iam.get_policy_version(
            PolicyArn=attached["PolicyArn"], VersionId=policy["DefaultVersionId"]
        )["PolicyVersion"]
        found[attached["PolicyName"]] = _document(version["Document"])
    for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        inline = iam.get_role_policy(RoleName=role_name, PolicyName=name)
        found[name] = _document(inline["PolicyDocument"])
    return found


def _document(value: Any) -> dict[str, Any]:
    """boto3 decodes policy documents; some SDK paths leave URL-encoded JSON text."""
    if isinstance(value, str):
        from urllib.parse import unquote

        return json.loads(unquote(value))
    return value


def pass_role_frame(kit: Any, passed_role_arn: str) -> pd.DataFrame:
    """May the CodeDeploy role pass ``passed_role_arn`` to ECS tasks? IAM's policy simulator
    (``iam.simulate_custom_policy``) is asked twice about the role's policies as read back: the
    managed policy alone, and all the role's policies.

    Returns:
        One row per question: ``policies`` (those evaluated), ``allowed``, ``why`` (the
        statement that decided, or the implicit deny).
    """
    iam = kit.client("iam")
    policies = role_policies(kit, names(kit).codedeploy_role)
    texts = {name: json.dumps(document, indent=2) for name, document in policies.items()}
    managed = LIMITED_POLICY.rsplit("/", 1)[1]
    rows = []
    for chosen in ([managed], sorted(policies)):
        sent = [name for name in chosen if name in texts]
        result = {"EvalDecision": "implicitDeny"}  # no policy at all
        if sent:
            result = iam.simulate_custom_policy(
                PolicyInputList=[texts[name] for name in sent],
                ActionNames=["iam:PassRole"],
                ResourceArns=[passed_role_arn],
                ContextEntries=[PASSED_TO_ECS_TASKS],
            )["EvaluationResults"][0]
        allowed = result["EvalDecision"] == "allowed"
        rows.append({"policies": " + ".join(chosen), "allowed": allowed,
                     "why": _why(result, [(name, texts[name]) for name in sent])})  # fmt: skip
    return pd.DataFrame(rows, columns=["policies", "allowed", "why"])


def _why(result: dict[str, Any], sent: list[tuple[str, str]]) -> str:
    """The statement IAM's answer cites, named as ``statement 0 (Sid) of policy``.

    IAM cites a policy of ``PolicyInputList`` by its place (``PolicyInputList.2`` is the second
    sent) and a statement by where its text starts (``StartPosition``: line and column).
    """
    if result["EvalDecision"] == "implicitDeny" or not result.get("MatchedStatements"):
        return "no statement allows it (implicit deny)"
    cited = result["MatchedStatements"][0]
    name, text = sent[int(cited["SourcePolicyId"].rsplit(".", 1)[1]) - 1]
    index, statement = _statement_at(text, cited["StartPosition"])
    denies = " denies it (explicit deny)" if result["EvalDecision"] == "explicitDeny" else ""
    return f"statement {index} ({statement.get('Sid')}) of {name}{denies}"


def _statement_at(text: str, start: dict[str, int]) -> tuple[int, dict[str, Any]]:
    """The statement of a document's ``text`` that begins at ``start``, and its index."""
    lines = text.splitlines(keepends=True)
    offset = sum(len(line) for line in lines[: start["Line"] - 1]) + start["Column"] - 1
    statement, _ = json.JSONDecoder().raw_decode(text, text.rindex("{", 0, offset))
    listed = json.loads(text)["Statement"]
    listed = listed if isinstance(listed, list) else [listed]
    return listed.index(statement), statement
