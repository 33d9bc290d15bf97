"""Requests generated from botocore's shapes and mutated around them: never a 500, and a
refusal leaves the state as it was (issue 20).

Every operation a provider implements is called with params drawn from its input shape
(:mod:`.shape_strategies`): some keep every constraint (the provider must answer them, or refuse
them with a 4xx of its own), some break one (a required member left out, a length, range or
enum broken: the protocol layer refuses them with the service's code), some are broken on the
wire (a JSON value of the wrong type, garbage in a form field). Requests are built by botocore's
own serializer and answered by the local cloud's gateway in this process, against a world of a
role, a policy, a security group, a load balancer with a listener and a target group, a cluster
with a task definition, a log group with a stream and a CodeDeploy application, whose names and
ARNs the strings are often drawn from. The state database is read before and after every
refused request and must not have changed.

A service whose model lists several protocols (CodeDeploy and CodePipeline: CBOR and JSON;
CloudWatch: CBOR, JSON and query) is fuzzed in each: the requests of the others are built by
botocore from a copy of the model that offers that protocol alone (:func:`.roundtrip.speaking`),
the local cloud recognises the protocol from the request, and CBOR bodies are broken on the wire
too (a value of another type, or the body cut short).

Bounded: :data:`EXAMPLES` examples an operation (``BGKIT_FUZZ_EXAMPLES`` raises it for a
longer hunt), derandomized so that a run is the same on every machine, no example database.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import cbor2
import pytest
from botocore import xform_name
from botocore.awsrequest import create_request_object, prepare_request_dict
from botocore.model import OperationModel
from botocore.parsers import create_parser
from botocore.serialize import create_serializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bgkit.local.api.protocol import HttpRequest, HttpResponse, protocol_of
from bgkit.local.process import STATE_FILE
from bgkit.local.server import LocalCloud
from bgkit.local.services import providers

from .roundtrip import ENDPOINT, botocore_request, served_protocols, service_model
from .shape_strategies import (
    FORM_VALUES,
    WIRE_VALUES,
    json_text,
    mutate,
    mutate_form,
    mutate_json,
    mutation_points,
    params,
)

EXAMPLES = int(os.environ.get("BGKIT_FUZZ_EXAMPLES", "12"))
REGION = "us-east-1"
TRUST = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                   "Action": "sts:AssumeRole"}],
})  # fmt: skip
POLICY = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}],
})  # fmt: skip


def implemented() -> list[tuple[str, str]]:
    """Every (service, operation) a provider answers."""
    return [
        (service, operation)
        for service, provider in sorted(providers().items())
        for operation in service_model(service).operation_names
        if callable(getattr(provider, xform_name(operation), None))
    ]


IMPLEMENTED = implemented()
#: (service, operation, protocol) for the protocols other than boto3's of the services whose
#: models list several
OTHER_PROTOCOLS = [
    (service, operation, protocol)
    for service, operation in IMPLEMENTED
    for protocol in served_protocols(service)
    if protocol != protocol_of(service_model(service))
]


class World:
    """A local cloud answering in this process (no loop: nothing advances by itself), its
    seeded resources, and the strings worth drawing."""

    def __init__(self, state_dir: Path) -> None:
        self.cloud = LocalCloud(state_dir, port=0, dataplane=False)
        self.database = state_dir / STATE_FILE
        self.pool: set[str] = set()
        self._seed()

    def call(self, service: str, operation: str, **params: Any) -> dict[str, Any]:
        """A call that must succeed; its answer as botocore reads it."""
        model = service_model(service).operation_model(operation)
        response = self.send(model, botocore_request(model, params))
        parsed = read(model, response)
        assert response.status < 300, parsed
        self._collect(parsed)
        return parsed

    def send(self, operation: OperationModel, request: HttpRequest) -> HttpResponse:
        signing = operation.service_model.signing_name
        request.headers["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential=AKIDFUZZ/20260101/{REGION}/{signing}/aws4_request, "
            "SignedHeaders=host, Signature=0"
        )
        request.headers.setdefault("host", "127.0.0.1")
        return self.cloud.gateway.dispatch(request)

    def snapshot(self) -> list[tuple[Any, ...]]:
        """Every row of the state database, in order."""
        with sqlite3.connect(self.database) as db:
            return [
                *db.execute("SELECT partition, kind, key, body FROM records ORDER BY 1, 2, 3"),
                *db.execute("SELECT name, value FROM meta ORDER BY 1"),
            ]

    def _collect(self, value: Any) -> None:
        if isinstance(value, dict):
            for item in value.values():
                self._collect(item)
        elif isinstance(value, list):
            for item in value:
                self._collect(item)
        elif isinstance(value, str) and 0 < len(value) < 200 and not value.startswith("{"):
            self.pool.add(value)

    def _seed(self) -> None:
        role = self.call("iam", "CreateRole", RoleName="fuzz-role", AssumeRolePolicyDocument=TRUST)
        self.call("iam", "CreatePolicy", PolicyName="fuzz-policy", PolicyDocument=POLICY)
        self.call("iam", "PutRolePolicy", RoleName="fuzz-role", PolicyName="inline",
                  PolicyDocument=POLICY)  # fmt: skip
        vpc = self.call("ec2", "DescribeVpcs")["Vpcs"][0]["VpcId"]
        subnets = [s["SubnetId"] for s in self.call("ec2", "DescribeSubnets")["Subnets"]]
        self.call("ec2", "CreateSecurityGroup", GroupName="fuzz-sg", Description="fuzz",
                  VpcId=vpc)  # fmt: skip
        lb = self.call("elbv2", "CreateLoadBalancer", Name="fuzz-lb", Subnets=subnets[:2])
        lb_arn = lb["LoadBalancers"][0]["LoadBalancerArn"]
        groups = self.call("elbv2", "CreateTargetGroup", Name="fuzz-tg", Protocol="HTTP", Port=80,
                           VpcId=vpc, TargetType="ip")["TargetGroups"]  # fmt: skip
        group = groups[0]["TargetGroupArn"]
        self.call("elbv2", "CreateListener", LoadBalancerArn=lb_arn, Protocol="HTTP", Port=80,
                  DefaultActions=[{"Type": "forward", "TargetGroupArn": group}])  # fmt: skip
        self.call("ecs", "CreateCluster", clusterName="fuzz")
        self.call("ecs", "RegisterTaskDefinition", family="fuzz", networkMode="awsvpc",
                  cpu="256", memory="512", requiresCompatibilities=["FARGATE"],
                  executionRoleArn=role["Role"]["Arn"],
                  containerDefinitions=[{"name": "web", "image": "nginx", "essential": True,
                                         "portMappings": [{"containerPort": 80}]}])  # fmt: skip
        self.call("logs", "CreateLogGroup", logGroupName="/fuzz")
        self.call("logs", "CreateLogStream", logGroupName="/fuzz", logStreamName="web")
        self.call("codedeploy", "CreateApplication", applicationName="fuzz-app",
                  computePlatform="ECS")  # fmt: skip
        self.pool.update({"80", "8080", "web", "READY_WAIT"})


def unvalidated_request(operation: OperationModel, params: dict[str, Any]) -> HttpRequest:
    """The request botocore's serializer writes without botocore's own checks, as an SDK that
    does not validate (Java's, JavaScript's) sends it."""
    serializer = create_serializer(protocol_of(operation.service_model), include_validation=False)
    request_dict = serializer.serialize_to_request(params, operation)
    prepare_request_dict(request_dict, endpoint_url=ENDPOINT)
    prepared = create_request_object(request_dict).prepare()
    url = urlsplit(prepared.url)
    body = prepared.body or b""
    return HttpRequest(
        method=prepared.method,
        path=url.path,
        query=parse_qs(url.query, keep_blank_values=True),
        headers={key.lower(): value for key, value in prepared.headers.items()},
        body=body.encode("utf-8") if isinstance(body, str) else body,
    )


def read(operation: OperationModel, response: HttpResponse) -> dict[str, Any]:
    """A response as botocore reads it."""
    parser = create_parser(protocol_of(operation.service_model))
    return parser.parse(
        {
            "status_code": response.status,
            "headers": {key.lower(): value for key, value in response.headers.items()},
            "body": response.body,
        },
        operation.output_shape if response.status < 300 else None,
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    made = World(tmp_path_factory.mktemp("fuzz") / "state")
    yield made
    made.cloud.store.close()


def broken_on_the_wire(request: HttpRequest, choice: int, data: st.DataObject) -> None:
    """Break the body of ``request`` as no SDK would: a JSON value of another type, a form
    field's value replaced or a field dropped."""
    kind = request.headers.get("content-type", "")
    if "x-www-form-urlencoded" in kind:
        fields = parse_qsl(request.body.decode(), keep_blank_values=True)
        request.body = mutate_form(fields, choice, data.draw(FORM_VALUES)).encode()
    elif "json" in kind and request.body.strip().startswith(b"{"):
        document = json.loads(request.body)
        request.body = json_text(mutate_json(document, choice, data.draw(WIRE_VALUES))).encode()
    elif "cbor" in kind and request.body:
        if choice % 4 == 0:  # cut short, anywhere
            request.body = request.body[: choice % len(request.body)]
        else:
            document = cbor2.loads(request.body)
            request.body = cbor2.dumps(mutate_json(document, choice, data.draw(WIRE_VALUES)))


