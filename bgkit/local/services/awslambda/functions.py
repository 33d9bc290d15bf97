"""What Lambda checks of a function's settings and code, and how it shows a function.

The checks answer as Lambda does: ``ValidationException`` with the model's constraint for a value
out of bounds (name, timeout, memory, an unknown runtime), ``InvalidParameterValueException`` for
what Lambda itself refuses — a package that is not a zip, a role Lambda cannot assume, reserved or
oversized environment variables, a runtime that cannot run here. The local cloud runs Python
functions with its own interpreter, as Python images run for ECS tasks, so only the Python
runtimes AWS supports that this interpreter can stand in for are accepted (:data:`LOCAL_RUNTIMES`);
any other runtime Lambda knows is refused with a message that names them.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import io
import json
import re
import zipfile
from typing import Any

import botocore.session

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.awslambda.models import code_records, function_arn, functions
from bgkit.local.services.iam.models import find_role, role_trusts

__all__ = [
    "LAMBDA",
    "LOCAL_RUNTIMES",
    "check_environment",
    "check_function_name",
    "check_handler_and_runtime",
    "check_memory",
    "check_role",
    "check_timeout",
    "configuration",
    "invalid",
    "runtime_enum",
    "store_code",
    "validation",
]

LAMBDA = "lambda.amazonaws.com"
#: the runtimes the local cloud runs (with its own Python interpreter)
LOCAL_RUNTIMES = ("python3.10", "python3.11", "python3.12", "python3.13", "python3.14")
#: runtimes Lambda no longer lets a function be created or updated with
DEPRECATED_RUNTIMES = frozenset(
    {
        "nodejs", "nodejs4.3", "nodejs4.3-edge", "nodejs6.10", "nodejs8.10", "nodejs10.x",
        "nodejs12.x", "nodejs14.x", "nodejs16.x", "python2.7", "python3.6", "python3.7",
        "python3.8", "java8", "dotnetcore1.0", "dotnetcore2.0", "dotnetcore2.1", "dotnetcore3.1",
        "dotnet6", "go1.x", "ruby2.5", "ruby2.7", "provided",
    }
)  # fmt: skip
NAME = re.compile(r"[a-zA-Z0-9-_]+")
ROLE = re.compile(r"arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+")
HANDLER = re.compile(r"[^\s]+")
RESERVED_VARIABLES = frozenset(
    {
        "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION",
        "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)  # fmt: skip
MAX_ENVIRONMENT_BYTES = 4096
MAX_UNZIPPED_BYTES = 262_144_000
#: the account's code storage (AWS's quota: 75 GB)
MAX_CODE_STORAGE = 75 * 1024**3


#: every runtime Lambda's model knows (the ``Runtime`` enum), read when the providers are made,
#: never by a call on the event loop (loading a service model takes a tenth of a second)
RUNTIMES = tuple(
    botocore.session.get_session().get_service_model("lambda").shape_for("Runtime").enum
)


def runtime_enum() -> list[str]:
    """Every runtime Lambda's model knows (the ``Runtime`` enum)."""
    return list(RUNTIMES)


def validation(value: Any, member: str, constraint: str) -> ServiceError:
    """Lambda's ``ValidationException`` for a value out of the model's bounds."""
    return ServiceError(
        "ValidationException",
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
        f"constraint: {constraint}",
    )


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValueException", message)


def check_function_name(name: str) -> None:
    if len(name) > 64:
        raise validation(name, "functionName", "Member must have length less than or equal to 64")
    if not NAME.fullmatch(name):
        raise validation(
            name, "functionName", f"Member must satisfy regular expression pattern: {NAME.pattern}"
        )


def check_timeout(timeout: int) -> None:
    if timeout < 1:
        raise validation(timeout, "timeout", "Member must have value greater than or equal to 1")
    if timeout > 900:
        raise validation(timeout, "timeout", "Member must have value less than or equal to 900")


def check_memory(memory: int) -> None:
    if memory < 128:
        raise validation(
            memory, "memorySize", "Member must have value greater than or equal to 128"
        )
    if memory > 10240:
        raise validation(memory, "memorySize", "Member must have value less than or equal to 10240")


def check_handler_and_runtime(handler: str | None, runtime: str | None, enum: list[str]) -> None:
    """A zip function names its handler and a runtime the local cloud runs."""
    if handler is None or runtime is None:
        raise invalid(
            "Runtime and Handler are mandatory parameters for functions created with deployment "
            "packages."
        )
    if not HANDLER.fullmatch(handler) or len(handler) > 128:
        raise validation(
            handler, "handler", f"Member must satisfy regular expression pattern: {HANDLER.pattern}"
        )
    check_runtime(runtime, enum)


def check_runtime(runtime: str, enum: list[str]) -> None:
    if runtime not in enum:
        raise validation(
            runtime, "runtime", f"Member must satisfy enum value set: [{', '.join(enum)}]"
        )
    if runtime in DEPRECATED_RUNTIMES:
        raise invalid(
            f"The runtime parameter of {runtime} is no longer supported for creating or updating "
            f"AWS Lambda functions. We recommend you use a supported runtime while creating or "
            f"updating functions."
        )
    if runtime not in LOCAL_RUNTIMES:
        raise invalid(
            f"The runtime {runtime} does not run in the bgkit local cloud: it runs Python "
            f"functions with its own interpreter, for the runtimes {', '.join(LOCAL_RUNTIMES)}. "
            "Use one of these (the same function runs on AWS)."
        )


