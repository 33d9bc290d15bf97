"""A deployment whose AppSpec is made to exhaust the parser fails alone, with INVALID_REVISION,
and the next deployment goes on.

CodeDeploy creates a deployment with an unusable AppSpec and fails it asynchronously with
``errorInformation.code`` ``INVALID_REVISION`` (aws/aws-cli#6267; the reference notes, section 6).
"""

from __future__ import annotations

import time

import pytest
from codedeploy_world import appspec, cloud, make_deploy  # noqa: F401

from bgkit.local.services.codedeploy.appspec import INVALID_PREFIX

pytestmark = pytest.mark.control_plane


@pytest.fixture
def deploy(cloud, client):  # noqa: F811
    return make_deploy(cloud, client)


@pytest.mark.parametrize(
    "extra",
    [
        "Extra: " + "[" * 5000 + "]" * 5000,
        'a0: &a0 ["lol"]\n'
        + "\n".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)),
    ],
    ids=["deep", "alias-bomb"],
)
def test_an_appspec_made_to_exhaust_the_parser_fails_and_the_next_deploys(deploy, extra):
    deploy.create_group()
    bad = deploy.deploy(appspec(deploy.fizzbuzz) + extra + "\n")
    deploy.tick(1.0)
    for _ in range(100):  # parsed in a worker thread: a few passes at most
        if deploy.status(bad) != "InProgress":
            break
        time.sleep(0.01)
        deploy.settle()
    info = deploy.info(bad)
    assert info["status"] == "Failed", info
    assert info["errorInformation"]["code"] == "INVALID_REVISION"
    assert info["errorInformation"]["message"].startswith(INVALID_PREFIX)
    good = deploy.deploy()
    deploy.run_to(good, "InProgress")
    for _ in range(10):
        deploy.settle()
    assert deploy.events(good)["AllowTraffic"] == "Succeeded", deploy.events(good)


def test_an_appspec_naming_another_region_s_task_definition_fails(deploy):
    # an ARN is read whole (AWS General Reference, "Amazon Resource Names")
    deploy.create_group()
    other = deploy.fizzbuzz.replace(":us-east-1:", ":us-west-2:")
    deployment = deploy.deploy(appspec(other))
    deploy.tick(1.0)
    deploy.settle()
    info = deploy.info(deployment)
    assert info["status"] == "Failed", info
    assert info["errorInformation"]["code"] == "ECS_UPDATE_ERROR"
    assert "TaskDefinition not found" in info["errorInformation"]["message"]
    assert [s["taskDefinition"] for s in deploy.task_sets()] == [deploy.world.task_definition]
