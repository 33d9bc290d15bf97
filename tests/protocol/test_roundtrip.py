"""The botocore round trip over every operation of the eight services the local cloud speaks for."""

from __future__ import annotations

import pytest

from bgkit.local.api.protocol import protocol_of

from .roundtrip import assert_roundtrip, service_model

SERVICES = {
    "iam": "query",
    "sts": "query",
    "elbv2": "query",
    "ec2": "ec2",
    "ecs": "json",
    "codedeploy": "json",
    "logs": "json",
    "lambda": "rest-json",
}


def _operations() -> list[object]:
    params = []
    for service in SERVICES:
        model = service_model(service)
        for name in model.operation_names:
            operation = model.operation_model(name)
            marks = []
            if operation.has_event_stream_output:
                marks.append(pytest.mark.skip(reason="event-stream output is not served locally"))
            params.append(pytest.param(service, name, id=f"{service}-{name}", marks=marks))
    return params


@pytest.mark.parametrize(("service", "protocol"), SERVICES.items())
def test_boto3_resolves_the_protocol_we_speak(service: str, protocol: str) -> None:
    model = service_model(service)
    assert model.resolved_protocol == protocol
    assert protocol_of(model) == protocol


@pytest.mark.parametrize(("service", "operation"), _operations())
def test_roundtrip(service: str, operation: str) -> None:
    assert_roundtrip(service, operation)