@pytest.mark.parametrize(
    ("service", "operation"), IMPLEMENTED, ids=[f"{s}.{o}" for s, o in IMPLEMENTED]
)
def test_no_request_is_a_server_fault(world: World, service: str, operation: str) -> None:
    fuzz(world, service_model(service).operation_model(operation))


@pytest.mark.parametrize(
    ("service", "operation", "protocol"),
    OTHER_PROTOCOLS,
    ids=[f"{s}.{o}-{p}" for s, o, p in OTHER_PROTOCOLS],
)
def test_no_request_in_another_protocol_is_a_server_fault(
    world: World, service: str, operation: str, protocol: str
) -> None:
    fuzz(world, service_model(service, protocol).operation_model(operation))


def fuzz(world: World, model: OperationModel) -> None:
    """:data:`EXAMPLES` requests for ``model`` (as a client whose model it is sends them):
    valid ones, ones that break a constraint and ones broken on the wire; none is a 500 and
    none that is refused changes the state."""
    shape = model.input_shape
    values = params(shape, sorted(world.pool))

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        value = data.draw(values, label="params")
        how = data.draw(st.sampled_from(["valid", "constraint", "wire"]), label="how")
        if how == "constraint" and shape is not None:
            points = mutation_points(shape, value)
            if points:
                point = data.draw(st.sampled_from(points), label="broken")
                value = mutate(value, point)
        request = unvalidated_request(model, value)
        if how == "wire":
            broken_on_the_wire(request, data.draw(st.integers(0, 50)), data)
        before = world.snapshot()
        response = world.send(model, request)
        answer = read(model, response)
        assert response.status < 500, (answer.get("Error"), request)
        if response.status >= 400:
            assert answer["Error"]["Code"], response.body
            assert world.snapshot() == before, f"{answer['Error']} changed the state"
        else:
            world._collect(answer)

    check()
