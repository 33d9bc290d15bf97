"""The list of AWS permissions is the boto3 calls of the walkthrough and of the notebooks' code
cells (where the requests each step is about are made), and the README shows it."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path

import boto3
import nbformat

from bgkit import permissions

ROOT = Path(__file__).resolve().parents[2]
#: boto3 service name → IAM action prefix, where they differ
IAM_PREFIX = {"elbv2": "elasticloadbalancing"}
NO_PERMISSION = {"sts:GetCallerIdentity"}
#: operations whose IAM action is not named after them (the Amazon S3 User Guide's "Required
#: permissions for Amazon S3 API operations"): the actions IAM checks instead
IAM_ACTIONS = {
    "s3:HeadBucket": ("s3:ListBucket",),
    "s3:HeadObject": ("s3:GetObject",),
    "s3:ListBuckets": ("s3:ListAllMyBuckets",),
    "s3:ListObjectVersions": ("s3:ListBucketVersions",),
    "s3:DeleteObjects": ("s3:DeleteObject", "s3:DeleteObjectVersion"),
}


def _client_variables(tree: ast.AST) -> dict[str, str]:
    """``elbv2 = kit.client("elbv2")`` (and tuple assignments) → {"elbv2": "elbv2"}."""
    found = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign):
            continue
        targets, values = node.targets[0], node.value
        pairs = (
            zip(targets.elts, values.elts, strict=True)
            if isinstance(targets, ast.Tuple) and isinstance(values, ast.Tuple)
            else [(targets, values)]
        )
        for target, value in pairs:
            service = _client_call(value)
            if service and isinstance(target, ast.Name):
                found[target.id] = service
    return found


def _client_call(node: ast.AST) -> str | None:
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "client"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ):
        return node.args[0].value
    return None


def sources() -> Iterator[ast.AST]:
    """``bgkit/walkthrough/*.py``, and each notebook's code cells as one module (top-level
    ``await`` allowed, as IPython allows it)."""
    for path in sorted((ROOT / "bgkit" / "walkthrough").glob("*.py")):
        yield ast.parse(path.read_text())
    flags = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb")):
        cells = nbformat.read(path, as_version=4).cells
        code = "\n".join(c.source for c in cells if c.cell_type == "code")
        yield compile(code, str(path), "exec", flags)


def walkthrough_actions() -> set[str]:
    """Every IAM action of a boto3 call in ``bgkit/walkthrough/*.py`` or a notebook's cells."""
    calls: set[tuple[str, str]] = set()
    for tree in sources():
        variables = _client_variables(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            receiver = node.func.value
            service = _client_call(receiver) or (
                variables.get(receiver.id) if isinstance(receiver, ast.Name) else None
            )
            if service is None:
                continue
            method = node.func.attr
            if method == "get_paginator":
                method = node.args[0].value
            calls.add((service, method))
    actions = set()
    for service, method in calls:
        client = boto3.client(
            service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
        )
        if method in ("exceptions", "meta"):
            continue
        operation = client.meta.method_to_api_mapping[method]
        action = f"{IAM_PREFIX.get(service, service)}:{operation}"
        actions.update(IAM_ACTIONS.get(action, (action,)))
    return actions - NO_PERMISSION


def test_called_is_exactly_what_the_walkthrough_calls():
    assert set(permissions.CALLED) == walkthrough_actions()


def test_actions_are_sorted_and_unique():
    assert list(permissions.ACTIONS) == sorted(set(permissions.ACTIONS))


def test_readme_lists_every_action():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Running on AWS") :]
    missing = [action for action in permissions.ACTIONS if f"`{action}`" not in section]
    assert not missing, f"README's *Running on AWS* lacks {missing}"


# --- the participant policy and the boundary (issue 19) --------------------------------------

DATA = ROOT / "data" / "iam"
#: the policies the walkthrough gives its roles: what the boundary must let them do
ROLE_POLICIES = ("codepipeline-policy.json", "codedeploy-passrole-policy.json",
                 "validation-hook-policy.json")  # fmt: skip


def _statements(document: dict) -> list[dict]:
    found = document["Statement"]
    return found if isinstance(found, list) else [found]


def _actions(statement: dict) -> list[str]:
    found = statement.get("Action", [])
    return found if isinstance(found, list) else [found]


def test_the_participant_policy_and_the_boundary_are_documents_iam_takes():
    # stored as customer managed policies: valid, and within IAM's 6,144 characters (no white
    # space) even for the longest prefix the walkthrough takes
    from bgkit.local.services.iam.documents import parse_document
    from bgkit.walkthrough.naming import MAX_PREFIX

    longest = permissions.policy_document(
        "x" * MAX_PREFIX, boundary=permissions.boundary_arn("1" * 12)
    )
    for document in (longest, permissions.policy_document(), permissions.boundary_document()):
        text = json.dumps(document)
        parse_document(text)
        assert len(re.sub(r"\s", "", text)) <= 6144


def test_the_participant_policy_grants_every_action_of_the_walkthrough():
    from bgkit.local.services.iam.evaluation import like

    granted = [a for s in _statements(permissions.policy_document("p1"))
               if s["Effect"] == "Allow" for a in _actions(s)]  # fmt: skip
    missing = [a for a in permissions.ACTIONS
               if not any(like(p, a, ignore_case=True) for p in granted)]  # fmt: skip
    assert not missing


def test_the_participant_policy_grants_by_wildcard_only_what_reads():
    for statement in _statements(permissions.policy_document("p1")):
        for action in _actions(statement):
            if "*" in action:
                assert action.split(":")[1].rstrip("*") in permissions.READ_VERBS, action


def test_the_participant_policy_scopes_iam_to_the_prefix():
    for statement in _statements(permissions.policy_document("p1")):
        iam = [a for a in _actions(statement) if a.startswith("iam:")]
        if statement["Effect"] != "Allow" or not iam or statement["Sid"] == "ReadIam":
            continue
        resources = statement["Resource"]
        assert resources.startswith(
            ("arn:aws:iam::*:role/p1-", "arn:aws:iam::*:role/aws-service-role/")
        ), statement


def test_the_roles_passed_are_passed_to_the_services_that_trust_them():
    trusted = set()
    for path in DATA.glob("*-trust-policy.json"):
        for statement in _statements(json.loads(path.read_text())):
            service = statement["Principal"]["Service"]
            trusted.update(service if isinstance(service, list) else [service])
    assert set(permissions.PASSED_ROLES.values()) == trusted


def test_the_attached_policies_are_the_managed_policies_the_walkthrough_attaches():
    attached = set()
    for path in (ROOT / "bgkit" / "walkthrough").glob("*.py"):
        attached |= set(re.findall(r'"(arn:aws:iam::aws:policy/[^"]+)"', path.read_text()))
    assert set(permissions.ATTACHED_POLICIES) == attached


def test_the_boundary_lets_the_roles_do_what_their_policies_say():
    from bgkit.local.services.iam.evaluation import evaluate

    boundary = [permissions.boundary_document()]
    documents = [json.loads((DATA / name).read_text()) for name in ROLE_POLICIES]
    for arn in permissions.ATTACHED_POLICIES:
        name = arn.rsplit("/", 1)[-1]
        managed = DATA / "managed" / f"{name}.json"
        if managed.exists():
            documents.append(json.loads(managed.read_text())["Document"])
    context = {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
    for document in documents:
        for statement in _statements(document):
            for action in _actions(statement):
                assert evaluate(boundary, action, "*", context), action
