"""FizzBuzz's ``FAIL_PERCENT``: a bad release that answers a share of its requests with 500 and
stays healthy (notebook 11's revision), and the task definition that asks for it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from bgkit.apps import app_path
from bgkit.apps.templates import task_definition
from tests.unit.test_apps import Running, start  # noqa: F401

ROLE = "arn:aws:iam::000000000000:role/ecsTaskExecutionRole"


def test_fail_percent_answers_an_even_share_with_500_and_health_stays_ok(
    start: Callable[..., Running],  # noqa: F811
) -> None:
    app = start([sys.executable, str(app_path("fizzbuzz"))], FAIL_PERCENT="25")
    statuses = [app.get("/fizzbuzz/3")[0] for _ in range(20)]
    assert Counter(statuses) == {200: 15, 500: 5}
    assert statuses[3::4] == [500] * 5  # every fourth
    assert all(app.get("/health")[0] == 200 for _ in range(8))
    assert Counter(app.get("/")[0] for _ in range(8)) == {200: 6, 500: 2}  # the page too


def test_without_fail_percent_nothing_fails(start: Callable[..., Running]) -> None:  # noqa: F811
    app = start([sys.executable, str(app_path("fizzbuzz"))])
    assert {app.get("/fizzbuzz/5")[0] for _ in range(30)} == {200}


@pytest.mark.parametrize("value", ["-1", "101", "many"])
def test_bad_fail_percent_exits_2(tmp_path: Path, value: str) -> None:
    result = subprocess.run(
        [sys.executable, str(app_path("fizzbuzz"))],
        env={**os.environ, "HOST": "127.0.0.1", "PORT": "0", "FAIL_PERCENT": value},
        capture_output=True, timeout=30, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    assert b"FAIL_PERCENT must be a whole number from 0 to 100" in result.stdout


def test_task_definition_with_fail_percent_sets_the_environment() -> None:
    made = task_definition("fizzbuzz", family="f", execution_role_arn=ROLE, log_group="/ecs/x",
                           region="us-east-1", revision="bad", fail_percent=20)  # fmt: skip
    environment = made["containerDefinitions"][0]["environment"]
    assert {"name": "FAIL_PERCENT", "value": "20"} in environment
    plain = task_definition("fizzbuzz", family="f", execution_role_arn=ROLE, log_group="/ecs/x",
                            region="us-east-1")  # fmt: skip
    assert all(e["name"] != "FAIL_PERCENT" for e in plain["containerDefinitions"][0]["environment"])


def test_fail_percent_is_fizzbuzzs_only() -> None:
    with pytest.raises(ValueError, match="FizzBuzz's"):
        task_definition("nginx", family="f", execution_role_arn=ROLE, log_group="/ecs/x",
                        region="us-east-1", fail_percent=10)  # fmt: skip
