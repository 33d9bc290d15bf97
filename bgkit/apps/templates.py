"""Task definitions of the two revisions, from the templates in ``data/task-definitions/``.

A template is the JSON input of ECS's ``RegisterTaskDefinition`` — Fargate, ``awsvpc``, one
essential container named ``app`` listening on port 80 — with placeholders written ``{{NAME}}``
for what differs from one account, region or participant to the next:

- ``{{FAMILY}}`` — the task definition family;
- ``{{EXECUTION_ROLE_ARN}}`` — the task execution role (pulls the image, writes the logs);
- ``{{LOG_GROUP}}``, ``{{REGION}}``, ``{{STREAM_PREFIX}}`` — where the ``awslogs`` driver writes;
- ``{{REVISION}}`` — the revision's name, which FizzBuzz shows;
- ``{{FIZZBUZZ_SOURCE}}`` — the FizzBuzz app's source, which the Python image runs with
  ``python -c``, so no image has to be built.

:func:`task_definition` fills them and returns the keyword arguments of
``ecs.register_task_definition``; the same dict serves AWS and the local cloud.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bgkit.apps import app_source
from bgkit.data import DATA

__all__ = [
    "CONTAINER_NAME",
    "CONTAINER_PORT",
    "TEMPLATES",
    "fill",
    "load_template",
    "task_definition",
]

TEMPLATE_DIR = DATA / "task-definitions"
"""Where the templates live."""

TEMPLATES: tuple[str, ...] = ("nginx", "fizzbuzz")
"""The names of the templates: ``data/task-definitions/<name>.json``."""

CONTAINER_NAME = "app"
"""The container name in every template; the AppSpec names it."""

CONTAINER_PORT = 80
"""The container port in every template; the AppSpec names it."""

PLACEHOLDER = re.compile(r"\{\{([A-Z][A-Z0-9_]*)\}\}")


def load_template(name: str) -> dict[str, Any]:
    """A template as it is stored, placeholders unfilled.

    Args:
        name: ``nginx`` or ``fizzbuzz``.

    Returns:
        The parsed JSON.

    Raises:
        ValueError: there is no such template, or ``fail_percent`` is not for it.
    """
    if name not in TEMPLATES:
        raise ValueError(
            f"there is no task definition template {name!r}; "
            f"the templates are {', '.join(TEMPLATES)}"
        )
    return json.loads((TEMPLATE_DIR / f"{name}.json").read_text(encoding="utf-8"))


def fill(value: Any, values: dict[str, str]) -> Any:
    """Replace every ``{{NAME}}`` in the strings of a JSON value.

    Each string is scanned once, so a filled-in value (the FizzBuzz source, say) is never scanned
    for placeholders in turn.

    Args:
        value: a parsed JSON value.
        values: the text of each placeholder, by name.

    Returns:
        A copy of ``value`` with the placeholders filled.

    Raises:
        KeyError: a placeholder has no value in ``values``.
    """
    if isinstance(value, str):

        def text(match: re.Match[str]) -> str:
            key = match.group(1)
            if key not in values:
                raise KeyError(
                    f"the placeholder {{{{{key}}}}} has no value; give one of "
                    f"{', '.join(sorted(values))}"
                )
            return values[key]

        return PLACEHOLDER.sub(text, value)
    if isinstance(value, list):
        return [fill(item, values) for item in value]
    if isinstance(value, dict):
        return {key: fill(item, values) for key, item in value.items()}
    return value


def task_definition(
    name: str,
    *,
    family: str,
    execution_role_arn: str,
    log_group: str,
    region: str,
    revision: str | None = None,
    stream_prefix: str = "ecs",
    fail_percent: int = 0,
) -> dict[str, Any]:
    """A task definition ready for ``ecs.register_task_definition(**d)``.

    Args:
        name: the template, ``nginx`` or ``fizzbuzz``.
        family: the task definition family.
        execution_role_arn: the ARN of the task execution role.
        log_group: the CloudWatch Logs group the container logs to (it must exist: the
            template does not ask the ``awslogs`` driver to create it).
        region: the region of the log group.
        revision: the revision's name, which FizzBuzz shows; ``None`` means the template's name.
        stream_prefix: the prefix of the log streams (``<prefix>/app/<task id>``).
        fail_percent: FizzBuzz only: the share of its requests, in percent, that answer 500
            (``FAIL_PERCENT``, a bad release for notebook 11); 0 leaves the template as it is.

    Returns:
        The keyword arguments of ``RegisterTaskDefinition``.

    Raises:
        ValueError: there is no such template, or ``fail_percent`` is not for it.
    """
    values = {
        "FAMILY": family,
        "EXECUTION_ROLE_ARN": execution_role_arn,
        "LOG_GROUP": log_group,
        "REGION": region,
        "STREAM_PREFIX": stream_prefix,
        "REVISION": name if revision is None else revision,
    }
    template = load_template(name)
    if "{{FIZZBUZZ_SOURCE}}" in json.dumps(template):
        values["FIZZBUZZ_SOURCE"] = app_source("fizzbuzz")
    filled = fill(template, values)
    if fail_percent:
        if name != "fizzbuzz" or not 0 < fail_percent <= 100:
            raise ValueError(f"fail_percent is FizzBuzz's, from 1 to 100; not {fail_percent} "
                             f"for {name}")  # fmt: skip
        environment = filled["containerDefinitions"][0]["environment"]
        environment.append({"name": "FAIL_PERCENT", "value": str(fail_percent)})
    return filled
