"""The CodeDeploy service role (notebook 02): trust, permissions, and why PassRole matters.

``<prefix>-codedeploy`` trusts ``codedeploy.amazonaws.com``, has the AWS managed policy
``AWSCodeDeployRoleForECSLimited`` and an inline policy letting it pass the kit's task roles to
ECS tasks. :func:`pass_role_frame` shows why the inline policy is needed: it evaluates the role's
policies, read back with plain boto3, with IAM's rules.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from bgkit.local.services.iam.evaluation import NamedPolicy, evaluate
from bgkit.walkthrough import tags
from bgkit.walkthrough.naming import names
from bgkit.walkthrough.prerequisites import document

__all__ = ["LIMITED_POLICY", "codedeploy_role", "pass_role_frame", "role_policies"]

LIMITED_POLICY = "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECSLimited"


def codedeploy_role(kit: Any) -> dict[str, Any]:
    """``<prefix>-codedeploy``: trusted by CodeDeploy, with the Limited managed policy and the
    kit's ``iam:PassRole`` inline policy."""
    iam = kit.client("iam")
    name = names(kit).codedeploy_role
    try:
        role = iam.get_role(RoleName=name)["Role"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=document("codedeploy-trust-policy.json"),
            Description="bgkit: lets CodeDeploy run blue/green deployments of the ECS service",
            Tags=tags.key_value(kit),
        )["Role"]
    iam.attach_role_policy(RoleName=name, PolicyArn=LIMITED_POLICY)
    iam.put_role_policy(
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
    """May the CodeDeploy role pass ``passed_role_arn`` to ECS tasks? Asked twice: with the
    managed policy alone, and with all the role's policies.

    Returns:
        One row per question: ``policies`` (those evaluated), ``allowed``, ``why`` (the
        statement that allowed it, or the implicit deny).
    """
    policies = role_policies(kit, names(kit).codedeploy_role)
    context = {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
    managed = LIMITED_POLICY.rsplit("/", 1)[1]
    rows = []
    for chosen in ([managed], sorted(policies)):
        decision = evaluate(
            [NamedPolicy(name, policies[name]) for name in chosen if name in policies],
            "iam:PassRole",
            passed_role_arn,
            context,
        )
        if decision.allowed:
            why = f"statement {decision.statement} ({decision.sid}) of {decision.policy}"
        else:
            why = "no statement allows it (implicit deny)"
        rows.append({"policies": " + ".join(chosen), "allowed": decision.allowed, "why": why})
    return pd.DataFrame(rows, columns=["policies", "allowed", "why"])
