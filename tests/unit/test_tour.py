"""The tour's report (aligned columns, every notebook's deployments), how it starts kernels, and
where the kit's data files are found."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from jupyter_client import KernelManager
from traitlets.config import Config

from bgkit import data
from bgkit.tour import DELETES, KERNEL_CONFIG, TourReport

STEPS = [
    {"notebook": "00-check-your-setup", "seconds": 1.62, "outcome": "ok", "ports": []},
    {"notebook": "05-deploy-fizzbuzz-and-approve", "seconds": 12.4, "outcome": "ok",
     "ports": ["80 → nginx (200), 8080 → fizzbuzz (200)"]},
    {"notebook": "07-clean-up", "seconds": 3.0, "outcome": "ok", "ports": []},
]  # fmt: skip


def _row(deployment: str, kind: str, status: str, what: str) -> dict[str, str]:
    return {"deployment": deployment, "kind": kind, "status": status, "what": what,
            "created": "2026-12-07T10:00:00"}  # fmt: skip


def test_steps_line_up_whatever_the_length_of_the_names():
    report = TourReport(steps=STEPS, seconds=17.0)
    lines = [line for line in str(report).splitlines() if re.match(r"  \d\d-", line)]
    assert len(lines) == 3
    assert len({line.index(" s  ok") for line in lines}) == 1, str(report)
    assert str(report).endswith("  total: 17.0 s")


def test_deployments_of_every_notebook_are_listed_in_columns_with_their_last_status():
    report = TourReport(steps=STEPS)
    report.record("05", [_row("d-AAAAAAAAA", "CodeDeploy", "InProgress", "by user")])
    report.record("06", [
        _row("d-AAAAAAAAA", "CodeDeploy", "Succeeded", "by user"),
        _row("d-BBBBBBBBB", "CodeDeploy", "Succeeded",
             "by codeDeployRollback, rollback of d-AAAAAAAAA"),
    ])  # fmt: skip
    report.record("09", [_row("qlaijqxVfnqYhWfeD6GLY", "ECS", "SUCCESSFUL", "service web")])
    lines = str(report).splitlines()
    table = lines[lines.index(next(line for line in lines if "deployments" in line)) + 1 :][:4]
    assert table[0].split() == ["notebook", "deployment", "kind", "status", "what"]
    assert [line.split()[:4] for line in table[1:]] == [
        ["05", "d-AAAAAAAAA", "CodeDeploy", "Succeeded"],  # first seen in 05, its last status
        ["06", "d-BBBBBBBBB", "CodeDeploy", "Succeeded"],
        ["09", "qlaijqxVfnqYhWfeD6GLY", "ECS", "SUCCESSFUL"],
    ]
    for column in ("deployment", "kind", "status", "what"):
        assert len(_starts(table, column)) == 1, "\n".join(table)


def _starts(table: list[str], name: str) -> set[int]:
    """Where the column ``name`` starts on each line of ``table``."""
    index = table[0].split().index(name)
    return {line.index(line.split()[index]) for line in table}


def test_a_listing_that_failed_is_said_not_hidden():
    report = TourReport(steps=STEPS, unlisted=["after a cell of 05: connection refused"])
    assert "  deployments not listed after a cell of 05: connection refused" in str(report)


@pytest.mark.parametrize(
    ("source", "deletes"),
    [
        ("wt.clean_up(kit)", True),
        ("codedeploy.delete_deployment_config(deploymentConfigName=custom)", True),
        ("wt.created_resources(kit)", False),
        ("observe.compare_ports(kit)", False),
    ],
)
def test_the_tour_looks_at_the_deployments_before_a_cell_that_deletes(source, deletes):
    assert bool(DELETES.search(source)) is deletes


def test_the_tour_s_kernels_get_curve_keys_from_their_manager():
    manager = KernelManager(kernel_name="python3", config=Config(KERNEL_CONFIG))
    assert manager.transport_encryption == "required"
    assert "curve" in manager.kernel_spec.metadata["supported_encryption"]


def test_data_files_are_found_in_the_checkout():
    checkout = Path(__file__).resolve().parents[2]
    assert checkout / "data" == data.DATA
    assert (data.DATA / "iam" / "managed" / "AWSCodeDeployRoleForECSLimited.json").is_file()


def test_an_installed_package_s_own_data_files_come_first(tmp_path):
    installed, checkout = tmp_path / "site-packages" / "bgkit" / "_data", tmp_path / "data"
    for folder in (installed, checkout):
        folder.mkdir(parents=True)
        (folder / "images.json").write_text("{}")
    assert data.find_data((installed, checkout)) == installed
    assert data.find_data((tmp_path / "nowhere", checkout)) == checkout


def test_missing_data_files_say_where_they_were_looked_for_and_how_to_reinstall(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"looked for images.json in .*; reinstall bgkit"):
        data.find_data((tmp_path / "a", tmp_path / "b"))
