"""Weighted forward actions as both deployment engines rewrite them."""

from __future__ import annotations

import pytest

from bgkit.local.forwarding import forward_weights, forwards_to, reweighted, weights_for

BLUE, GREEN, OTHER = "arn:tg/blue", "arn:tg/green", "arn:tg/other"


def forward(*groups: tuple[str, int], stickiness: dict | None = None, **extra) -> dict:
    config: dict = {"TargetGroups": [{"TargetGroupArn": arn, "Weight": w} for arn, w in groups]}
    config["TargetGroupStickinessConfig"] = stickiness or {"Enabled": False}
    action = {"Type": "forward", "ForwardConfig": config, **extra}
    if len(groups) == 1:
        action["TargetGroupArn"] = groups[0][0]
    return action


def test_forward_weights_of_a_weighted_action():
    assert forward_weights([forward((BLUE, 100), (GREEN, 0))]) == {BLUE: 100, GREEN: 0}


def test_forward_weights_of_a_single_target_group():
    assert forward_weights([{"Type": "forward", "TargetGroupArn": BLUE}]) == {BLUE: 1}


def test_forward_weights_without_a_forward_action():
    fixed = {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503"}}
    assert forward_weights([fixed]) == {}
    assert not forwards_to([fixed], [BLUE, GREEN])


def test_forwards_to_any_group_at_any_weight():
    assert forwards_to([forward((BLUE, 0), (OTHER, 1))], [BLUE, GREEN])
    assert not forwards_to([forward((OTHER, 1))], [BLUE, GREEN])


def test_reweighted_adds_a_group_and_drops_the_single_arn():
    (action,) = reweighted([forward((BLUE, 1))], {BLUE: 1, GREEN: 0})
    assert "TargetGroupArn" not in action
    assert action["ForwardConfig"]["TargetGroups"] == [
        {"TargetGroupArn": BLUE, "Weight": 1},
        {"TargetGroupArn": GREEN, "Weight": 0},
    ]


def test_reweighted_keeps_other_groups_after_the_given_ones():
    (action,) = reweighted([forward((OTHER, 0), (BLUE, 100), (GREEN, 0))], {BLUE: 90, GREEN: 10})
    assert action["ForwardConfig"]["TargetGroups"] == [
        {"TargetGroupArn": BLUE, "Weight": 90},
        {"TargetGroupArn": GREEN, "Weight": 10},
        {"TargetGroupArn": OTHER, "Weight": 0},
    ]


def test_reweighted_puts_the_groups_in_the_order_given():
    (action,) = reweighted([forward((BLUE, 1), (GREEN, 0))], {GREEN: 100, BLUE: 0})
    assert [g["TargetGroupArn"] for g in action["ForwardConfig"]["TargetGroups"]] == [GREEN, BLUE]


def test_reweighted_keeps_stickiness_and_order():
    sticky = {"Enabled": True, "DurationSeconds": 300}
    (action,) = reweighted([forward((BLUE, 1), stickiness=sticky, Order=3)], {BLUE: 0, GREEN: 1})
    assert action["ForwardConfig"]["TargetGroupStickinessConfig"] == sticky
    assert action["Order"] == 3


def test_reweighted_without_stickiness_disables_it():
    bare = {"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": BLUE}]}}
    (action,) = reweighted([bare], {BLUE: 0, GREEN: 1})
    assert action["ForwardConfig"]["TargetGroupStickinessConfig"] == {"Enabled": False}


def test_reweighted_leaves_its_argument_and_other_actions_alone():
    fixed = {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503"}}
    actions = [fixed, forward((BLUE, 1))]
    result = reweighted(actions, {BLUE: 0, GREEN: 1})
    assert actions == [fixed, forward((BLUE, 1))]
    assert result[0] == fixed
    assert result[1]["ForwardConfig"]["TargetGroups"][1] == {"TargetGroupArn": GREEN, "Weight": 1}


def test_reweighted_without_a_forward_action_is_equal():
    fixed = [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503"}}]
    assert reweighted(fixed, {BLUE: 0, GREEN: 1}) == fixed


def test_reweighted_to_the_same_weights_is_equal():
    actions = [forward((BLUE, 90), (GREEN, 10))]
    assert reweighted(actions, {BLUE: 90, GREEN: 10}) == actions


@pytest.mark.parametrize(
    ("percent", "weights"),
    [
        (0, {BLUE: 100, GREEN: 0}),
        (10, {BLUE: 90, GREEN: 10}),
        (100.0, {BLUE: 0, GREEN: 100}),
        (2.5, {BLUE: 975, GREEN: 25}),
        (33.3, {BLUE: 667, GREEN: 333}),
    ],
)
def test_weights_for_a_percent(percent, weights):
    assert weights_for(BLUE, GREEN, percent) == weights
    assert all(isinstance(w, int) for w in weights_for(BLUE, GREEN, percent).values())
