"""Settings: which target, region, participant prefix, local ports, clock and language.

Every setting has an environment variable and a keyword of the same meaning in
:func:`bgkit.connect` (DESIGN.md's table); keywords win over the environment, the environment over
the defaults.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from bgkit.errors import ConfigError
from bgkit.labels import LANGUAGES

TARGETS = ("local", "aws")
AUTOPILOTS = ("reroute", "rollback")

#: setting name → environment variable
ENVIRONMENT = {
    "target": "BGKIT_TARGET",
    "local_port": "BGKIT_LOCAL_PORT",
    "state_dir": "BGKIT_STATE_DIR",
    "listener_offset": "BGKIT_LISTENER_OFFSET",
    "clock": "BGKIT_CLOCK",
    "autopilot": "BGKIT_AUTOPILOT",
    "approval_timeout": "BGKIT_APPROVAL_TIMEOUT",
    "prefix": "BGKIT_PREFIX",
    "lang": "BGKIT_LANG",
    "permissions_boundary": "BGKIT_PERMISSIONS_BOUNDARY",
    "local_default_vpc": "BGKIT_LOCAL_DEFAULT_VPC",
}
#: how BGKIT_LOCAL_DEFAULT_VPC may be spelled
BOOLEANS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


def project_dir(start: Path | None = None) -> Path:
    """The project a command runs in: the nearest folder up from ``start`` holding ``.bgkit``,
    ``pyproject.toml`` or ``.git``, so notebooks in ``notebooks/`` and a shell at the top share
    one local cloud; ``start`` itself when there is none."""
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if any((folder / marker).exists() for marker in (".bgkit", "pyproject.toml", ".git")):
            return folder
    return start


@dataclass(frozen=True)
class Settings:
    """The kit's settings (see DESIGN.md, *Settings and commands*)."""

    target: str = "local"
    local_port: int = 4599
    state_dir: Path = field(default_factory=lambda: project_dir() / ".bgkit")
    listener_offset: int = 10000
    clock: float = 1.0
    autopilot: str | None = None
    approval_timeout: float = 600.0
    prefix: str = "bgkit"
    region: str = "us-east-1"
    #: the language of the panel, the tour's report and the tables' headers (bgkit.labels)
    lang: str = "en"
    #: the ARN of the permissions boundary the walkthrough gives the roles it creates (a workshop
    #: participant's, from ``bgkit workshop setup``); ``None``: roles without a boundary
    permissions_boundary: str | None = None
    #: whether the local cloud gives each region a default VPC (``False``: none, as in many AWS
    #: accounts; the walkthrough then makes a small VPC of its own)
    local_default_vpc: bool = True

    def __post_init__(self) -> None:
        if self.target not in TARGETS:
            raise ConfigError(f"BGKIT_TARGET must be 'local' or 'aws', not {self.target!r}")
        if not 0 < self.local_port < 65536:
            raise ConfigError(
                f"BGKIT_LOCAL_PORT must be a TCP port (1-65535), not {self.local_port}"
            )
        if not 0 <= self.listener_offset <= 65535 - 8080:
            raise ConfigError(
                f"BGKIT_LISTENER_OFFSET must be between 0 and {65535 - 8080} so that listener "
                f"port 8080 stays a valid port, not {self.listener_offset}"
            )
        if self.clock <= 0:
            raise ConfigError(
                f"BGKIT_CLOCK must be a positive speed (60 = a minute a second), not {self.clock}"
            )
        if self.autopilot not in (None, *AUTOPILOTS):
            raise ConfigError(
                f"BGKIT_AUTOPILOT must be 'reroute', 'rollback' or unset, not {self.autopilot!r}"
            )
        if self.approval_timeout <= 0:
            raise ConfigError(
                f"BGKIT_APPROVAL_TIMEOUT must be positive seconds, not {self.approval_timeout}"
            )
        if not self.prefix or not all(c.isalnum() or c == "-" for c in self.prefix):
            raise ConfigError(
                f"BGKIT_PREFIX must be letters, digits and '-', not {self.prefix!r}: it starts "
                "every resource name"
            )
        if self.lang not in LANGUAGES:
            raise ConfigError(f"BGKIT_LANG must be 'en' or 'ja', not {self.lang!r}")

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from ``env`` (default ``os.environ``), then ``overrides`` (``None``: unset)."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        types = {f.name: f.type for f in fields(cls)}
        for name, variable in ENVIRONMENT.items():
            raw = env.get(variable, "").strip()
            if raw:
                values[name] = _convert(name, types[name], raw, variable)
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
        if region:
            values["region"] = region
        for name, value in overrides.items():
            if name not in types:
                raise TypeError(f"unknown setting {name!r}; settings are {sorted(types)}")
            if value is not None:
                values[name] = (
                    _convert(name, types[name], value, name) if isinstance(value, str) else value
                )
        if "state_dir" in values:
            values["state_dir"] = Path(values["state_dir"]).expanduser().resolve()
        return cls(**values)

    def replace(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @property
    def endpoint_url(self) -> str:
        """Where the local cloud answers."""
        return f"http://127.0.0.1:{self.local_port}"

    def listener_url(self, port: int) -> str:
        """The URL of a local listener on ``port`` (80 → ``http://127.0.0.1:10080``)."""
        return f"http://127.0.0.1:{self.listener_offset + port}"


def _convert(name: str, kind: Any, raw: Any, source: str) -> Any:
    kind = str(kind)
    if kind.startswith("bool"):
        if str(raw).strip().lower() not in BOOLEANS:
            raise ConfigError(f"{source} must be 1 or 0 (true or false), not {raw!r}")
        return BOOLEANS[str(raw).strip().lower()]
    try:
        if kind.startswith("int"):
            return int(raw)
        if kind.startswith("float"):
            return float(raw)
    except ValueError:
        raise ConfigError(f"{source} must be a number, not {raw!r}") from None
    if kind.startswith("Path"):
        return Path(raw)
    return raw
