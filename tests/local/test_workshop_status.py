"""``bgkit workshop status``: one row per participant, on a local cloud holding four prefixes at
different stages of the walkthrough, each made with the walkthrough's own functions.

The rows are read with as few calls as the APIs allow: the bulk calls once for the room, and one
call a participant only where an API takes one resource (``DescribeListeners`` one load
balancer, ``DescribeServices`` one cluster, ``ListDeployments`` one deployment group — botocore's
service models, ``elbv2``/``ecs``/``codedeploy`` ``service-2.json``).
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from bgkit import walkthrough as wt
from bgkit.cli import main
from bgkit.config import Settings
from bgkit.connect import Session
from bgkit.costs import estimate
from bgkit.local.server import LocalCloud
from bgkit.tour import free_offset
from bgkit.workshop import STATUS_COLUMNS, room_status

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def room(tmp_path_factory) -> Iterator[tuple[LocalCloud, dict[str, Session]]]:
    """``start``: only notebook 01's first step; ``net``: notebook 01; ``svc``: through 03;
    ``dep``: through 05, its deployment waiting in Ready for the reroute."""
    state = tmp_path_factory.mktemp("room") / "state"
    with LocalCloud(state, port=0, listener_offset=free_offset(), clock=60) as cloud:
        kits = {
            prefix: Session(
                Settings.load(
                    {}, local_port=cloud.port, listener_offset=cloud.listener_offset,
                    prefix=prefix,
                )
            )
            for prefix in ("start", "net", "svc", "dep")
        }  # fmt: skip
        vpc_id, _ = wt.default_network(kits["start"])
        wt.security_group(kits["start"], vpc_id)
        wt.prepare(kits["net"])
        for prefix in ("svc", "dep"):
            kit = kits[prefix]
            pre = wt.prepare(kit)
            role = wt.codedeploy_role(kit)
            wt.service(kit, task_definition_arn=pre.task_definition_arn,
                       target_group_arn=pre.target_group_arns[0], subnet_ids=pre.subnet_ids,
                       security_group_id=pre.security_group_id)  # fmt: skip
            wt.wait_service_healthy(kit)
        kit = kits["dep"]
        wt.application(kit)
        wt.deployment_group(kit, service_role_arn=role["Arn"],
                            production_listener_arn=pre.listener_arns[80],
                            test_listener_arn=pre.listener_arns[8080])  # fmt: skip
        fizzbuzz = wt.task_definition(kit, "fizzbuzz", pre.execution_role_arn)
        deployment_id = wt.create_deployment(kit, fizzbuzz["taskDefinitionArn"])
        wt.wait_deployment(kit, deployment_id, "Ready")
        yield cloud, kits


def test_one_row_per_participant_says_how_far_they_got(room):
    _, kits = room
    frame = room_status(kits["start"])
    assert list(frame.columns) == STATUS_COLUMNS
    rows = {row["prefix"]: row for row in frame.to_dict("records")}
    assert list(rows) == ["dep", "net", "start", "svc"]
    assert rows["start"]["reached"] == "01…"
    assert rows["start"]["listeners"] == "-" and rows["start"]["tasks"] == 0
    assert rows["start"]["usd_an_hour"] == 0
    assert rows["net"]["reached"] == "01"
    assert rows["net"]["listeners"] == "80, 8080" and rows["net"]["role"] == "-"
    assert rows["svc"]["reached"] == "03"
    assert rows["svc"]["role"] == "svc-codedeploy"
    assert rows["svc"]["service"] == "ACTIVE 2/2" and rows["svc"]["tasks"] == 2
    assert rows["svc"]["deployment group"] == "-" and rows["svc"]["state"] == "-"
    dep = rows["dep"]
    assert dep["reached"] == "05" and dep["deployment group"] == "dep-dg"
    assert dep["last deployment"].startswith("d-") and dep["state"] == "Ready"
    assert dep["tasks"] == 4  # blue and green side by side until the reroute


def test_what_it_costs_an_hour_is_the_price_tables(room):
    _, kits = room
    rows = {row["prefix"]: row for row in room_status(kits["start"]).to_dict("records")}
    full = estimate("us-east-1")  # the table's usage is the walkthrough at its largest: 4 tasks
    assert rows["dep"]["usd_an_hour"] == pytest.approx(full.per_hour, abs=1e-4)
    assert 0 < rows["net"]["usd_an_hour"] < rows["svc"]["usd_an_hour"] < rows["dep"]["usd_an_hour"]


def test_the_calls_are_made_in_bulk(room):
    _, kits = room
    kit = Session(kits["start"].settings)
    calls: Counter[str] = Counter()
    kit.events.register("before-call", lambda model, **_: calls.update([model.name]))
    room_status(kit)
    # one a participant where an API takes one resource
    assert calls["DescribeListeners"] == 3  # the three load balancers
    assert calls["DescribeServices"] == 2  # the two clusters with a service
    assert calls["ListDeployments"] == 1  # the one deployment group
    # once for the room
    for bulk in ("DescribeSecurityGroups", "DescribeLoadBalancers", "DescribeTags",
                 "ListClusters", "DescribeClusters", "ListRoles", "ListApplications",
                 "BatchGetDeployments"):  # fmt: skip
        assert calls[bulk] == 1, bulk
    assert sum(calls.values()) == 14


def test_the_command_prints_the_table(room, monkeypatch):
    cloud, _ = room
    for name in ("BGKIT_TARGET", "BGKIT_PREFIX", "AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BGKIT_LOCAL_PORT", str(cloud.port))
    # the in-process cloud has no pid file for connect() to find: do not start another
    monkeypatch.setattr(sys.modules["bgkit.connect"], "start_background", lambda settings: None)
    result = CliRunner().invoke(main, ["workshop", "status"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:2] == ["prefix", "reached"]
    assert [line.split()[0] for line in lines[1:5]] == ["dep", "net", "start", "svc"]
    assert "Ready" in lines[1]
    assert lines[-1].startswith("local target: nothing is billed")


def test_the_live_table_reads_the_room_again_while_shown(room):
    import asyncio

    from bgkit.workshop import RoomView

    _, kits = room
    view = RoomView(kits["start"], prefixes=["svc", "net", "nobody"], interval=0.05, hours=1e-4)
    assert repr(view) == "RoomView(prefixes=['net', 'nobody', 'svc'], interval=0.05)"
    assert view.frame["prefix"].tolist() == ["net", "svc"]
    assert "<td>svc-codedeploy</td>" in view._table.value
    first = view.frame

    async def shown() -> None:
        bundle = view._repr_mimebundle_()  # displayed: it starts following the room
        assert bundle["text/plain"] == repr(view)
        await view._follower

    asyncio.run(shown())
    assert view.frame is not first and view.frame.equals(first)  # read again, nothing changed
    assert view.errors == []


def test_the_live_table_refuses_a_useless_pace(room):
    from bgkit.errors import BgkitError
    from bgkit.workshop import RoomView

    with pytest.raises(BgkitError, match="positive interval"):
        RoomView(room[1]["start"], interval=0)
