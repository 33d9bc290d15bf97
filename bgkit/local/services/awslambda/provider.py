"""AWS Lambda on the local cloud: functions from zip packages, their invocations, their policy.

Operations: ``CreateFunction`` (``ZipFile`` only; Role, Handler, Runtime, Timeout, MemorySize,
Environment, Tags), ``GetFunction``, ``GetFunctionConfiguration``, ``ListFunctions``,
``UpdateFunctionCode``, ``UpdateFunctionConfiguration``, ``DeleteFunction``, ``Invoke``
(``RequestResponse``, ``Event``, ``DryRun``; ``LogType=Tail``), ``AddPermission``, ``GetPolicy``,
``RemovePermission``, ``TagResource``, ``UntagResource``, ``ListTags``. Every refusal is
Lambda's code and message (:mod:`.functions`), and leaves the state as it was.

A function is ``Active`` as soon as it is created or updated (on AWS a zip function is ``Pending``
for a moment; the waiters ``function_active_v2`` and ``function_updated_v2`` pass at once here).
Only ``$LATEST`` exists: no versions, aliases or layers. ``GetFunction`` shows no code
``Location`` (there is no S3 to presign a URL of). How invocations run is
:mod:`bgkit.local.dataplane.functions`'s; what ``Invoke`` records, :mod:`.invoking`'s.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from bgkit.errors import ServiceError
from bgkit.local.paging import Pager
from bgkit.local.provider import Provider, RequestContext
from bgkit.local.services.awslambda import functions as checks
from bgkit.local.services.awslambda.invoking import invoke, ship_logs
from bgkit.local.services.awslambda.models import (
    INVOCATION,
    function_name_of,
    functions,
    not_found,
    require_function,
)
from bgkit.local.services.awslambda.permissions import add_statement, policy_of, remove_statement
from bgkit.local.tagging import merge, remove

PAGER = Pager(
    "lambda",
    lambda marker: checks.invalid(f"Invalid marker: {marker}; pass the NextMarker of a page."),
    size=lambda max_items: max_items or 50,
)


class LambdaProvider(Provider):
    """AWS Lambda (see the module docstring)."""

    service: ClassVar[str] = "lambda"
    advancing: ClassVar[tuple[str, ...]] = (INVOCATION,)

    def advance(self, ctx: RequestContext) -> None:
        ship_logs(ctx)

    # -- functions -----------------------------------------------------------------------------

    def create_function(
        self,
        ctx: RequestContext,
        function_name: str,
        role: str,
        code: dict[str, Any],
        runtime: str | None = None,
        handler: str | None = None,
        description: str | None = None,
        timeout: int | None = None,
        memory_size: int | None = None,
        environment: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
        package_type: str | None = None,
        **others: Any,
    ) -> dict[str, Any]:
        checks.check_function_name(function_name)
        if package_type == "Image":
            checks.check_code({"ImageUri": "image"})
        checks.check_handler_and_runtime(handler, runtime, checks.runtime_enum())
        checks.check_timeout(3 if timeout is None else timeout)
        checks.check_memory(128 if memory_size is None else memory_size)
        checks.check_role(ctx, role)
        variables = checks.check_environment(environment)
        package = checks.check_code(code)
        if function_name in functions(ctx):
            raise ServiceError(
                "ResourceConflictException", f"Function already exist: {function_name}"
            )
        settings = {
            "Runtime": runtime,
            "Role": role,
            "Handler": handler,
            "Description": description,
            "Timeout": timeout,
            "MemorySize": memory_size,
            "Environment": variables,
        }
        record = checks.configuration(ctx, function_name, settings)
        record.update(checks.code_facts(package))
        record["LastModified"] = checks.last_modified(ctx)
        record["RevisionId"] = ctx.ids.uuid("lambda-revision")
        record["_code"] = checks.store_code(ctx, package)
        record["Tags"] = dict(tags or {})
        record["_policy"] = []
        functions(ctx).put(function_name, record)
        return checks.shown(record)

    def get_function(
        self, ctx: RequestContext, function_name: str, qualifier: str | None = None
    ) -> dict[str, Any]:
        record = self._function(ctx, function_name, qualifier)
        result: dict[str, Any] = {
            "Configuration": checks.shown(record),
            "Code": {"RepositoryType": "S3"},
        }
        if record.get("Tags"):
            result["Tags"] = record["Tags"]
        return result

    def get_function_configuration(
        self, ctx: RequestContext, function_name: str, qualifier: str | None = None
    ) -> dict[str, Any]:
        return checks.shown(self._function(ctx, function_name, qualifier))

    def list_functions(self, ctx: RequestContext, **paging: Any) -> dict[str, Any]:
        limit = paging.get("max_items")
        if limit is not None and not 1 <= limit <= 10000:
            raise checks.validation(limit, "maxItems", "Member must have value between 1 and 10000")
        records = sorted(functions(ctx).list(), key=lambda r: r["FunctionName"])
        return PAGER.page("ListFunctions", records, paging, show=checks.shown)

    def update_function_code(
        self,
        ctx: RequestContext,
        function_name: str,
        zip_file: bytes | None = None,
        s3_bucket: str | None = None,
        s3_key: str | None = None,
        image_uri: str | None = None,
        dry_run: bool | None = None,
        revision_id: str | None = None,
        **others: Any,
    ) -> dict[str, Any]:
        record = self._function(ctx, function_name, None)
        self._check_revision(record, revision_id)
        package = checks.check_code(
            {"ZipFile": zip_file, "S3Bucket": s3_bucket, "S3Key": s3_key, "ImageUri": image_uri}
        )
        if dry_run:
            return checks.shown({**record, **checks.code_facts(package)})
        previous = record["_code"]
        record["_code"] = checks.store_code(ctx, package, replacing=previous)
        record.update(checks.code_facts(package))
        self._touch(ctx, record)
        checks.release_code(ctx, previous)
        return checks.shown(record)

    def update_function_configuration(
        self,
        ctx: RequestContext,
        function_name: str,
        role: str | None = None,
        handler: str | None = None,
        description: str | None = None,
        timeout: int | None = None,
        memory_size: int | None = None,
        environment: dict[str, Any] | None = None,
        runtime: str | None = None,
        revision_id: str | None = None,
        **others: Any,
    ) -> dict[str, Any]:
        record = self._function(ctx, function_name, None)
        self._check_revision(record, revision_id)
        checks.check_handler_and_runtime(
            handler or record["Handler"], runtime or record["Runtime"], checks.runtime_enum()
        )
        if timeout is not None:
            checks.check_timeout(timeout)
        if memory_size is not None:
            checks.check_memory(memory_size)
        if role is not None:
            checks.check_role(ctx, role)
        variables = checks.check_environment(environment)
        changes = {
            "Role": role,
            "Handler": handler,
            "Description": description,
            "Timeout": timeout,
            "MemorySize": memory_size,
            "Runtime": runtime,
        }
        record.update({key: value for key, value in changes.items() if value is not None})
        if variables is not None:
            record["Environment"] = {"Variables": variables}
        self._touch(ctx, record)
        return checks.shown(record)

    def delete_function(
        self, ctx: RequestContext, function_name: str, qualifier: str | None = None
    ) -> dict[str, Any]:
        if qualifier == "$LATEST":
            raise checks.invalid("$LATEST version cannot be deleted without deleting the function.")
        record = self._function(ctx, function_name, qualifier)
        functions(ctx).delete(record["FunctionName"])
        checks.release_code(ctx, record["_code"])
        return {"StatusCode": 204}

    # -- invoking ------------------------------------------------------------------------------

    def invoke(
        self,
        ctx: RequestContext,
        function_name: str,
        invocation_type: str | None = None,
        log_type: str | None = None,
        payload: bytes | None = None,
        qualifier: str | None = None,
        **others: Any,
    ) -> dict[str, Any]:
        return invoke(ctx, function_name, invocation_type, log_type, payload, qualifier)

    # -- resource-based policy -------------------------------------------------------------------

    def add_permission(
        self,
        ctx: RequestContext,
        function_name: str,
        statement_id: str,
        action: str,
        principal: str,
        qualifier: str | None = None,
        revision_id: str | None = None,
        **conditions: Any,
    ) -> dict[str, Any]:
        record = self._function(ctx, function_name, qualifier)
        self._check_revision(record, revision_id)
        statement = add_statement(record, statement_id, action, principal, conditions)
        self._touch(ctx, record)
        return {"Statement": json.dumps(statement)}

    def get_policy(
        self, ctx: RequestContext, function_name: str, qualifier: str | None = None
    ) -> dict[str, Any]:
        record = self._function(ctx, function_name, qualifier)
        return {"Policy": json.dumps(policy_of(record)), "RevisionId": record["RevisionId"]}

    def remove_permission(
        self,
        ctx: RequestContext,
        function_name: str,
        statement_id: str,
        qualifier: str | None = None,
        revision_id: str | None = None,
    ) -> None:
        record = self._function(ctx, function_name, qualifier)
        self._check_revision(record, revision_id)
        remove_statement(record, statement_id)
        self._touch(ctx, record)

    # -- tags ----------------------------------------------------------------------------------

    def tag_resource(self, ctx: RequestContext, resource: str, tags: dict[str, str]) -> None:
        record = self._function(ctx, resource, None)
        record["Tags"] = merge(record.get("Tags") or {}, tags)
        functions(ctx).put(record["FunctionName"], record)

    def untag_resource(self, ctx: RequestContext, resource: str, tag_keys: list[str]) -> None:
        record = self._function(ctx, resource, None)
        record["Tags"] = remove(record.get("Tags") or {}, tag_keys)
        functions(ctx).put(record["FunctionName"], record)

    def list_tags(self, ctx: RequestContext, resource: str) -> dict[str, Any]:
        return {"Tags": self._function(ctx, resource, None).get("Tags") or {}}

    # -- shared --------------------------------------------------------------------------------

    def _function(
        self, ctx: RequestContext, identifier: str, qualifier: str | None
    ) -> dict[str, Any]:
        record = require_function(ctx, identifier)
        qualifier = qualifier or function_name_of(identifier)[1]
        if qualifier not in (None, "$LATEST"):
            raise not_found(ctx, f"{record['FunctionName']}:{qualifier}")
        return record

    def _check_revision(self, record: dict[str, Any], revision_id: str | None) -> None:
        if revision_id is not None and revision_id != record["RevisionId"]:
            raise ServiceError(
                "PreconditionFailedException",
                "The Revision Id provided does not match the latest Revision Id. Call the "
                "GetFunction/GetAlias API to retrieve the latest Revision Id",
            )

    def _touch(self, ctx: RequestContext, record: dict[str, Any]) -> None:
        record["LastModified"] = checks.last_modified(ctx)
        record["RevisionId"] = ctx.ids.uuid("lambda-revision")
        record["LastUpdateStatus"] = "Successful"
        functions(ctx).put(record["FunctionName"], record)
