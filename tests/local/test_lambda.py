"""Lambda's function operations through boto3: shapes, statuses and refusals (state unchanged).

Sources: the Lambda API reference (CreateFunction, GetFunction, ListFunctions, UpdateFunctionCode,
UpdateFunctionConfiguration, DeleteFunction, AddPermission, GetPolicy) and botocore's ``lambda``
model for the codes and HTTP statuses of its errors (``ResourceNotFoundException`` 404,
``ResourceConflictException`` 409, ``InvalidParameterValueException`` 400,
``PreconditionFailedException`` 412, ``RequestTooLargeException`` 413).
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from lambda_world import TRUST_LAMBDA, make_function, make_role, package

from bgkit.local.server import LocalCloud

pytestmark = pytest.mark.control_plane


@pytest.fixture
def lam(client: Any) -> Any:
    return client("lambda")


@pytest.fixture
def role(client: Any) -> str:
    return make_role(client("iam"))


def refused(call: Any) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response
    return error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"], str(caught.value)


def records(cloud: LocalCloud) -> list[Any]:
    """Every Lambda record of the store (functions, packages, invocations)."""
    return [
        (partition, kind, record)
        for kind in ("lambda-function", "lambda-code", "lambda-invocation")
        for partition in cloud.store.partitions(kind)
        for record in cloud.store.list(partition, kind)
    ]


def test_create_function_answers_201_with_its_configuration(lam, role):
    zipped = package({"app.py": "def handler(event, context):\n    return 1\n"})
    made = lam.create_function(
        FunctionName="bgkit-fn",
        Role=role,
        Runtime="python3.12",
        Handler="app.handler",
        Code={"ZipFile": zipped},
        Timeout=30,
        MemorySize=256,
        Environment={"Variables": {"TEST_URL": "http://127.0.0.1:18080/"}},
        Tags={"project": "bgkit"},
    )
    assert made["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert made["FunctionArn"] == "arn:aws:lambda:us-east-1:123456789012:function:bgkit-fn"
    assert made["CodeSha256"] == base64.b64encode(hashlib.sha256(zipped).digest()).decode()
    assert made["CodeSize"] == len(zipped)
    assert (made["Timeout"], made["MemorySize"], made["Version"]) == (30, 256, "$LATEST")
    assert made["Environment"] == {"Variables": {"TEST_URL": "http://127.0.0.1:18080/"}}
    assert made["State"] == "Active" and made["PackageType"] == "Zip"
    assert made["LoggingConfig"]["LogGroup"] == "/aws/lambda/bgkit-fn"
    assert lam.get_waiter("function_active_v2").wait(FunctionName="bgkit-fn") is None


def test_create_function_defaults_are_lambdas(lam, role):
    made = make_function(lam, role)
    assert (made["Timeout"], made["MemorySize"], made["Description"]) == (3, 128, "")
    assert "Environment" not in made


def test_get_function_and_its_configuration(lam, role):
    make_function(lam, role, Tags={"project": "bgkit"})
    got = lam.get_function(FunctionName="bgkit-fn")
    assert got["Configuration"]["Handler"] == "app.handler"
    assert got["Tags"] == {"project": "bgkit"}
    assert got["Code"]["RepositoryType"] == "S3"
    by_arn = lam.get_function_configuration(
        FunctionName="arn:aws:lambda:us-east-1:123456789012:function:bgkit-fn"
    )
    assert by_arn["RevisionId"] == got["Configuration"]["RevisionId"]


def test_get_function_not_found_is_404(lam):
    code, status, message = refused(lambda: lam.get_function(FunctionName="nope"))
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope" in message


def test_get_function_of_a_version_that_does_not_exist(lam, role):
    make_function(lam, role)
    code, status, _ = refused(lambda: lam.get_function(FunctionName="bgkit-fn", Qualifier="7"))
    assert (code, status) == ("ResourceNotFoundException", 404)


def test_create_function_twice_is_a_conflict(cloud, lam, role):
    make_function(lam, role)
    before = records(cloud)
    code, status, message = refused(lambda: make_function(lam, role))
    assert (code, status) == ("ResourceConflictException", 409)
    assert "Function already exist: bgkit-fn" in message
    assert records(cloud) == before


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ({"Timeout": 901}, "Value '901' at 'timeout' failed to satisfy constraint"),
        ({"MemorySize": 10241}, "Value '10241' at 'memorySize' failed to satisfy constraint"),
        ({"Runtime": "python"}, "Member must satisfy enum value set"),
    ],
)
def test_create_function_out_of_bounds_is_a_validation_error(cloud, lam, role, settings, says):
    before = records(cloud)
    code, status, message = refused(lambda: make_function(lam, role, **settings))
    assert (code, status) == ("ValidationException", 400)
    assert says in message
    assert records(cloud) == before


def test_create_function_with_an_untrusted_role(cloud, client, lam):
    trust = json.loads(json.dumps(TRUST_LAMBDA))
    trust["Statement"][0]["Principal"]["Service"] = "ecs-tasks.amazonaws.com"
    role = make_role(client("iam"), "bgkit-task", trust)
    before = records(cloud)
    code, _, message = refused(lambda: make_function(lam, role))
    assert code == "InvalidParameterValueException"
    assert "cannot be assumed by Lambda" in message
    assert records(cloud) == before


def test_create_function_with_a_role_that_does_not_exist(lam):
    code, _, message = refused(lambda: make_function(lam, "arn:aws:iam::123456789012:role/missing"))
    assert code == "InvalidParameterValueException"
    assert "cannot be assumed by Lambda" in message


def test_create_function_with_reserved_environment_variables(lam, role):
    code, _, message = refused(
        lambda: make_function(lam, role, Environment={"Variables": {"AWS_REGION": "x"}})
    )
    assert code == "InvalidParameterValueException"
    assert "Reserved keys used in this request: AWS_REGION" in message


def test_create_function_from_s3_names_what_to_do(lam, role):
    code, _, message = refused(
        lambda: make_function(lam, role, Code={"S3Bucket": "bucket", "S3Key": "k.zip"})
    )
    assert code == "InvalidParameterValueException"
    assert "upload it as ZipFile" in message


def test_list_functions_pages_by_name(lam, role):
    for name in ("c-fn", "a-fn", "b-fn"):
        make_function(lam, role, name=name)
    first = lam.list_functions(MaxItems=2)
    assert [f["FunctionName"] for f in first["Functions"]] == ["a-fn", "b-fn"]
    rest = lam.list_functions(Marker=first["NextMarker"])
    assert [f["FunctionName"] for f in rest["Functions"]] == ["c-fn"]
    assert "NextMarker" not in rest
    pages = lam.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 1})
    assert [f["FunctionName"] for page in pages for f in page["Functions"]] == [
        "a-fn",
        "b-fn",
        "c-fn",
    ]


def test_update_function_code_changes_the_digest_and_revision(lam, role):
    made = make_function(lam, role)
    zipped = package({"app.py": "def handler(event, context):\n    return 2\n"})
    updated = lam.update_function_code(FunctionName="bgkit-fn", ZipFile=zipped)
    assert updated["CodeSha256"] == base64.b64encode(hashlib.sha256(zipped).digest()).decode()
    assert updated["RevisionId"] != made["RevisionId"]
    assert lam.get_waiter("function_updated_v2").wait(FunctionName="bgkit-fn") is None


def test_update_function_code_with_a_bad_zip_changes_nothing(cloud, lam, role):
    make_function(lam, role)
    before = records(cloud)
    code, _, message = refused(
        lambda: lam.update_function_code(FunctionName="bgkit-fn", ZipFile=b"not a zip")
    )
    assert code == "InvalidParameterValueException"
    assert "Could not unzip uploaded file" in message
    assert records(cloud) == before


def test_update_function_configuration(lam, role):
    make_function(lam, role)
    updated = lam.update_function_configuration(
        FunctionName="bgkit-fn", Timeout=10, Environment={"Variables": {"A": "1"}}
    )
    assert updated["Timeout"] == 10 and updated["Environment"] == {"Variables": {"A": "1"}}
    assert lam.get_function_configuration(FunctionName="bgkit-fn")["Timeout"] == 10


def test_update_with_a_stale_revision_is_refused(lam, role):
    made = make_function(lam, role)
    lam.update_function_configuration(FunctionName="bgkit-fn", Timeout=10)
    code, status, _ = refused(
        lambda: lam.update_function_configuration(
            FunctionName="bgkit-fn", Timeout=20, RevisionId=made["RevisionId"]
        )
    )
    assert (code, status) == ("PreconditionFailedException", 412)


def test_delete_function_answers_204_and_frees_its_package(cloud, lam, role):
    make_function(lam, role)
    deleted = lam.delete_function(FunctionName="bgkit-fn")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert records(cloud) == []
    code, status, _ = refused(lambda: lam.delete_function(FunctionName="bgkit-fn"))
    assert (code, status) == ("ResourceNotFoundException", 404)


def test_add_permission_and_get_policy(lam, role):
    make_function(lam, role)
    added = lam.add_permission(
        FunctionName="bgkit-fn",
        StatementId="codedeploy",
        Action="lambda:InvokeFunction",
        Principal="codedeploy.amazonaws.com",
        SourceAccount="123456789012",
    )
    assert added["ResponseMetadata"]["HTTPStatusCode"] == 201
    statement = json.loads(added["Statement"])
    assert statement["Principal"] == {"Service": "codedeploy.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"AWS:SourceAccount": "123456789012"}}
    policy = json.loads(lam.get_policy(FunctionName="bgkit-fn")["Policy"])
    assert policy["Statement"] == [statement]
    code, status, _ = refused(
        lambda: lam.add_permission(
            FunctionName="bgkit-fn",
            StatementId="codedeploy",
            Action="lambda:InvokeFunction",
            Principal="codedeploy.amazonaws.com",
        )
    )
    assert (code, status) == ("ResourceConflictException", 409)
    lam.remove_permission(FunctionName="bgkit-fn", StatementId="codedeploy")
    code, status, _ = refused(lambda: lam.get_policy(FunctionName="bgkit-fn"))
    assert (code, status) == ("ResourceNotFoundException", 404)


def test_tags(lam, role):
    arn = make_function(lam, role)["FunctionArn"]
    lam.tag_resource(Resource=arn, Tags={"a": "1", "b": "2"})
    lam.untag_resource(Resource=arn, TagKeys=["a"])
    assert lam.list_tags(Resource=arn)["Tags"] == {"b": "2"}


def test_invoke_dry_run_answers_204_and_runs_nothing(cloud, lam, role):
    make_function(lam, role)
    answered = lam.invoke(FunctionName="bgkit-fn", InvocationType="DryRun")
    assert answered["StatusCode"] == 204
    assert [r for r in records(cloud) if r[1] == "lambda-invocation"] == []


def test_invoke_with_a_payload_that_is_not_json(cloud, lam, role):
    make_function(lam, role)
    code, status, message = refused(lambda: lam.invoke(FunctionName="bgkit-fn", Payload=b"{x"))
    assert (code, status) == ("InvalidRequestContentException", 400)
    assert "Could not parse request body into json" in message


def test_invoke_with_a_payload_too_large(lam, role):
    make_function(lam, role)
    payload = json.dumps({"x": "y" * (1024 * 1024)}).encode()
    code, status, message = refused(
        lambda: lam.invoke(FunctionName="bgkit-fn", InvocationType="Event", Payload=payload)
    )
    assert (code, status) == ("RequestTooLargeException", 413)
    assert "Request must be smaller than 1048576 bytes" in message


def test_invoke_without_the_data_plane_says_so(lam, role):
    make_function(lam, role)
    code, status, message = refused(lambda: lam.invoke(FunctionName="bgkit-fn", Payload=b"{}"))
    assert (code, status) == ("ServiceException", 500)
    assert "without its data plane" in message
