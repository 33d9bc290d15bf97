"""Weighted ``forward`` actions of ELBv2 listeners and rules, as plain data.

Both deployment engines move traffic by rewriting the weights of a forward action: CodeDeploy's
on a listener's ``DefaultActions`` (and its rules that forward to the pair), ECS's built-in
blue/green on a listener rule's ``Actions``. What the new actions are is the same for both and is
here, free of any store or API: :func:`forward_weights` reads an action list's weights,
:func:`reweighted` gives the list with new weights, :func:`weights_for` turns a percent of the
requests into the integer weights ALB takes. Which API each engine calls with the result, as which
principal, and the words of a refusal stay in its own traffic module.

Actions are as ELBv2 stores them (``bgkit.local.services.elbv2.actions``): a forward action has a
``ForwardConfig`` with ``TargetGroups``, and a ``TargetGroupArn`` too when it holds one group.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["Action", "forward_weights", "forwards_to", "reweighted", "weights_for"]

#: an ELBv2 ``Action`` structure, with AWS's member names
Action = dict[str, Any]


def forward_weights(actions: Iterable[Action]) -> dict[str, int]:
    """``{target group ARN: weight}`` of the first forward action among ``actions`` ({} if none)."""
    for action in actions:
        if action.get("Type") == "forward":
            groups = action.get("ForwardConfig", {}).get("TargetGroups", [])
            if groups:
                return {g["TargetGroupArn"]: int(g.get("Weight", 1)) for g in groups}
            if action.get("TargetGroupArn"):
                return {action["TargetGroupArn"]: 1}
    return {}


def forwards_to(actions: Iterable[Action], groups: Iterable[str]) -> bool:
    """Whether the forward action among ``actions`` sends to any of ``groups`` (at any weight)."""
    return bool(set(forward_weights(actions)) & set(groups))


def reweighted(actions: list[Action], weights: Mapping[str, int]) -> list[Action]:
    """A copy of ``actions`` whose first forward action forwards to the groups of ``weights``
    with those weights, in that order, then to its other groups as they were.

    The action keeps its place, its ``Order`` and its stickiness (disabled when it had none); its
    single ``TargetGroupArn`` goes, as the action now holds the groups in ``ForwardConfig``.
    Actions without a forward action come back equal.
    """
    result = copy.deepcopy(actions)
    for action in result:
        if action.get("Type") != "forward":
            continue
        others = {arn: w for arn, w in forward_weights([action]).items() if arn not in weights}
        config = action.get("ForwardConfig", {})
        action.pop("TargetGroupArn", None)
        action["ForwardConfig"] = {
            "TargetGroups": [
                {"TargetGroupArn": arn, "Weight": weight}
                for arn, weight in {**weights, **others}.items()
            ],
            "TargetGroupStickinessConfig": config.get(
                "TargetGroupStickinessConfig", {"Enabled": False}
            ),
        }
        break
    return result


def weights_for(blue: str, green: str, percent: float) -> dict[str, int]:
    """Forward weights giving ``green`` ``percent`` of the requests and ``blue`` the rest: out of
    100 for a whole percent, out of 1000 for tenths (ALB weights are integers up to 999)."""
    if abs(percent - round(percent)) < 1e-9:
        return {blue: 100 - round(percent), green: round(percent)}
    green_weight = round(percent * 10)
    return {blue: 1000 - green_weight, green: green_weight}
