"""What the Lambda tests share: an execution role, zip packages made of source text, a function."""

from __future__ import annotations

import io
import json
import textwrap
import zipfile
from typing import Any

TRUST_LAMBDA = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
HANDLER_SOURCE = """
import json, os

def handler(event, context):
    print("got", json.dumps(event))
    return {"echo": event, "request_id": context.aws_request_id}
"""


def package(files: dict[str, str]) -> bytes:
    """A zip deployment package holding ``files`` (name → source, dedented)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, source in files.items():
            archive.writestr(name, textwrap.dedent(source))
    return buffer.getvalue()


def make_role(iam: Any, name: str = "bgkit-lambda", trust: dict[str, Any] | None = None) -> str:
    """An execution role trusting ``lambda.amazonaws.com`` (or ``trust``); its ARN."""
    made = iam.create_role(
        RoleName=name, AssumeRolePolicyDocument=json.dumps(trust or TRUST_LAMBDA)
    )
    return made["Role"]["Arn"]


def make_function(
    lam: Any,
    role: str,
    name: str = "bgkit-fn",
    source: str = HANDLER_SOURCE,
    **settings: Any,
) -> dict[str, Any]:
    """A Python function whose ``app.py`` is ``source`` (handler ``app.handler``); a setting
    given as ``None`` is left out of the call."""
    settings.setdefault("Runtime", "python3.12")
    settings.setdefault("Handler", "app.handler")
    settings.setdefault("Code", {"ZipFile": package({"app.py": source})})
    given = {key: value for key, value in settings.items() if value is not None}
    return lam.create_function(FunctionName=name, Role=role, **given)
