"""The local image catalogue: which images run locally, as what command, and the refusal."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from bgkit.apps import app_path
from bgkit.errors import BgkitError
from bgkit.local.dataplane.images import (
    CATALOGUE_PATH,
    Catalogue,
    ImageNotRunnableError,
    catalogue,
    repository,
    resolve,
)

PYTHON_IMAGES = [
    "public.ecr.aws/docker/library/python:3.12-slim",
    "public.ecr.aws/docker/library/python",
    "python",
    "python:3.12",
    "python:3.12-slim@sha256:" + "a" * 64,
    "docker.io/library/python:3-alpine",
    "docker.io/python:latest",
    "library/python",
    "index.docker.io/library/python:3.11",
]
NGINX_IMAGES = [
    "public.ecr.aws/nginx/nginx:stable",
    "public.ecr.aws/nginx/nginx",
    "public.ecr.aws/docker/library/nginx:1.27-alpine",
    "nginx",
    "nginx:stable",
    "docker.io/library/nginx:mainline",
    "docker.io/nginx",
]
UNKNOWN_IMAGES = [
    "httpd:2.4",
    "public.ecr.aws/docker/library/httpd:2.4",
    "123456789012.dkr.ecr.us-east-1.amazonaws.com/fizzbuzz:v2",
    "ghcr.io/someone/python:3.12",
    "localhost:5000/python",
    "nginxinc/nginx-unprivileged",
    "pythonista",
    "",
]


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("nginx", "docker.io/library/nginx"),
        ("nginx:stable", "docker.io/library/nginx"),
        ("library/nginx", "docker.io/library/nginx"),
        ("docker.io/nginx:1", "docker.io/library/nginx"),
        ("python@sha256:abc", "docker.io/library/python"),
        ("public.ecr.aws/nginx/nginx:stable", "public.ecr.aws/nginx/nginx"),
        ("localhost:5000/app:v1", "localhost:5000/app"),
        ("Public.ECR.aws/nginx/nginx", "public.ecr.aws/nginx/nginx"),
        ("someone/app", "docker.io/someone/app"),
    ],
)
def test_repository(image: str, expected: str) -> None:
    assert repository(image) == expected


@pytest.mark.parametrize("image", PYTHON_IMAGES)
def test_python_image_runs_entry_point_and_command_with_local_python(image: str) -> None:
    argv = resolve(image, ["python", "-c"], ["print('hi')"], {"PORT": "80"})
    assert argv == [sys.executable, "-c", "print('hi')"]


@pytest.mark.parametrize(
    ("entry_point", "command", "rest"),
    [
        (None, ["python3", "-u", "app.py"], ["-u", "app.py"]),
        ([], ["/usr/local/bin/python3.12", "-c", "x"], ["-c", "x"]),
        (["python3"], None, []),
        (["python"], ["-m", "http.server"], ["-m", "http.server"]),
        (None, None, []),  # the image's own command, python3
    ],
)
def test_python_image_replaces_the_interpreter(
    entry_point: list[str] | None, command: list[str] | None, rest: list[str]
) -> None:
    assert resolve("python:3.12", entry_point, command, {}) == [sys.executable, *rest]


@pytest.mark.parametrize("entry_point", [["sh", "-c"], ["/bin/bash"], ["pip"]])
def test_python_image_with_another_program_cannot_start(entry_point: list[str]) -> None:
    with pytest.raises(ImageNotRunnableError) as caught:
        resolve("python:3.12", entry_point, ["python app.py"], {})
    reason = caught.value.stopped_reason
    assert reason.startswith("CannotStartContainerError: ")
    assert entry_point[0] in reason and "python" in reason
    assert caught.value.stop_code == "TaskFailedToStart"


@pytest.mark.parametrize("image", NGINX_IMAGES)
def test_nginx_image_runs_the_standin(image: str) -> None:
    argv = resolve(image, None, None, {})
    assert argv == [sys.executable, str(app_path("nginx_standin"))]
    assert Path(argv[1]).is_file()


def test_nginx_image_ignores_its_command() -> None:
    argv = resolve("nginx:stable", ["/docker-entrypoint.sh"], ["nginx", "-g", "daemon off;"], {})
    assert argv == [sys.executable, str(app_path("nginx_standin"))]


@pytest.mark.parametrize("image", UNKNOWN_IMAGES)
def test_unknown_image_cannot_be_pulled(image: str) -> None:
    with pytest.raises(ImageNotRunnableError) as caught:
        resolve(image, None, ["python"], {})
    error = caught.value
    assert error.image == image
    assert str(error) == error.stopped_reason
    assert error.stopped_reason == (
        f"CannotPullContainerError: the bgkit local cloud cannot run image '{image}'; "
        "it runs these images: public.ecr.aws/docker/library/python, docker.io/library/python, "
        "python, public.ecr.aws/nginx/nginx, public.ecr.aws/docker/library/nginx, "
        "docker.io/library/nginx, nginx (any tag)"
    )
    assert isinstance(error, BgkitError) and isinstance(error, ValueError)


def test_catalogue_file_lists_both_kinds() -> None:
    data = json.loads(CATALOGUE_PATH.read_text())
    assert {entry["kind"] for entry in data["images"]} == {"python", "nginx-standin"}
    assert catalogue().patterns()[0] == "public.ecr.aws/docker/library/python"


def test_catalogue_refuses_an_unknown_kind(tmp_path: Path) -> None:
    path = tmp_path / "images.json"
    path.write_text(json.dumps({"images": [{"kind": "docker", "repositories": ["x"]}]}))
    with pytest.raises(ValueError, match="kinds are python, nginx-standin"):
        Catalogue.load(path)
