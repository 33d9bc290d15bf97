"""The botocore round trip over every operation of the services the local cloud speaks for, in
every protocol their models list (CloudWatch: CBOR, JSON and query; CodeDeploy and CodePipeline:
CBOR and JSON), the client speaking one and the server recognising it from the request."""

from __future__ import annotations

import pytest

from bgkit.local.api.protocol import protocol_of

from .roundtrip import assert_roundtrip, served_protocols, service_model

SERVICES = {
    "iam": "query",
    "sts": "query",
    "elbv2": "query",
    "ec2": "ec2",
    "ecs": "json",
    "codedeploy": "json",
    "logs": "json",
    "lambda": "rest-json",
    "codepipeline": "json",
    "cloudwatch": "json",
}
#: the services whose models list more than one protocol, and what they list
SEVERAL = {
    "codedeploy": ("smithy-rpc-v2-cbor", "json"),
    "codepipeline": ("smithy-rpc-v2-cbor", "json"),
    "cloudwatch": ("smithy-rpc-v2-cbor", "json", "query"),
}


def _operations(several: bool = False) -> list[object]:
    """(service, operation) of every service, or with ``several`` (service, operation, protocol)
    for every protocol but boto3's of the services that list several."""
    params = []
    for service in SEVERAL if several else SERVICES:
        model = service_model(service)
        protocols = [p for p in SEVERAL[service] if p != SERVICES[service]] if several else [None]
        for name in model.operation_names:
            operation = model.operation_model(name)
            marks = []
            if operation.has_event_stream_output:
                marks.append(pytest.mark.skip(reason="event-stream output is not served locally"))
            for protocol in protocols:
                values = (service, name, protocol) if several else (service, name)
                ident = "-".join(filter(None, (service, name, protocol)))
                params.append(pytest.param(*values, id=ident, marks=marks))
    return params


@pytest.mark.parametrize(("service", "protocol"), SERVICES.items())
def test_boto3_resolves_the_protocol_we_speak(service: str, protocol: str) -> None:
    model = service_model(service)
    assert model.resolved_protocol == protocol
    assert protocol_of(model) == protocol


@pytest.mark.parametrize(("service", "operation"), _operations())
def test_roundtrip(service: str, operation: str) -> None:
    assert_roundtrip(service, operation)


@pytest.mark.parametrize(("service", "protocols"), SEVERAL.items())
def test_a_service_is_served_in_every_protocol_its_model_lists(
    service: str, protocols: tuple[str, ...]
) -> None:
    assert served_protocols(service) == protocols


@pytest.mark.parametrize(("service", "operation", "protocol"), _operations(several=True))
def test_roundtrip_in_every_protocol(service: str, operation: str, protocol: str) -> None:
    assert_roundtrip(service, operation, protocol)
