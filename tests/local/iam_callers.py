"""Helpers of the IAM caller tests (no tests here): a user of the local cloud with given
policies, and boto3 clients signed with that user's access key."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3

from bgkit.local.server import LocalCloud


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: Any, resource: Any = "*", **condition: Any) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


def deny(action: Any, resource: Any = "*") -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource}


def make_user(
    cloud: LocalCloud,
    name: str,
    *statements: dict[str, Any],
    boundary: str | None = None,
    tags: list[dict[str, str]] | None = None,
) -> Callable[[str], Any]:
    """Create the user ``name`` (inline policy of ``statements``, a boundary, tags) as the
    account; a maker of boto3 clients signed with the user's new access key."""
    iam = cloud.client("iam")
    extra: dict[str, Any] = {"PermissionsBoundary": boundary} if boundary else {}
    iam.create_user(UserName=name, Tags=tags or [], **extra)
    if statements:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=document(*statements))
    key = iam.create_access_key(UserName=name)["AccessKey"]

    def client(service: str) -> Any:
        return boto3.client(
            service, endpoint_url=cloud.endpoint_url, region_name="us-east-1",
            aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
        )  # fmt: skip

    return client


def managed(cloud: LocalCloud, name: str, *statements: dict[str, Any]) -> str:
    """A customer managed policy of ``statements``, made by the account; its ARN."""
    made = cloud.client("iam").create_policy(PolicyName=name, PolicyDocument=document(*statements))
    return made["Policy"]["Arn"]
