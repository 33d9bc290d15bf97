"""The setting of a local cloud without default VPCs: ``BGKIT_LOCAL_DEFAULT_VPC`` and ``bgkit
local up --no-default-vpc``, down to the arguments of the local cloud's process."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from bgkit.cli import main
from bgkit.config import Settings
from bgkit.errors import ConfigError
from bgkit.local.__main__ import main as serve
from bgkit.local.process import server_arguments


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("0", False), ("false", False), ("no", False), ("1", True), ("TRUE", True)],
)
def test_environment_variable_spellings(raw, expected):
    assert Settings.load({"BGKIT_LOCAL_DEFAULT_VPC": raw}).local_default_vpc is expected


def test_default_is_a_default_vpc():
    assert Settings.load({}).local_default_vpc is True
    assert "--no-default-vpc" not in server_arguments(Settings.load({}))


def test_a_bad_value_says_what_it_may_be():
    with pytest.raises(ConfigError, match="BGKIT_LOCAL_DEFAULT_VPC must be 1 or 0"):
        Settings.load({"BGKIT_LOCAL_DEFAULT_VPC": "maybe"})


def test_the_process_is_started_without_default_vpcs():
    settings = Settings.load({"BGKIT_LOCAL_DEFAULT_VPC": "0"})
    assert server_arguments(settings)[-1] == "--no-default-vpc"


def test_the_command_has_the_flag():
    help_text = CliRunner().invoke(main, ["local", "up", "--help"]).output
    assert "--no-default-vpc" in help_text and "BGKIT_LOCAL_DEFAULT_VPC=0" in help_text


def test_the_server_entry_point_knows_the_flag(capsys):
    with pytest.raises(SystemExit) as done:
        serve(["--help"])
    assert done.value.code == 0 and "--no-default-vpc" in capsys.readouterr().out
