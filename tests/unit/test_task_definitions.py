"""The task definition templates: valid RegisterTaskDefinition input once filled."""

from __future__ import annotations

import json
from typing import Any

import botocore.session
import pytest
from botocore.validate import validate_parameters

from bgkit.apps import app_source
from bgkit.apps.templates import (
    CONTAINER_NAME,
    CONTAINER_PORT,
    PLACEHOLDER,
    TEMPLATE_DIR,
    TEMPLATES,
    fill,
    load_template,
    task_definition,
)

ROLE = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"
KNOWN = {
    "FAMILY",
    "EXECUTION_ROLE_ARN",
    "LOG_GROUP",
    "REGION",
    "STREAM_PREFIX",
    "REVISION",
    "FIZZBUZZ_SOURCE",
}


def _filled(name: str, **overrides: Any) -> dict[str, Any]:
    arguments = {
        "family": f"bgkit-{name}",
        "execution_role_arn": ROLE,
        "log_group": "/ecs/bgkit",
        "region": "eu-west-1",
        **overrides,
    }
    return task_definition(name, **arguments)


@pytest.fixture(scope="module")
def input_shape() -> Any:
    model = botocore.session.get_session().get_service_model("ecs")
    return model.operation_model("RegisterTaskDefinition").input_shape


@pytest.mark.parametrize("name", TEMPLATES)
def test_filled_template_is_valid_register_task_definition_input(
    name: str, input_shape: Any
) -> None:
    validate_parameters(_filled(name), input_shape)


@pytest.mark.parametrize("name", TEMPLATES)
def test_filled_template_has_no_placeholder_left(name: str) -> None:
    assert "{{" not in json.dumps(_filled(name))


@pytest.mark.parametrize("name", TEMPLATES)
def test_template_uses_only_known_placeholders(name: str) -> None:
    text = (TEMPLATE_DIR / f"{name}.json").read_text()
    assert set(PLACEHOLDER.findall(text)) <= KNOWN
    assert text.count("{{") == len(PLACEHOLDER.findall(text)), "every {{ is a placeholder"


@pytest.mark.parametrize("name", TEMPLATES)
def test_template_is_fargate_with_one_app_container_on_port_80(name: str) -> None:
    definition = _filled(name)
    assert definition["requiresCompatibilities"] == ["FARGATE"]
    assert definition["networkMode"] == "awsvpc"
    assert (definition["cpu"], definition["memory"]) == ("256", "512")
    assert definition["family"] == f"bgkit-{name}"
    assert definition["executionRoleArn"] == ROLE
    (container,) = definition["containerDefinitions"]
    assert container["name"] == CONTAINER_NAME == "app"
    assert container["essential"] is True
    assert container["portMappings"] == [{"containerPort": CONTAINER_PORT, "protocol": "tcp"}]
    assert container["logConfiguration"] == {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": "/ecs/bgkit",
            "awslogs-region": "eu-west-1",
            "awslogs-stream-prefix": "ecs",
        },
    }


def test_nginx_uses_the_ecr_public_image() -> None:
    (container,) = _filled("nginx")["containerDefinitions"]
    assert container["image"] == "public.ecr.aws/nginx/nginx:stable"
    assert "command" not in container and "entryPoint" not in container


def test_fizzbuzz_runs_its_source_in_the_public_python_image() -> None:
    (container,) = _filled("fizzbuzz", revision="v2")["containerDefinitions"]
    assert container["image"] == "public.ecr.aws/docker/library/python:3.12-slim"
    assert container["entryPoint"] == ["python", "-c"]
    assert container["command"] == [app_source("fizzbuzz")]
    env = {item["name"]: item["value"] for item in container["environment"]}
    assert env["PORT"] == "80"
    assert env["REVISION"] == "v2"


def test_fizzbuzz_revision_defaults_to_the_template_name() -> None:
    (container,) = _filled("fizzbuzz")["containerDefinitions"]
    env = {item["name"]: item["value"] for item in container["environment"]}
    assert env["REVISION"] == "fizzbuzz"


def test_fizzbuzz_task_definition_is_within_ecs_size_limit() -> None:
    # RegisterTaskDefinition refuses a task definition over 64 KiB.
    assert len(json.dumps(_filled("fizzbuzz")).encode()) < 64 * 1024


def test_stream_prefix_can_be_chosen() -> None:
    (container,) = _filled("nginx", stream_prefix="bgkit")["containerDefinitions"]
    assert container["logConfiguration"]["options"]["awslogs-stream-prefix"] == "bgkit"


def test_unknown_template_is_refused() -> None:
    with pytest.raises(ValueError, match="the templates are nginx, fizzbuzz"):
        load_template("httpd")


def test_fill_scans_each_string_once_and_refuses_unknown_placeholders() -> None:
    assert fill({"a": ["{{X}}-{{X}}", 3]}, {"X": "{{Y}}"}) == {"a": ["{{Y}}-{{Y}}", 3]}
    with pytest.raises(KeyError, match="Z"):
        fill("{{Z}}", {"X": "1"})
