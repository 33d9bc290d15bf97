"""The dated price table, the hourly estimate, and the confirmation without which nothing
billable is created on AWS."""

from __future__ import annotations

import datetime
import json

import boto3
import pytest
from botocore.stub import Stubber

import bgkit
from bgkit import costs
from bgkit import walkthrough as wt
from bgkit.config import Settings
from bgkit.connect import Session
from bgkit.errors import ConfigError, CostNotConfirmedError

KEYS = set(costs._KEYS)


def test_price_table_is_dated_sourced_and_says_to_recheck():
    raw = json.loads(costs.PRICES.read_text())
    datetime.date.fromisoformat(raw["compiled"])
    assert "re-check" in raw["about"].lower()
    assert all(url.startswith("https://aws.amazon.com/") for url in raw["sources"].values())
    assert len(raw["regions"]) >= 5
    for region, prices in raw["regions"].items():
        assert set(prices) == KEYS, region
        assert all(0 < value < 1 for value in prices.values()), region


def test_estimate_adds_up_the_walkthroughs_items():
    estimate = costs.estimate("us-east-1")
    frame = estimate.frame()
    assert frame["usd_per_hour"].sum() == pytest.approx(estimate.per_hour)
    fargate = frame[frame["item"].str.startswith("Fargate")]["usd_per_hour"].sum()
    assert fargate == pytest.approx(4 * (0.25 * 0.04048 + 0.5 * 0.004445))
    assert 0.05 < estimate.per_hour < 0.5
    text = estimate._repr_mimebundle_()["text/plain"]
    assert "us-east-1" in text and "re-check" in text and "bgkit cleanup" in text


def test_estimate_of_a_region_without_prices_takes_the_highest_and_says_so():
    unknown = costs.estimate("sa-east-1")
    assert unknown.per_hour >= max(costs.estimate(r).per_hour for r in ("us-east-1", "eu-west-1"))
    assert any("no prices for sa-east-1" in note for note in unknown.notes)


def test_event_names_are_botocores():
    session = boto3.session.Session(region_name="us-east-1")
    for service, name in costs.EVENT_NAMES.items():
        model = session._session.get_service_model(service)
        assert model.service_id.hyphenize() == name
        for operation in costs.BILLABLE[service]:
            assert operation in model.operation_names


def test_local_target_needs_no_confirmation(tmp_path):
    kit = Session(Settings.load({}, state_dir=tmp_path))
    costs.require_cost_confirmation(kit)
    panel = costs.confirm_costs(kit)
    assert panel.confirmed
    assert "nothing is billed" in panel._repr_mimebundle_()["text/plain"]


def test_require_confirmation_on_aws_says_how_to_confirm(aws_kit):
    with pytest.raises(CostNotConfirmedError) as raised:
        costs.require_cost_confirmation(aws_kit, "the load balancer")
    message = str(raised.value)
    assert "the load balancer" in message and "eu-west-1" in message
    assert "confirm_costs(kit)" in message and "BGKIT_CONFIRM_COSTS=yes" in message
    assert isinstance(raised.value, PermissionError)


def test_confirmation_withheld_creates_nothing_billable(aws_kit, local_client, api_calls):
    """The walkthrough's notebook 01 and 03 on the aws target, nobody having confirmed: the
    free resources are made, the load balancer and the service are not (nor sent)."""
    vpc_id, subnet_ids = wt.default_network(aws_kit)
    group_id = wt.security_group(aws_kit, vpc_id)
    with pytest.raises(CostNotConfirmedError, match="the load balancer"):
        wt.load_balancer(aws_kit, subnet_ids, group_id)
    with pytest.raises(CostNotConfirmedError, match="Fargate"):
        aws_kit.client("ecs").create_service(serviceName="x", taskDefinition="y", desiredCount=2)
    assert ("elbv2", "CreateLoadBalancer") not in api_calls  # the walkthrough stops before asking
    assert ("ecs", "CreateService") in api_calls  # asked, refused by the session before sending
    assert local_client("elbv2").describe_load_balancers()["LoadBalancers"] == []
    assert local_client("ecs").list_clusters()["clusterArns"] == []


def test_guard_refuses_before_the_request_is_sent(aws_env):
    kit = bgkit.connect()
    elbv2 = kit.client("elbv2")
    with Stubber(elbv2) as stubber:  # no response queued: a request that got this far would fail
        with pytest.raises(CostNotConfirmedError):
            elbv2.create_load_balancer(Name="alice-alb", Subnets=["subnet-1", "subnet-2"])
        stubber.assert_no_pending_responses()
    assert kit.settings.target == "aws"


def test_env_confirmation_lets_billable_calls_through(aws_env, local_client):
    aws_env.setenv("BGKIT_CONFIRM_COSTS", "yes")
    kit = bgkit.connect()
    vpc_id, subnet_ids = wt.default_network(kit)
    lb = wt.load_balancer(kit, subnet_ids, wt.security_group(kit, vpc_id))
    assert lb["LoadBalancerName"] == "alice-alb"
    assert costs.confirm_costs(kit).confirmed


def test_env_confirmation_other_than_yes_is_refused(aws_env, aws_kit):
    aws_env.setenv("BGKIT_CONFIRM_COSTS", "sure")
    with pytest.raises(ConfigError, match="'yes' or unset"):
        costs.require_cost_confirmation(aws_kit)


def test_button_confirms_for_this_region_and_prefix_only(aws_kit):
    panel = costs.confirm_costs(aws_kit)
    assert not panel.confirmed and "NOT confirmed" in panel._repr_mimebundle_()["text/plain"]
    panel._button.click()
    assert panel.confirmed and panel._button.disabled
    costs.require_cost_confirmation(aws_kit)  # a later notebook, same region and prefix
    later = Session(aws_kit.settings)
    costs.require_cost_confirmation(later)
    with pytest.raises(CostNotConfirmedError):
        costs.require_cost_confirmation(Session(aws_kit.settings.replace(prefix="bob")))
    with pytest.raises(CostNotConfirmedError):
        costs.require_cost_confirmation(Session(aws_kit.settings.replace(region="us-east-1")))


def test_confirmation_expires_after_a_day(aws_kit):
    costs.record_confirmation(aws_kit, by="test")
    path = aws_kit.settings.state_dir / costs.CONFIRMATION_FILE
    kept = json.loads(path.read_text())
    old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=25)
    kept["confirmed"][0]["at"] = old.isoformat()
    path.write_text(json.dumps(kept))
    assert not costs.is_confirmed(aws_kit)
