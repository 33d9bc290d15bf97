"""The one pager: members from botocore's paginator models, each service's tokens and limits."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import botocore.session
import pytest

from bgkit.errors import ServiceError
from bgkit.local.paging import Members, Pager, Tokens, model_members


def refuse(token: str) -> ServiceError:
    return ServiceError("InvalidNextTokenException", f"not ours: {token}")


ITEMS = [f"arn:{n}" for n in range(5)]


def test_members_come_from_botocore_paginator_models():
    assert model_members("ecs", "ListClusters") == Members(
        "nextToken", "nextToken", "clusterArns", "maxResults"
    )
    assert model_members("elbv2", "DescribeLoadBalancers") == Members(
        "Marker", "NextMarker", "LoadBalancers", "PageSize"
    )
    assert model_members("iam", "ListRoles") == Members(
        "Marker", "Marker", "Roles", "MaxItems", "IsTruncated"
    )
    # several result keys: the first holds the items
    assert model_members("logs", "FilterLogEvents").result_key == "events"
    assert model_members("ecs", "ListServiceDeployments") is None


def test_pages_follow_one_another_with_decimal_offsets():
    pager = Pager("ecs", refuse)
    first = pager.page("ListClusters", ITEMS, {"max_results": 2})
    assert first == {"clusterArns": ITEMS[:2], "nextToken": "2"}
    second = pager.page("ListClusters", ITEMS, {"max_results": 2, "next_token": "2"})
    assert second == {"clusterArns": ITEMS[2:4], "nextToken": "4"}
    assert pager.page("ListClusters", ITEMS, {"max_results": 2, "next_token": "4"}) == {
        "clusterArns": ITEMS[4:]
    }


def test_without_a_limit_a_page_holds_every_item_unless_the_service_says():
    assert Pager("ecs", refuse).page("ListClusters", ITEMS, {}) == {"clusterArns": ITEMS}
    sized = Pager("ecs", refuse, size=lambda asked: asked or 3, sizes={"ListTasks": lambda _: 1})
    assert sized.page("ListClusters", ITEMS, {}) == {"clusterArns": ITEMS[:3], "nextToken": "3"}
    assert sized.page("ListClusters", ITEMS, {"max_results": 0})["clusterArns"] == ITEMS[:3]
    assert sized.page("ListTasks", ITEMS, {"max_results": 4})["taskArns"] == ITEMS[:1]


def test_a_limit_the_service_refuses_is_refused_before_the_token():
    def size(asked: int | None) -> int | None:
        if asked is not None and asked > 3:
            raise ServiceError("InvalidParameterException", "at most 3")
        return asked

    pager = Pager("ecs", refuse, size=size)
    with pytest.raises(ServiceError) as caught:
        pager.page("ListClusters", ITEMS, {"max_results": 4, "next_token": "x"})
    assert (caught.value.code, caught.value.message) == ("InvalidParameterException", "at most 3")
    with pytest.raises(ServiceError):
        pager.limit("ListClusters", {"max_results": 4})
    assert pager.limit("ListClusters", {"max_results": 3}) == 3


@pytest.mark.parametrize("token", ["x", "-1", "1.5", "²", "6"])
def test_a_token_the_service_did_not_give_is_refused_its_way(token):
    with pytest.raises(ServiceError) as caught:
        Pager("ecs", refuse).page("ListClusters", ITEMS, {"next_token": token})
    assert (caught.value.code, caught.value.message) == (
        "InvalidNextTokenException",
        f"not ours: {token}",
    )


def test_an_empty_decimal_token_starts_over():
    assert Pager("ecs", refuse).page("ListClusters", ITEMS, {"next_token": ""}) == {
        "clusterArns": ITEMS
    }


def test_a_service_keeps_its_own_token_format():
    def read(token: str) -> int | None:
        text = base64.b64decode(token).decode()
        return int(text[6:]) if text.startswith("bgkit:") else None

    def write(offset: int) -> str:
        return base64.b64encode(f"bgkit:{offset}".encode()).decode()

    pager = Pager("logs", refuse, tokens=Tokens(write=write, read=read, bounded=False))
    first = pager.page("DescribeLogGroups", ITEMS, {"limit": 3})
    assert first["nextToken"] == write(3)
    assert pager.page("DescribeLogGroups", ITEMS, {"next_token": first["nextToken"]}) == {
        "logGroups": ITEMS[3:]
    }
    # not bounded: an offset past the end is an empty last page, not a refusal
    assert pager.page("DescribeLogGroups", ITEMS, {"next_token": write(9)}) == {"logGroups": []}


def test_more_results_says_whether_more_follow():
    pager = Pager("iam", refuse)
    assert pager.page("ListRoles", ITEMS, {"max_items": 4}) == {
        "Roles": ITEMS[:4],
        "Marker": "4",
        "IsTruncated": True,
    }
    assert pager.page("ListRoles", ITEMS, {"marker": "4"}) == {
        "Roles": ITEMS[4:],
        "IsTruncated": False,
    }


def test_operations_without_a_paginator_model_are_given_their_members():
    members = Members("nextToken", "nextToken", "serviceDeployments", "maxResults")
    pager = Pager("ecs", refuse, members={"ListServiceDeployments": members})
    assert pager.page("ListServiceDeployments", ITEMS, {"max_results": 4}) == {
        "serviceDeployments": ITEMS[:4],
        "nextToken": "4",
    }
    with pytest.raises(LookupError, match="ecs DescribeClusters has no paginator model"):
        pager.page("DescribeClusters", ITEMS, {})


def test_show_is_applied_to_the_page_only():
    shown: list[str] = []

    def show(item: str) -> str:
        shown.append(item)
        return item.upper()

    page = Pager("ecs", refuse).page("ListClusters", ITEMS, {"max_results": 2}, show=show)
    assert page["clusterArns"] == ["ARN:0", "ARN:1"] and shown == ITEMS[:2]


def _service_pager(service: str) -> Pager:
    from bgkit.local.services.codedeploy.models import PAGER as CODEDEPLOY
    from bgkit.local.services.ec2.filters import PAGER as EC2
    from bgkit.local.services.ecs.models import PAGER as ECS
    from bgkit.local.services.elbv2.models import PAGER as ELBV2
    from bgkit.local.services.iam.checks import PAGER as IAM
    from bgkit.local.services.logs.provider import PAGER as LOGS

    return {p.service: p for p in (CODEDEPLOY, EC2, ECS, ELBV2, IAM, LOGS)}[service]


@pytest.mark.parametrize("service", ["codedeploy", "ec2", "ecs", "elbv2", "iam", "logs"])
def test_every_paged_operation_has_members_the_service_model_knows(service):
    pager = _service_pager(service)
    model = botocore.session.get_session().get_service_model(service)
    package = Path(__file__).parents[2] / "bgkit" / "local" / "services" / service
    paged = set()
    for source in package.rglob("*.py"):
        paged |= set(re.findall(r'PAGER\.(?:page|limit)\(\s*"(\w+)"', source.read_text()))
    assert paged
    for operation in paged:
        members = pager.members(operation)
        operation_model = model.operation_model(operation)
        assert members.input_token in operation_model.input_shape.members
        assert members.output_token in operation_model.output_shape.members
        assert members.result_key in operation_model.output_shape.members
        if members.limit_key:
            assert members.limit_key in operation_model.input_shape.members
    for operation in pager.explicit:  # names given only where botocore has no paginator
        assert model_members(service, operation) is None