def check_role(ctx: RequestContext, role: str) -> None:
    """The execution role is an IAM role ARN of a role that trusts ``lambda.amazonaws.com``."""
    if not ROLE.fullmatch(role):
        raise validation(
            role, "role", f"Member must satisfy regular expression pattern: {ROLE.pattern}"
        )
    if find_role(ctx, role) is None or not role_trusts(ctx, role, LAMBDA):
        raise invalid("The role defined for the function cannot be assumed by Lambda.")


def check_environment(environment: dict[str, Any] | None) -> dict[str, str] | None:
    """The function's variables, checked as Lambda checks them (reserved keys, 4 KB)."""
    if environment is None:
        return None
    variables = dict(environment.get("Variables") or {})
    reserved = sorted(set(variables) & RESERVED_VARIABLES)
    if reserved:
        raise invalid(
            "Lambda was unable to configure your environment variables because the environment "
            "variables you have provided contains reserved keys that are currently not supported "
            f"for modification. Reserved keys used in this request: {', '.join(reserved)}"
        )
    measured = json.dumps(variables, separators=(",", ":"))
    if len(measured.encode("utf-8")) > MAX_ENVIRONMENT_BYTES:
        raise invalid(
            "Lambda was unable to configure your environment variables because the environment "
            "variables you have provided exceeded the 4KB limit. String measured: " + measured
        )
    return variables


def check_code(code: dict[str, Any]) -> bytes:
    """The zip of a ``Code`` (or UpdateFunctionCode's members), checked as Lambda does."""
    if code.get("ImageUri"):
        raise invalid(
            "The bgkit local cloud runs zip functions only (PackageType Zip): upload the "
            "package as ZipFile."
        )
    if code.get("S3Bucket") or code.get("S3Key"):
        raise invalid(
            "The bgkit local cloud has no S3 to take the package from: upload it as ZipFile."
        )
    package = code.get("ZipFile")
    if not package:
        raise invalid("Please provide a source for function code.")
    try:
        with zipfile.ZipFile(io.BytesIO(package)) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
            broken = archive.testzip()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        broken = "?"
        unzipped = 0
    if broken is not None:
        raise invalid(
            "Could not unzip uploaded file. Please check your file, then try to upload again."
        )
    if unzipped > MAX_UNZIPPED_BYTES:
        raise invalid(f"Unzipped size must be smaller than {MAX_UNZIPPED_BYTES} bytes")
    return bytes(package)


def store_code(ctx: RequestContext, package: bytes, replacing: str | None = None) -> str:
    """Keep a deployment package (once, by its SHA-256); the key of its ``lambda-code`` record.

    Raises:
        ServiceError: ``CodeStorageExceededException`` past the account's code storage.
    """
    stored = sum(f.get("CodeSize", 0) for f in functions(ctx).list() if f.get("_code") != replacing)
    if stored + len(package) > MAX_CODE_STORAGE:
        raise ServiceError("CodeStorageExceededException", "Code storage limit exceeded.")
    digest = hashlib.sha256(package).hexdigest()
    codes = code_records(ctx)
    if digest not in codes:
        codes.put(digest, {"zip": base64.b64encode(package).decode("ascii")})
    return digest


def release_code(ctx: RequestContext, digest: str | None) -> None:
    """Delete a package no function uses any more."""
    if digest and not any(f.get("_code") == digest for f in functions(ctx).list()):
        code_records(ctx).delete(digest)


def last_modified(ctx: RequestContext) -> str:
    """Lambda's ``LastModified``: ``2024-05-06T07:08:09.123+0000``."""
    moment = datetime.datetime.fromtimestamp(ctx.now(), datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def code_facts(package: bytes) -> dict[str, Any]:
    """``CodeSize`` and ``CodeSha256`` (base64 of the digest) of a package."""
    return {
        "CodeSize": len(package),
        "CodeSha256": base64.b64encode(hashlib.sha256(package).digest()).decode("ascii"),
    }


def configuration(ctx: RequestContext, name: str, settings: dict[str, Any]) -> dict[str, Any]:
    """A new function's ``FunctionConfiguration`` from its checked settings."""
    record = {
        "FunctionName": name,
        "FunctionArn": function_arn(ctx, name),
        "Runtime": settings["Runtime"],
        "Role": settings["Role"],
        "Handler": settings["Handler"],
        "Description": settings.get("Description") or "",
        "Timeout": settings.get("Timeout") or 3,
        "MemorySize": settings.get("MemorySize") or 128,
        "Version": "$LATEST",
        "TracingConfig": {"Mode": "PassThrough"},
        "State": "Active",
        "LastUpdateStatus": "Successful",
        "PackageType": "Zip",
        "Architectures": ["x86_64"],
        "EphemeralStorage": {"Size": 512},
        "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
        "LoggingConfig": {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}"},
    }
    if settings.get("Environment") is not None:
        record["Environment"] = {"Variables": settings["Environment"]}
    return record


def shown(record: dict[str, Any]) -> dict[str, Any]:
    """A function record as ``FunctionConfiguration`` (without its private members)."""
    return {
        key: value for key, value in record.items() if not key.startswith("_") and key != "Tags"
    }
