"""ECS AppSpecs: parsing YAML and JSON, and the messages a bad one fails a deployment with."""

from __future__ import annotations

import json

import pytest

from bgkit.local.services.codedeploy.appspec import (
    INVALID_PREFIX,
    NOT_WELL_FORMED,
    AppSpecError,
    parse_appspec,
    sha256_of,
)

TD = "arn:aws:ecs:us-east-1:123456789012:task-definition/bgkit-web:2"
YAML = f"""\
version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: "{TD}"
        LoadBalancerInfo:
          ContainerName: "app"
          ContainerPort: 80
        PlatformVersion: "LATEST"
        NetworkConfiguration:
          AwsvpcConfiguration:
            Subnets: ["subnet-1", "subnet-2"]
            SecurityGroups: ["sg-1"]
            AssignPublicIp: "ENABLED"
"""


def as_json(**properties) -> str:
    return json.dumps(
        {
            "version": 0.0,
            "Resources": [
                {"TargetService": {"Type": "AWS::ECS::Service", "Properties": properties}}
            ],
        }
    )


def test_yaml_appspec_is_parsed():
    spec = parse_appspec(YAML)
    assert (spec.task_definition, spec.container_name, spec.container_port) == (TD, "app", 80)
    assert spec.platform_version == "LATEST"
    assert spec.network_configuration == {
        "awsvpcConfiguration": {
            "subnets": ["subnet-1", "subnet-2"],
            "securityGroups": ["sg-1"],
            "assignPublicIp": "ENABLED",
        }
    }
    assert spec.hooks == {}


def test_json_appspec_is_parsed():
    text = as_json(
        TaskDefinition=TD, LoadBalancerInfo={"ContainerName": "app", "ContainerPort": 80}
    )
    assert parse_appspec(text).container_port == 80


def test_keys_are_case_insensitive():
    text = json.dumps(
        {
            "version": "0.0",
            "resources": [
                {
                    "TargetService": {
                        "type": "AWS::ECS::Service",
                        "properties": {
                            "taskDefinition": TD,
                            "loadBalancerInfo": {"containerName": "app", "containerPort": "80"},
                        },
                    }
                }
            ],
        }
    )
    assert parse_appspec(text).container_port == 80


def test_hooks_are_read():
    text = YAML + "Hooks:\n  - AfterAllowTestTraffic: CodeDeployHook_check\n"
    assert parse_appspec(text).hooks == {"AfterAllowTestTraffic": "CodeDeployHook_check"}


def test_unparseable_appspec():
    with pytest.raises(AppSpecError) as error:
        parse_appspec("version: 0.0\nResources: [\n  - {")
    assert error.value.code == "INVALID_REVISION"
    assert error.value.message == f"{INVALID_PREFIX} {NOT_WELL_FORMED}"


def test_load_balancer_info_as_a_list():
    text = as_json(TaskDefinition=TD, LoadBalancerInfo=[{"ContainerName": "app"}])
    with pytest.raises(AppSpecError) as error:
        parse_appspec(text)
    assert error.value.message == (
        "The AppSpec file must be valid JSON or YAML The input AppSpec file is a not well-formed "
        "yaml. The template cannot be parsed."
    )


@pytest.mark.parametrize(
    ("properties", "words"),
    [
        ({"LoadBalancerInfo": {"ContainerName": "app", "ContainerPort": 80}}, "TaskDefinition"),
        ({"TaskDefinition": TD}, "LoadBalancerInfo"),
        ({"TaskDefinition": TD, "LoadBalancerInfo": {"ContainerPort": 80}}, "ContainerName"),
        ({"TaskDefinition": TD, "LoadBalancerInfo": {"ContainerName": "a"}}, "ContainerPort"),
    ],
)
def test_missing_properties(properties, words):
    with pytest.raises(AppSpecError) as error:
        parse_appspec(as_json(**properties))
    assert error.value.message.startswith(INVALID_PREFIX)
    assert words in error.value.message


def test_unknown_hook_event():
    with pytest.raises(AppSpecError) as error:
        parse_appspec(YAML + "Hooks:\n  - Install: fn\n")
    assert "Install is not a lifecycle event" in error.value.message


def test_wrong_version():
    with pytest.raises(AppSpecError):
        parse_appspec(YAML.replace("version: 0.0", "version: 2"))


def test_sha256_is_hex_of_the_text():
    assert sha256_of("abc") == ("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
