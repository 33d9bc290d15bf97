"""The CodePipeline provider's records, how they are found, paged and named.

Records, per region (``ctx.records(kind)``), keep botocore's shapes plus private ``_`` keys:

- ``pipeline`` (key: name): ``{"pipeline": PipelineDeclaration, "metadata": PipelineMetadata,
  "_tags": [...]}``; the declaration carries its ``version``;
- ``pipeline-execution`` (key ``<pipeline>/<execution id>``): ``PipelineExecution`` members
  with ``startTime``/``lastUpdateTime`` and ``_engine``, the execution engine's whole state
  (:mod:`.engine`): the declaration it runs, the stage it is in, every action execution;
- ``pipeline-active`` (key ``<pipeline>/<execution id>``): ``{key, due}`` for each execution
  that has not ended, so that advancing the region reads only those.

Other services import nothing of CodePipeline yet; this module is its face all the same.
"""

from __future__ import annotations

from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.paging import Pager
from bgkit.local.provider import RequestContext

SERVICE = "codepipeline"
PRINCIPAL = "codepipeline.amazonaws.com"
PIPELINE = "pipeline"
EXECUTION = "pipeline-execution"
ACTIVE = "pipeline-active"
#: the execution statuses an execution ends in
FINAL = ("Succeeded", "Failed", "Stopped", "Superseded", "Cancelled")
DEFAULT_PAGE = 100


def _bad_token(token: str) -> ServiceError:
    return ServiceError(
        "InvalidNextTokenException",
        "The next token was specified in an invalid format. Make sure that the next token you "
        "provide is the token returned by a previous call.",
    )


def _page_size(asked: int | None) -> int:
    return DEFAULT_PAGE if asked is None else asked


#: CodePipeline's pages: decimal offsets, 100 items unless the call asks fewer
PAGER = Pager(SERVICE, _bad_token, size=_page_size)


def pipeline_arn(ctx: RequestContext, name: str) -> str:
    """``arn:aws:codepipeline:<region>:<account>:<name>``."""
    return ctx.arn(SERVICE, name)


def execution_key(pipeline: str, execution_id: str) -> str:
    return f"{pipeline}/{execution_id}"


def require_pipeline(ctx: RequestContext, name: str | None) -> dict[str, Any]:
    """A pipeline record, or ``PipelineNotFoundException``."""
    return ctx.records(PIPELINE).require(
        name or "",
        "PipelineNotFoundException",
        f"Account '{ctx.account}' does not have a pipeline with name '{name}'",
    )


def executions_of(ctx: RequestContext, pipeline: str) -> list[dict[str, Any]]:
    """The executions of ``pipeline``, the most recent first."""
    found = [e for e in ctx.records(EXECUTION).list() if e["pipelineName"] == pipeline]
    return sorted(found, key=lambda e: e["_engine"]["seq"], reverse=True)


def require_execution(ctx: RequestContext, pipeline: str, execution_id: str) -> dict[str, Any]:
    """An execution record of ``pipeline``, or ``PipelineExecutionNotFoundException``."""
    return ctx.records(EXECUTION).require(
        execution_key(pipeline, execution_id),
        "PipelineExecutionNotFoundException",
        f"Pipeline execution ID {execution_id} does not exist in pipeline {pipeline}",
    )


def public_execution(record: dict[str, Any]) -> dict[str, Any]:
    """The members of a ``PipelineExecution`` (or a summary) a record holds."""
    return {k: v for k, v in record.items() if not k.startswith("_")}
