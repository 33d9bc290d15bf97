"""ELBv2 listeners and rules through real boto3 clients: forwards, weights, CodeDeploy rewrites."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from elb import error_code, forward, target_group

pytestmark = pytest.mark.control_plane


def _listener(elbv2: Any, alb: str, actions: list[dict[str, Any]], port: int = 80) -> str:
    made = elbv2.create_listener(
        LoadBalancerArn=alb, Protocol="HTTP", Port=port, DefaultActions=actions
    )
    return made["Listeners"][0]["ListenerArn"]


def _ports(elbv2: Any, alb: str) -> list[int]:
    return [item["Port"] for item in elbv2.describe_listeners(LoadBalancerArn=alb)["Listeners"]]


def _weighted(*pairs: tuple[str, int]) -> list[dict[str, Any]]:
    groups = [{"TargetGroupArn": arn, "Weight": weight} for arn, weight in pairs]
    return [{"Type": "forward", "ForwardConfig": {"TargetGroups": groups}}]


def test_create_listener_normalises_single_forward(elbv2: Any, vpc: str, alb: str) -> None:
    group = target_group(elbv2, vpc)
    made = elbv2.create_listener(
        LoadBalancerArn=alb, Protocol="HTTP", Port=80, DefaultActions=forward(group)
    )["Listeners"][0]
    lb_name, lb_id = alb.split("/")[-2:]
    assert made["ListenerArn"].startswith(
        f"arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/{lb_name}/{lb_id}/"
    )
    assert made["LoadBalancerArn"] == alb
    assert (made["Port"], made["Protocol"]) == (80, "HTTP")
    assert made["DefaultActions"] == [
        {
            "Type": "forward",
            "TargetGroupArn": group,
            "ForwardConfig": {
                "TargetGroups": [{"TargetGroupArn": group, "Weight": 1}],
                "TargetGroupStickinessConfig": {"Enabled": False},
            },
        }
    ]


def test_create_listener_weighted_forward_config(elbv2: Any, vpc: str, alb: str) -> None:
    blue, green = target_group(elbv2, vpc), target_group(elbv2, vpc, name="bgkit-tg-2")
    arn = _listener(elbv2, alb, _weighted((blue, 90), (green, 10)))
    action = elbv2.describe_listeners(ListenerArns=[arn])["Listeners"][0]["DefaultActions"][0]
    assert "TargetGroupArn" not in action
    assert action["ForwardConfig"]["TargetGroups"] == [
        {"TargetGroupArn": blue, "Weight": 90},
        {"TargetGroupArn": green, "Weight": 10},
    ]


def test_create_listener_one_group_forward_config_gets_arn(elbv2: Any, vpc: str, alb: str) -> None:
    blue = target_group(elbv2, vpc)
    arn = _listener(elbv2, alb, _weighted((blue, 5)))
    action = elbv2.describe_listeners(ListenerArns=[arn])["Listeners"][0]["DefaultActions"][0]
    assert action["TargetGroupArn"] == blue


def test_create_listener_fixed_response(elbv2: Any, alb: str) -> None:
    config = {"StatusCode": "503", "ContentType": "text/plain", "MessageBody": "down"}
    arn = _listener(elbv2, alb, [{"Type": "fixed-response", "FixedResponseConfig": config}])
    action = elbv2.describe_listeners(ListenerArns=[arn])["Listeners"][0]["DefaultActions"][0]
    assert action == {"Type": "fixed-response", "FixedResponseConfig": config}


def test_create_listener_duplicate_port_refused(elbv2: Any, vpc: str, alb: str) -> None:
    group = target_group(elbv2, vpc)
    _listener(elbv2, alb, forward(group))
    other = [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}]
    with pytest.raises(ClientError) as error:
        _listener(elbv2, alb, other)
    assert error_code(error) == "DuplicateListener"
    assert "A listener already exists on this port for this load balancer" in str(error.value)
    assert _ports(elbv2, alb) == [80]


def test_create_listener_same_settings_answers_existing(elbv2: Any, vpc: str, alb: str) -> None:
    group = target_group(elbv2, vpc)
    assert _listener(elbv2, alb, forward(group)) == _listener(elbv2, alb, forward(group))
    assert _ports(elbv2, alb) == [80]


def test_create_listener_unknown_target_group_refused(elbv2: Any, vpc: str, alb: str) -> None:
    group = target_group(elbv2, vpc)
    elbv2.delete_target_group(TargetGroupArn=group)
    with pytest.raises(ClientError) as error:
        _listener(elbv2, alb, forward(group))
    assert error_code(error) == "TargetGroupNotFound"
    assert _ports(elbv2, alb) == []


def test_create_listener_unknown_load_balancer_refused(elbv2: Any, alb: str) -> None:
    elbv2.delete_load_balancer(LoadBalancerArn=alb)
    with pytest.raises(ClientError) as error:
        _listener(
            elbv2, alb, [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}]
        )
    assert error_code(error) == "LoadBalancerNotFound"


def test_create_listener_https_refused(elbv2: Any, vpc: str, alb: str) -> None:
    group = target_group(elbv2, vpc)
    with pytest.raises(ClientError) as error:
        elbv2.create_listener(
            LoadBalancerArn=alb, Protocol="HTTPS", Port=443, DefaultActions=forward(group)
        )
    assert error_code(error) == "ValidationError"
    assert _ports(elbv2, alb) == []


def test_create_listener_port_out_of_range_refused(elbv2: Any, vpc: str, alb: str) -> None:
    with pytest.raises(ClientError) as error:
        _listener(elbv2, alb, forward(target_group(elbv2, vpc)), port=70000)
    assert error_code(error) == "ValidationError"
    assert _ports(elbv2, alb) == []


@pytest.mark.parametrize("weight", [-1, 1000])
def test_create_listener_weight_out_of_range_refused(
    elbv2: Any, vpc: str, alb: str, weight: int
) -> None:
    group = target_group(elbv2, vpc)
    with pytest.raises(ClientError) as error:
        _listener(elbv2, alb, _weighted((group, weight)))
    assert error_code(error) == "ValidationError"
    assert _ports(elbv2, alb) == []


def test_create_listener_more_than_five_groups_refused(elbv2: Any, vpc: str, alb: str) -> None:
    groups = [(target_group(elbv2, vpc, name=f"tg-{i}"), 1) for i in range(6)]
    with pytest.raises(ClientError) as error:
        _listener(elbv2, alb, _weighted(*groups))
    assert error_code(error) == "ValidationError"
    assert _ports(elbv2, alb) == []


def test_create_listener_group_of_another_load_balancer_refused(
    elbv2: Any, ec2: Any, vpc: str, alb: str
) -> None:
    group = target_group(elbv2, vpc)
    _listener(elbv2, alb, forward(group))
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]]
    other = elbv2.create_load_balancer(Name="other", Subnets=subnets)["LoadBalancers"][0]
    with pytest.raises(ClientError) as error:
        _listener(elbv2, other["LoadBalancerArn"], forward(group))
    assert error_code(error) == "TargetGroupAssociationLimit"
    assert _ports(elbv2, other["LoadBalancerArn"]) == []


def test_modify_listener_rewrites_weights(elbv2: Any, vpc: str, alb: str) -> None:
    blue, green = target_group(elbv2, vpc), target_group(elbv2, vpc, name="bgkit-tg-2")
    arn = _listener(elbv2, alb, forward(blue))
    answer = elbv2.modify_listener(
        ListenerArn=arn, DefaultActions=_weighted((blue, 0), (green, 100))
    )
    groups = answer["Listeners"][0]["DefaultActions"][0]["ForwardConfig"]["TargetGroups"]
    assert groups == [
        {"TargetGroupArn": blue, "Weight": 0},
        {"TargetGroupArn": green, "Weight": 100},
    ]
    shown = elbv2.describe_listeners(ListenerArns=[arn])["Listeners"][0]
    assert shown["DefaultActions"] == answer["Listeners"][0]["DefaultActions"]


def test_modify_listener_port_taken_refused(elbv2: Any, vpc: str, alb: str) -> None:
    group = target_group(elbv2, vpc)
    _listener(elbv2, alb, forward(group))
    test = _listener(elbv2, alb, forward(group), port=8080)
    with pytest.raises(ClientError) as error:
        elbv2.modify_listener(ListenerArn=test, Port=80)
    assert error_code(error) == "DuplicateListener"
    assert _ports(elbv2, alb) == [80, 8080]


def test_describe_listeners_unknown_refused(elbv2: Any, vpc: str, alb: str) -> None:
    arn = _listener(elbv2, alb, forward(target_group(elbv2, vpc)))
    elbv2.delete_listener(ListenerArn=arn)
    with pytest.raises(ClientError) as error:
        elbv2.describe_listeners(ListenerArns=[arn])
    assert error_code(error) == "ListenerNotFound"
    assert _ports(elbv2, alb) == []


def test_delete_listener_unknown_refused(elbv2: Any, vpc: str, alb: str) -> None:
    arn = _listener(elbv2, alb, forward(target_group(elbv2, vpc)))
    elbv2.delete_listener(ListenerArn=arn)
    with pytest.raises(ClientError) as error:
        elbv2.delete_listener(ListenerArn=arn)
    assert error_code(error) == "ListenerNotFound"


def test_describe_rules_derives_default_rule(elbv2: Any, vpc: str, alb: str) -> None:
    group = target_group(elbv2, vpc)
    arn = _listener(elbv2, alb, forward(group))
    rules = elbv2.describe_rules(ListenerArn=arn)["Rules"]
    listener = elbv2.describe_listeners(ListenerArns=[arn])["Listeners"][0]
    assert len(rules) == 1
    assert rules[0]["IsDefault"] is True
    assert rules[0]["Priority"] == "default"
    assert rules[0]["Actions"] == listener["DefaultActions"]
    assert ":listener-rule/app/" in rules[0]["RuleArn"]
    again = elbv2.describe_rules(RuleArns=[rules[0]["RuleArn"]])["Rules"]
    assert again == rules


def test_modify_rule_default_rewrites_listener(elbv2: Any, vpc: str, alb: str) -> None:
    blue, green = target_group(elbv2, vpc), target_group(elbv2, vpc, name="bgkit-tg-2")
    arn = _listener(elbv2, alb, forward(blue), port=8080)
    default = elbv2.describe_rules(ListenerArn=arn)["Rules"][0]["RuleArn"]
    elbv2.modify_rule(RuleArn=default, Actions=forward(green))
    action = elbv2.describe_listeners(ListenerArns=[arn])["Listeners"][0]["DefaultActions"][0]
    assert action["TargetGroupArn"] == green


def test_modify_rule_unknown_refused(elbv2: Any, vpc: str, alb: str) -> None:
    arn = _listener(elbv2, alb, forward(target_group(elbv2, vpc)))
    with pytest.raises(ClientError) as error:
        elbv2.modify_rule(
            RuleArn=arn.replace(":listener/", ":listener-rule/") + "/0123456789abcdef", Actions=[]
        )
    assert error_code(error) == "RuleNotFound"


def test_create_rule_path_pattern(elbv2: Any, vpc: str, alb: str) -> None:
    blue, green = target_group(elbv2, vpc), target_group(elbv2, vpc, name="bgkit-tg-2")
    arn = _listener(elbv2, alb, forward(blue))
    rule = elbv2.create_rule(
        ListenerArn=arn,
        Priority=10,
        Conditions=[{"Field": "path-pattern", "Values": ["/api/*"]}],
        Actions=forward(green),
    )["Rules"][0]
    assert rule["Priority"] == "10"
    assert rule["IsDefault"] is False
    assert rule["Conditions"] == [
        {"Field": "path-pattern", "Values": ["/api/*"], "PathPatternConfig": {"Values": ["/api/*"]}}
    ]
    rules = elbv2.describe_rules(ListenerArn=arn)["Rules"]
    assert [r["Priority"] for r in rules] == ["10", "default"]
    assert elbv2.describe_target_groups(TargetGroupArns=[green])["TargetGroups"][0][
        "LoadBalancerArns"
    ] == [alb]


def test_create_rule_priority_in_use_refused(elbv2: Any, vpc: str, alb: str) -> None:
    group = target_group(elbv2, vpc)
    arn = _listener(elbv2, alb, forward(group))
    condition = [{"Field": "host-header", "Values": ["a.example.com"]}]
    elbv2.create_rule(ListenerArn=arn, Priority=1, Conditions=condition, Actions=forward(group))
    with pytest.raises(ClientError) as error:
        elbv2.create_rule(ListenerArn=arn, Priority=1, Conditions=condition, Actions=forward(group))
    assert error_code(error) == "PriorityInUse"
    assert len(elbv2.describe_rules(ListenerArn=arn)["Rules"]) == 2


def test_delete_rule_default_refused(elbv2: Any, vpc: str, alb: str) -> None:
    arn = _listener(elbv2, alb, forward(target_group(elbv2, vpc)))
    default = elbv2.describe_rules(ListenerArn=arn)["Rules"][0]["RuleArn"]
    with pytest.raises(ClientError) as error:
        elbv2.delete_rule(RuleArn=default)
    assert error_code(error) == "OperationNotPermitted"


def test_set_rule_priorities_swaps(elbv2: Any, vpc: str, alb: str) -> None:
    group = target_group(elbv2, vpc)
    arn = _listener(elbv2, alb, forward(group))
    made = [
        elbv2.create_rule(
            ListenerArn=arn,
            Priority=priority,
            Conditions=[{"Field": "path-pattern", "Values": [f"/{priority}"]}],
            Actions=forward(group),
        )["Rules"][0]["RuleArn"]
        for priority in (1, 2)
    ]
    elbv2.set_rule_priorities(
        RulePriorities=[{"RuleArn": made[0], "Priority": 2}, {"RuleArn": made[1], "Priority": 1}]
    )
    rules = elbv2.describe_rules(ListenerArn=arn)["Rules"]
    assert [r["RuleArn"] for r in rules[:2]] == [made[1], made[0]]
    elbv2.delete_rule(RuleArn=made[0])
    assert len(elbv2.describe_rules(ListenerArn=arn)["Rules"]) == 2
