"""The local cloud's CodePipeline: pipelines, their executions, approvals and tags.

:class:`CodePipelineProvider` answers the pipeline and tag operations itself and mixes in the
execution operations (:mod:`.executions`). A declaration is checked by :mod:`.declarations`;
executions run on the local clock in :mod:`.engine`, which :meth:`CodePipelineProvider.advance`
steps for every execution that has not ended and whose next look is due.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

from bgkit.errors import ServiceError
from bgkit.local.ids import parse_arn
from bgkit.local.provider import Provider, RequestContext
from bgkit.local.services.codepipeline import engine
from bgkit.local.services.codepipeline.declarations import check_declaration
from bgkit.local.services.codepipeline.executions import ExecutionOperations, delete_executions
from bgkit.local.services.codepipeline.models import (
    ACTIVE,
    EXECUTION,
    PAGER,
    PIPELINE,
    SERVICE,
    pipeline_arn,
    require_pipeline,
)

MAX_TAGS = 50
#: [I] CodePipeline's quota of pipelines a region (its quotas page: 1,000 a Region)
MAX_PIPELINES = 1000


def _check_tags(tags: list[dict[str, str]] | None) -> list[dict[str, str]]:
    tags = [{"key": t["key"], "value": t.get("value", "")} for t in tags or []]
    if len({t["key"] for t in tags}) != len(tags):
        raise ServiceError("InvalidTagsException", "Tag keys must be unique")
    if any(t["key"].lower().startswith("aws:") for t in tags):
        raise ServiceError("InvalidTagsException", "Tag keys must not begin with aws:")
    if len(tags) > MAX_TAGS:
        raise ServiceError("TooManyTagsException", f"A resource can have at most {MAX_TAGS} tags")
    return tags


def _tagged(ctx: RequestContext, resource_arn: str) -> dict[str, Any]:
    parts = parse_arn(resource_arn)
    if parts is None or parts["service"] != SERVICE:
        raise ServiceError("InvalidArnException", f"{resource_arn} is not a CodePipeline ARN")
    record = ctx.records(PIPELINE).get(parts["resource"])
    if record is None or record["metadata"]["pipelineArn"] != resource_arn:
        raise ServiceError(
            "ResourceNotFoundException", f"The resource with the ARN {resource_arn} was not found"
        )
    return record


class CodePipelineProvider(ExecutionOperations, Provider):
    """CodePipeline: pipelines (V1 and V2), executions, manual approvals."""

    service: ClassVar[str] = SERVICE
    advancing: ClassVar[tuple[str, ...]] = (ACTIVE,)

    def advance(self, ctx: RequestContext) -> None:
        """Step each execution whose next look is due on the local clock, oldest first."""
        now = ctx.now()
        executions = ctx.records(EXECUTION)
        due = [entry for entry in ctx.records(ACTIVE).list() if entry["due"] <= now]
        records = []
        for entry in due:
            record = executions.get(entry["key"])
            if record is None:
                ctx.records(ACTIVE).delete(entry["key"])
            else:
                records.append(record)
        for record in sorted(records, key=lambda r: r["_engine"]["seq"]):
            engine.run(ctx, record)

    # pipelines ---------------------------------------------------------------------------------

    def create_pipeline(
        self,
        ctx: RequestContext,
        pipeline: dict[str, Any],
        tags: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        name = pipeline["name"]
        records = ctx.records(PIPELINE)
        if name in records:
            raise ServiceError(
                "PipelineNameInUseException",
                f"A pipeline with the name '{name}' already exists in account '{ctx.account}'",
            )
        if len(records.list()) >= MAX_PIPELINES:
            raise ServiceError(
                "LimitExceededException",
                f"The account already has {MAX_PIPELINES} pipelines in {ctx.region}",
            )
        kept = check_declaration(ctx, copy.deepcopy(pipeline))
        kept["version"] = 1
        record = {
            "pipeline": kept,
            "metadata": {
                "pipelineArn": pipeline_arn(ctx, name),
                "created": ctx.now(),
                "updated": ctx.now(),
            },
            "_versions": {"1": kept},
            "_tags": _check_tags(tags),
        }
        records.put(name, record)
        return {"pipeline": kept, "tags": record["_tags"]}

    def get_pipeline(
        self, ctx: RequestContext, name: str, version: int | None = None
    ) -> dict[str, Any]:
        record = require_pipeline(ctx, name)
        if version is None:
            return {"pipeline": record["pipeline"], "metadata": record["metadata"]}
        kept = record["_versions"].get(str(version))
        if kept is None:
            raise ServiceError(
                "PipelineVersionNotFoundException",
                f"Pipeline {name} has no version {version} (its latest is "
                f"{record['pipeline']['version']})",
            )
        return {"pipeline": kept, "metadata": record["metadata"]}

    def list_pipelines(self, ctx: RequestContext, **paging: Any) -> dict[str, Any]:
        found = sorted(ctx.records(PIPELINE).list(), key=lambda r: r["pipeline"]["name"])

        def summary(record: dict[str, Any]) -> dict[str, Any]:
            kept = record["pipeline"]
            return {
                "name": kept["name"],
                "version": kept["version"],
                "pipelineType": kept["pipelineType"],
                "executionMode": kept["executionMode"],
                "created": record["metadata"]["created"],
                "updated": record["metadata"]["updated"],
            }

        return PAGER.page("ListPipelines", found, paging, show=summary)

    def update_pipeline(self, ctx: RequestContext, pipeline: dict[str, Any]) -> dict[str, Any]:
        record = require_pipeline(ctx, pipeline["name"])
        kept = check_declaration(ctx, copy.deepcopy(pipeline))
        kept["version"] = record["pipeline"]["version"] + 1
        record["pipeline"] = kept
        record["_versions"][str(kept["version"])] = kept
        record["metadata"]["updated"] = ctx.now()
        ctx.records(PIPELINE).put(kept["name"], record)
        return {"pipeline": kept}

    def delete_pipeline(self, ctx: RequestContext, name: str) -> None:
        """Delete the pipeline and its executions (a deployment it started goes on, as on AWS).
        An unknown name is no error."""
        ctx.records(PIPELINE).delete(name)
        delete_executions(ctx, name)
        return None

    # tags --------------------------------------------------------------------------------------

    def tag_resource(
        self, ctx: RequestContext, resource_arn: str, tags: list[dict[str, str]]
    ) -> dict[str, Any]:
        record = _tagged(ctx, resource_arn)
        merged = {t["key"]: t for t in record["_tags"]}
        merged.update({t["key"]: t for t in _check_tags(tags)})
        record["_tags"] = _check_tags(list(merged.values()))
        ctx.records(PIPELINE).put(record["pipeline"]["name"], record)
        return {}

    def untag_resource(
        self, ctx: RequestContext, resource_arn: str, tag_keys: list[str]
    ) -> dict[str, Any]:
        record = _tagged(ctx, resource_arn)
        record["_tags"] = [t for t in record["_tags"] if t["key"] not in set(tag_keys)]
        ctx.records(PIPELINE).put(record["pipeline"]["name"], record)
        return {}

    def list_tags_for_resource(
        self, ctx: RequestContext, resource_arn: str, **paging: Any
    ) -> dict[str, Any]:
        record = _tagged(ctx, resource_arn)
        return PAGER.page("ListTagsForResource", record["_tags"], paging)
