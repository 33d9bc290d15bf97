"""Settings from the environment and keywords, and their refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from bgkit.config import Settings, project_dir
from bgkit.errors import ConfigError


def test_defaults():
    settings = Settings.load({})
    assert settings.target == "local"
    assert settings.local_port == 4599
    assert settings.listener_offset == 10000
    assert settings.clock == 1.0
    assert settings.autopilot is None
    assert settings.approval_timeout == 600
    assert settings.prefix == "bgkit"
    assert settings.region == "us-east-1"
    assert settings.state_dir.name == ".bgkit"


def test_environment_then_keywords():
    env = {
        "BGKIT_TARGET": "aws",
        "BGKIT_LOCAL_PORT": "4700",
        "BGKIT_LISTENER_OFFSET": "20000",
        "BGKIT_CLOCK": "60",
        "BGKIT_AUTOPILOT": "reroute",
        "BGKIT_APPROVAL_TIMEOUT": "5",
        "BGKIT_PREFIX": "alice",
        "BGKIT_STATE_DIR": "/tmp/somewhere",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }
    settings = Settings.load(env, prefix="bob", clock=None)
    assert settings.target == "aws"
    assert settings.local_port == 4700
    assert settings.listener_offset == 20000
    assert settings.clock == 60.0
    assert settings.autopilot == "reroute"
    assert settings.approval_timeout == 5.0
    assert settings.prefix == "bob"
    assert settings.state_dir == Path("/tmp/somewhere")
    assert settings.region == "eu-west-1"


def test_listener_url_adds_the_offset():
    settings = Settings.load({"BGKIT_LISTENER_OFFSET": "10000"})
    assert settings.listener_url(80) == "http://127.0.0.1:10080"
    assert settings.listener_url(8080) == "http://127.0.0.1:18080"
    assert settings.endpoint_url == "http://127.0.0.1:4599"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BGKIT_TARGET": "gcp"}, "BGKIT_TARGET must be 'local' or 'aws', not 'gcp'"),
        ({"BGKIT_LOCAL_PORT": "http"}, "BGKIT_LOCAL_PORT must be a number, not 'http'"),
        ({"BGKIT_LOCAL_PORT": "70000"}, "BGKIT_LOCAL_PORT must be a TCP port"),
        ({"BGKIT_LISTENER_OFFSET": "60000"}, "so that listener port 8080 stays a valid port"),
        ({"BGKIT_CLOCK": "0"}, "BGKIT_CLOCK must be a positive speed"),
        ({"BGKIT_AUTOPILOT": "yes"}, "BGKIT_AUTOPILOT must be 'reroute', 'rollback' or unset"),
        ({"BGKIT_APPROVAL_TIMEOUT": "-1"}, "BGKIT_APPROVAL_TIMEOUT must be positive"),
        ({"BGKIT_PREFIX": "my prefix"}, "BGKIT_PREFIX must be letters, digits and '-'"),
    ],
)
def test_bad_values_are_refused_clearly(env, message):
    with pytest.raises(ConfigError, match=message):
        Settings.load(env)


def test_unknown_keyword_is_a_type_error():
    with pytest.raises(TypeError, match="unknown setting 'colour'"):
        Settings.load({}, colour="blue")


def test_project_dir_finds_the_project_from_a_subfolder(tmp_path):
    (tmp_path / "pyproject.toml").write_text("")
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    assert project_dir(notebooks) == tmp_path
