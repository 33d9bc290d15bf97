"""The stored notebooks follow the house rules, show the requests they are about as plain boto3
calls and the topology as a picture, their navigation is generated, and nbval passes on a fresh
local cloud (the last test runs ``pytest --nbval notebooks/`` with the plugin of
``nbval_cloud.py``, as ``make test`` would)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from bgkit.tour import notebooks

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
BOOKS = notebooks(ROOT / "notebooks")
#: notebook → the requests its step is about, as (client, method, keywords the request must have)
KEY_REQUESTS = {
    "01": [
        ("elbv2", "create_load_balancer", {"Name", "Subnets", "SecurityGroups", "Scheme"}),
        ("elbv2", "create_target_group", {"Name", "Port", "TargetType", "HealthCheckPath"}),
        ("elbv2", "create_listener", {"Port", "DefaultActions"}),
    ],
    "03": [("ecs", "create_service", {"deploymentController", "loadBalancers", "taskDefinition"})],
    "04": [
        ("codedeploy", "create_application", {"computePlatform"}),
        ("codedeploy", "create_deployment_group", {
            "serviceRoleArn", "deploymentStyle", "blueGreenDeploymentConfiguration",
            "loadBalancerInfo", "autoRollbackConfiguration", "ecsServices",
        }),
    ],
    "05": [
        ("codedeploy", "create_deployment", {"applicationName", "revision"}),
        ("codedeploy", "continue_deployment", {"deploymentId", "deploymentWaitType"}),
    ],
    "10": [
        ("lambda", "create_function", {"FunctionName", "Role", "Handler", "Code", "Environment"}),
        ("codedeploy", "create_deployment", {"applicationName", "revision"}),
        ("logs", "filter_log_events", {"logGroupName"}),
    ],
    "11": [
        ("cloudwatch", "put_metric_alarm", {
            "AlarmName", "Namespace", "MetricName", "Dimensions", "Threshold",
            "ComparisonOperator", "EvaluationPeriods", "TreatMissingData",
        }),
        ("codedeploy", "update_deployment_group", {
            "alarmConfiguration", "autoRollbackConfiguration",
        }),
    ],
    "12": [
        ("s3", "put_object", {"Bucket", "Key", "Body"}),
        ("codepipeline", "create_pipeline", {"pipeline", "tags"}),
        ("codepipeline", "start_pipeline_execution", {"name"}),
        ("codepipeline", "put_approval_result", {"pipelineName", "result", "token"}),
        ("codedeploy", "continue_deployment", {"deploymentId", "deploymentWaitType"}),
    ],
}  # fmt: skip
#: notebook → how many topology pictures its stored outputs hold, at least
PICTURES = {"01": 1, "03": 1, "05": 2, "06": 1}


def book(number: str) -> nbformat.NotebookNode:
    return nbformat.read(next(p for p in BOOKS if p.name.startswith(number)), as_version=4)


def code_trees(notebook: nbformat.NotebookNode) -> list[ast.AST]:
    """Each code cell parsed (top-level ``await`` allowed, as IPython allows it)."""
    flags = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    return [compile(c.source, "<cell>", "exec", flags) for c in notebook.cells
            if c.cell_type == "code"]  # fmt: skip


def boto3_calls(notebook: nbformat.NotebookNode) -> list[tuple[str, str, set[str]]]:
    """``(service, method, keywords)`` of every call on a client made in the notebook with
    ``name = kit.client("service")``."""
    trees = code_trees(notebook)
    clients = {}
    for tree in trees:
        for node in ast.walk(tree):
            if (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
                    and isinstance(node.value, ast.Call)
                    and isinstance(node.value.func, ast.Attribute)
                    and node.value.func.attr == "client"
                    and isinstance(node.value.args[0], ast.Constant)):  # fmt: skip
                clients[node.targets[0].id] = node.value.args[0].value
    calls = []
    for tree in trees:
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id in clients):  # fmt: skip
                keywords = {k.arg for k in node.keywords if k.arg}
                calls.append((clients[node.func.value.id], node.func.attr, keywords))
    return calls


@pytest.mark.parametrize("number", sorted(KEY_REQUESTS))
def test_the_key_requests_are_plain_boto3_calls_in_the_cells(number):
    calls = boto3_calls(book(number))
    for service, method, keywords in KEY_REQUESTS[number]:
        made = [kw for s, m, kw in calls if (s, m) == (service, method)]
        assert made, f"notebook {number} does not call {service}.{method} in a cell"
        assert any(keywords <= kw for kw in made), (
            f"notebook {number}'s {service}.{method} lacks {sorted(keywords - made[0])}"
        )


@pytest.mark.parametrize("number", sorted(PICTURES))
def test_the_topology_is_pictured_from_the_live_state(number):
    drawn = "plot_topology(observe.topology_frame("
    cells = [c for c in book(number).cells if c.cell_type == "code" and drawn in c.source]
    pictured = [c for c in cells if any("image/png" in o.get("data", {}) for o in c.outputs)]
    assert len(pictured) >= PICTURES[number], f"notebook {number} stores too few topologies"


@pytest.mark.parametrize("number", ["05", "06", "12"])
def test_the_approval_panel_is_stored_with_its_widget_state(number):
    notebook = book(number)
    state = notebook.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json")
    assert state, f"notebook {number} is stored without its widget state"
    models = state["state"]
    view = "application/vnd.jupyter.widget-view+json"
    shown = [o["data"][view]["model_id"]
             for c in notebook.cells if c.cell_type == "code" and "ApprovalPanel(" in c.source
             for o in c.outputs if view in o.get("data", {})]  # fmt: skip
    assert shown and all(model in models for model in shown), "the panel's model is not stored"


def test_a_notebook_run_too_early_names_the_notebook_to_run_first():
    for number in ("02", "03", "04", "05", "06"):
        first = next(c for c in book(number).cells if c.cell_type == "code")
        assert "wt.require(kit, " in first.source, f"notebook {number} does not check its order"


def test_the_walkthrough_is_numbered_00_to_09_and_the_next_steps_follow():
    numbers = [p.name[:2] for p in BOOKS]
    assert numbers[:10] == [f"{n:02d}" for n in range(10)]
    # the next steps (10 Lambda hooks, 11, 12 the pipeline) may come in any order of writing:
    # a number may be missing, never repeated, and the pipeline's notebook is there
    assert numbers == sorted(set(numbers)) and "12" in numbers


@pytest.mark.parametrize("path", BOOKS, ids=lambda p: p.stem)
def test_notebook_follows_the_house_rules(path):
    book = nbformat.read(path, as_version=4)
    assert set(book.metadata) <= {"kernelspec", "language_info", "widgets"}, "editor metadata"
    text = "\n".join(c.source for c in book.cells if c.cell_type == "markdown")
    for part in ("What you'll do", "What you'll learn", "What you'll need", "Time", "On your own",
                 "In practice", "Further reading"):  # fmt: skip
        assert part in text, f"{path.name} lacks {part!r}"
    for cell in book.cells:
        assert set(cell.metadata) <= {"tags"}, f"editor metadata in {path.name}"
        if cell.cell_type != "code":
            continue
        assert "%pip" not in cell.source and "!pip" not in cell.source
        assert 1 <= len(cell.source.splitlines()) <= 8, f"long cell in {path.name}: {cell.source}"
        assert cell.execution_count is not None, f"{path.name} is stored unexecuted"
        for output in cell.outputs:
            assert output.output_type != "error", f"{path.name} stores an error"
            assert output.get("name") != "stderr", f"{path.name} stores stderr"


def test_navigation_and_readme_index_are_up_to_date():
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "navigation.py"), "--check"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout


@pytest.mark.slow
def test_nbval_passes_on_a_fresh_local_cloud():
    environ = {**os.environ, "PYTHONPATH": str(HERE)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "nbval_cloud", "--nbval", "notebooks/",
         "-p", "no:cacheprovider", "--nbval-sanitize-with", str(HERE / "nbval-sanitize.cfg"),
         "--nbval-current-env", "--nbval-cell-timeout=120", "-q"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env=environ,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:]
