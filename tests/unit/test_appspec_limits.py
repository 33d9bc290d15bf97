"""AppSpec content made to exhaust the parser: refused with INVALID_REVISION, in bounded work.

CodeDeploy fails a deployment whose AppSpec cannot be used with ``INVALID_REVISION`` and the
message prefix of :data:`INVALID_PREFIX` (aws/aws-cli#6267; the reference notes, section 6). The
limits (size, nesting depth, nodes once aliases are expanded) are the local cloud's: an AppSpec
is a page of YAML, so each is far above any real one.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from bgkit.local.services.codedeploy import appspec
from bgkit.local.services.codedeploy.appspec import INVALID_PREFIX, AppSpecError, parse_appspec

TD = "arn:aws:ecs:us-east-1:123456789012:task-definition/bgkit-web:2"
VALID = f"""\
version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: "{TD}"
        LoadBalancerInfo: {{ContainerName: app, ContainerPort: 80}}
"""


def alias_bomb(levels: int = 9) -> str:
    """A billion laughs: each level lists the one before ten times (about 1 KB of text)."""
    lines = ['a0: &a0 ["lol"]']
    for level in range(1, levels + 1):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 10)}]")
    return VALID + "\n".join(lines) + f"\nHooks:\n  - BeforeInstall: *a{levels}\n"


def refused(content: str) -> AppSpecError:
    with pytest.raises(AppSpecError) as caught:
        parse_appspec(content)
    assert caught.value.code == "INVALID_REVISION"
    assert caught.value.message.startswith(INVALID_PREFIX)
    return caught.value


def test_an_alias_bomb_is_refused_without_expanding_it():
    # In a process of its own, with a memory cap: unbounded, the bomb takes gigabytes.
    code = (
        "import resource\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
        "from bgkit.local.services.codedeploy.appspec import AppSpecError, parse_appspec\n"
        f"content = {alias_bomb()!r}\n"
        "try:\n"
        "    parse_appspec(content)\n"
        "except AppSpecError as error:\n"
        "    print(error.message)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], timeout=30, capture_output=True)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert "aliases" in done.stdout.decode()


@pytest.mark.parametrize("opening", ["[", "{a: "])
def test_deep_nesting_is_refused(opening):
    closing = "]" if opening == "[" else "}"
    deep = opening * 5000 + "1" + closing * 5000
    error = refused(VALID + f"Extra: {deep}\n")
    assert "nested" in error.message


def test_deep_json_nesting_is_refused():
    error = refused('{"version": 0.0, "Extra": ' + "[" * 5000 + "]" * 5000 + "}")
    assert "nested" in error.message


def test_content_over_the_size_limit_is_refused():
    error = refused(VALID + "# " + "x" * appspec.MAX_BYTES + "\n")
    assert f"{appspec.MAX_BYTES:,} bytes" in error.message


def test_a_recursive_alias_is_refused():
    refused(VALID + "Extra: &loop [*loop]\n")


def test_a_few_aliases_are_fine():
    content = VALID.replace(
        "LoadBalancerInfo: {ContainerName: app, ContainerPort: 80}",
        "LoadBalancerInfo: *info",
    )
    content = "info: &info {ContainerName: app, ContainerPort: 80}\n" + content
    spec = parse_appspec(content)
    assert (spec.container_name, spec.container_port) == ("app", 80)


def large_valid() -> str:
    """A valid AppSpec past :data:`appspec.SYNC_BYTES`, so it is parsed in a worker thread."""
    padding = "".join(f"  - {{key{i}: value{i}}}\n" for i in range(appspec.SYNC_BYTES // 20))
    return VALID + "Extra:\n" + padding


def test_a_large_appspec_is_parsed_off_the_callers_thread():
    content = large_valid()
    for _ in range(1000):
        spec = appspec.parsed_appspec(content)
        if spec is not None:
            break
    assert spec is not None and spec.task_definition == TD


def test_a_parse_past_the_time_limit_fails(monkeypatch):
    monkeypatch.setattr(appspec, "PARSE_TIMEOUT", 0.0)
    monkeypatch.setattr(appspec, "PARSE_WAIT", 0.0)
    with pytest.raises(AppSpecError, match="took longer than 0 seconds"):
        while appspec.parsed_appspec(large_valid()) is None:
            pass
