"""What CreatePipeline and UpdatePipeline check of a pipeline's declaration.

The shape's own constraints (names' patterns and lengths, enums) are the protocol layer's; this
module checks what CodePipeline checks beyond them, with its exception codes
(``InvalidStructureException`` for the pipeline as a whole, ``InvalidStageDeclarationException``
and ``InvalidActionDeclarationException`` for one stage or action), and the action types the
local cloud runs: ``Source``/``S3``, ``Approval``/``Manual`` and ``Deploy``/``CodeDeployToECS``,
all owned by ``AWS``, version ``1`` (the action references of the CodePipeline User Guide give
each one's configuration keys and artifact counts, kept in :data:`ACTION_TYPES`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bgkit.errors import ServiceError
from bgkit.local.provider import RequestContext
from bgkit.local.services.codepipeline.models import PRINCIPAL
from bgkit.local.services.iam.models import find_role, role_trusts

EXECUTION_MODES = ("QUEUED", "SUPERSEDED", "PARALLEL")
#: the manual approval's timeout: 7 days by default, 5 minutes to 60 days (its reference)
APPROVAL_TIMEOUT = (10080, 5, 86400)
IMAGE_KEYS = tuple(
    f"Image{n}{what}" for n in range(1, 6) for what in ("ArtifactName", "ContainerName")
)


@dataclass(frozen=True)
class ActionType:
    """What an action type takes: its configuration keys and how many artifacts."""

    required: tuple[str, ...]
    optional: tuple[str, ...]
    inputs: tuple[int, int]
    outputs: tuple[int, int]


ACTION_TYPES: dict[tuple[str, str], ActionType] = {
    ("Source", "S3"): ActionType(
        ("S3Bucket", "S3ObjectKey"), ("PollForSourceChanges", "AllowOverrideForS3ObjectKey"),
        (0, 0), (1, 1),
    ),
    ("Approval", "Manual"): ActionType(
        (), ("NotificationArn", "CustomData", "ExternalEntityLink"), (0, 0), (0, 0)
    ),
    ("Deploy", "CodeDeployToECS"): ActionType(
        ("ApplicationName", "DeploymentGroupName", "TaskDefinitionTemplateArtifact",
         "AppSpecTemplateArtifact"),
        ("TaskDefinitionTemplatePath", "AppSpecTemplatePath", *IMAGE_KEYS),
        (1, 5), (0, 0),
    ),
}  # fmt: skip


#: the pattern of PipelineName, StageName and ActionName in CodePipeline's model
NAME = re.compile(r"[A-Za-z0-9.@\-_]+")


def invalid(code: str, message: str) -> ServiceError:
    return ServiceError(code, message)


def _check_name(value: str, where: str) -> None:
    if not NAME.fullmatch(value):
        raise invalid(
            "ValidationException",
            f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy "
            f"constraint: Member must satisfy regular expression pattern: {NAME.pattern}",
        )


def check_role(ctx: RequestContext, role_arn: str) -> None:
    """The pipeline's service role exists and trusts CodePipeline."""
    if find_role(ctx, role_arn) is None or not role_trusts(ctx, role_arn, PRINCIPAL):
        raise invalid(
            "InvalidStructureException",
            f"CodePipeline is not authorized to perform AssumeRole on role {role_arn}: the role "
            f"must exist and its trust policy must let {PRINCIPAL} call sts:AssumeRole",
        )


def _check_store(pipeline: dict[str, Any]) -> None:
    stores = pipeline.get("artifactStores")
    store = pipeline.get("artifactStore")
    if (store is None) == (stores is None):
        raise invalid(
            "InvalidStructureException",
            "A pipeline must have either an artifactStore or an artifactStores map, not both "
            "and not neither",
        )
    for one in [store] if store else list(stores.values()):
        if one.get("type") != "S3" or not one.get("location"):
            raise invalid(
                "InvalidStructureException",
                "An artifact store must be of type S3 and name its bucket as location",
            )
        if one.get("encryptionKey"):
            raise invalid(
                "InvalidStructureException",
                "The bgkit local cloud keeps artifacts without KMS keys: leave encryptionKey out",
            )


def _check_action(stage: str, action: dict[str, Any]) -> ActionType:
    name = action["name"]
    type_id = action["actionTypeId"]
    key = (type_id["category"], type_id["provider"])
    kind = ACTION_TYPES.get(key)
    if type_id.get("owner") != "AWS" or type_id.get("version") != "1" or kind is None:
        runs = ", ".join(f"{c}/{p}" for c, p in ACTION_TYPES)
        raise invalid(
            "InvalidActionDeclarationException",
            f"Action '{name}' in stage '{stage}': the bgkit local cloud runs the action types "
            f"{runs} (owner AWS, version 1), not {type_id.get('category')}/"
            f"{type_id.get('provider')} (owner {type_id.get('owner')}, version "
            f"{type_id.get('version')})",
        )
    configuration = action.get("configuration") or {}
    missing = [k for k in kind.required if not configuration.get(k)]
    if missing:
        raise invalid(
            "InvalidActionDeclarationException",
            f"Action configuration for action '{name}' is missing required configuration "
            f"'{', '.join(missing)}'",
        )
    unknown = sorted(set(configuration) - set(kind.required) - set(kind.optional))
    if unknown:
        raise invalid(
            "InvalidActionDeclarationException",
            f"Action configuration for action '{name}' contains unknown configuration "
            f"'{', '.join(unknown)}'",
        )
    for member, (low, high) in (("inputArtifacts", kind.inputs), ("outputArtifacts", kind.outputs)):
        count = len(action.get(member) or [])
        if not low <= count <= high:
            raise invalid(
                "InvalidActionDeclarationException",
                f"Action '{name}' of type {key[0]}/{key[1]} must have between {low} and {high} "
                f"{member}, not {count}",
            )
    timeout = action.get("timeoutInMinutes")
    if timeout is not None:
        if key != ("Approval", "Manual"):
            raise invalid(
                "InvalidActionDeclarationException",
                f"Action '{name}': timeoutInMinutes is only configurable for manual approvals",
            )
        if not APPROVAL_TIMEOUT[1] <= timeout <= APPROVAL_TIMEOUT[2]:
            raise invalid(
                "InvalidActionDeclarationException",
                f"Action '{name}': timeoutInMinutes must be between {APPROVAL_TIMEOUT[1]} and "
                f"{APPROVAL_TIMEOUT[2]} minutes",
            )
    if key == ("Deploy", "CodeDeployToECS"):
        inputs = {a["name"] for a in action.get("inputArtifacts") or []}
        named = [configuration[k] for k in configuration if k.endswith("Artifact") or
                 k.endswith("ArtifactName")]  # fmt: skip
        for artifact in named:
            if artifact not in inputs:
                raise invalid(
                    "InvalidActionDeclarationException",
                    f"Action '{name}': the configuration names the artifact '{artifact}', which "
                    f"is not one of its input artifacts ({', '.join(sorted(inputs))})",
                )
    return kind


def check_declaration(ctx: RequestContext, pipeline: dict[str, Any]) -> dict[str, Any]:
    """The declaration as the pipeline keeps it (defaults filled), or CodePipeline's refusal."""
    _check_name(pipeline["name"], "pipeline.name")
    for i, stage in enumerate(pipeline["stages"]):
        _check_name(stage["name"], f"pipeline.stages.{i + 1}.member.name")
        for j, action in enumerate(stage.get("actions") or []):
            _check_name(
                action["name"], f"pipeline.stages.{i + 1}.member.actions.{j + 1}.member.name"
            )
    check_role(ctx, pipeline["roleArn"])
    _check_store(pipeline)
    stages = pipeline["stages"]
    if len(stages) < 2:
        raise invalid("InvalidStructureException", "Pipeline must contain at least two stages")
    for index, stage in enumerate(stages):
        for action in stage.get("actions") or []:
            category = action["actionTypeId"]["category"]
            if (index == 0) != (category == "Source"):
                raise invalid(
                    "InvalidStructureException",
                    "Pipeline must contain source actions in the first stage only, and only "
                    f"source actions: stage '{stage['name']}' has action '{action['name']}' of "
                    f"category {category}",
                )
    seen_stages: set[str] = set()
    produced: set[str] = set()
    for stage in stages:
        if stage["name"] in seen_stages:
            raise invalid(
                "InvalidStructureException", f"Stage name '{stage['name']}' is not unique"
            )
        seen_stages.add(stage["name"])
        if not stage.get("actions"):
            raise invalid(
                "InvalidStageDeclarationException",
                f"Stage '{stage['name']}' must contain at least one action",
            )
        names: set[str] = set()
        made_here: set[str] = set()
        for action in stage["actions"]:
            if action["name"] in names:
                raise invalid(
                    "InvalidStageDeclarationException",
                    f"Action name '{action['name']}' is not unique in stage '{stage['name']}'",
                )
            names.add(action["name"])
            for artifact in action.get("inputArtifacts") or []:
                if artifact["name"] not in produced:
                    raise invalid(
                        "InvalidStructureException",
                        f"Input Artifact '{artifact['name']}' of action '{action['name']}' is "
                        "not the output artifact of an action in an earlier stage",
                    )
            _check_action(stage["name"], action)
            for artifact in action.get("outputArtifacts") or []:
                if artifact["name"] in produced or artifact["name"] in made_here:
                    raise invalid(
                        "InvalidStructureException",
                        f"Output Artifact Bundle name '{artifact['name']}' is not unique",
                    )
                made_here.add(artifact["name"])
        produced |= made_here
    kept = dict(pipeline)
    kept["pipelineType"] = pipeline.get("pipelineType") or "V1"
    kept["executionMode"] = pipeline.get("executionMode") or "SUPERSEDED"
    if kept["pipelineType"] == "V1" and kept["executionMode"] != "SUPERSEDED":
        raise invalid(
            "ValidationException",
            f"Execution mode {kept['executionMode']} is only available for V2 pipelines: set "
            "pipelineType to V2",
        )
    for stage in kept["stages"]:
        for action in stage["actions"]:
            action.setdefault("runOrder", 1)
    return kept


def approval_timeout(action: dict[str, Any]) -> int:
    """A manual approval's timeout, in minutes."""
    return action.get("timeoutInMinutes") or APPROVAL_TIMEOUT[0]
