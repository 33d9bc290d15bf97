"""Which container images the local cloud can run, and the local command that stands for each.

The catalogue is ``data/images.json``. An image reference matches an entry when its repository —
the reference without tag or digest — is one the entry names. Docker Hub's short spellings are
equivalent, as Docker makes them: ``nginx``, ``library/nginx``, ``docker.io/nginx`` and
``docker.io/library/nginx`` are one repository. Tags and digests are ignored.

Two kinds of image exist:

``python``
    A public Python image. The container's ``entryPoint`` + ``command`` (exec form, as ECS and
    Docker run them: no shell, no ``$VAR`` expansion) run with the local interpreter in place of
    ``python`` / ``python3``. Without either, the image's default command ``python3`` runs.
``nginx-standin``
    A public Nginx image. The container runs :mod:`bgkit.apps.nginx_standin`, which answers
    Nginx's welcome page; ``entryPoint`` and ``command`` are ignored.

An image outside the catalogue, or a Python image whose command does not start with Python,
raises :class:`ImageNotRunnableError`, whose ``stopped_reason`` is what ECS shows on the stopped
task.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bgkit.apps import app_path
from bgkit.data import DATA
from bgkit.errors import BgkitError

__all__ = [
    "CATALOGUE_PATH",
    "Catalogue",
    "ImageEntry",
    "ImageNotRunnableError",
    "catalogue",
    "repository",
    "resolve",
]

CATALOGUE_PATH = DATA / "images.json"
"""The image catalogue of the local cloud."""

KINDS = ("python", "nginx-standin")
DOCKER_HUB = "docker.io"
_DOCKER_HUB_ALIASES = {"docker.io", "index.docker.io", "registry-1.docker.io"}
_PYTHON = re.compile(r"python(3(\.\d+)?)?")
TASK_FAILED_TO_START = "TaskFailedToStart"


class ImageNotRunnableError(BgkitError, ValueError):
    """The local cloud cannot run a container's image (or its command).

    ``str(error)`` is :attr:`stopped_reason`.

    Args:
        image: the image reference of the container definition.
        stopped_reason: the reason the stopped task shows, in ECS's form
            (``CannotPullContainerError: …``, ``CannotStartContainerError: …``).

    Attributes:
        stop_code: the stopped task's ``stopCode``, ``TaskFailedToStart``.
    """

    stop_code = TASK_FAILED_TO_START

    def __init__(self, image: str, stopped_reason: str) -> None:
        super().__init__(stopped_reason)
        self.image = image
        self.stopped_reason = stopped_reason


def repository(image: str) -> str:
    """The repository of an image reference, without tag or digest, Docker Hub spelt in full.

    Args:
        image: a reference such as ``nginx:stable``, ``public.ecr.aws/nginx/nginx:stable`` or
            ``python@sha256:…``.

    Returns:
        ``registry/path``: ``docker.io/library/nginx``, ``public.ecr.aws/nginx/nginx``.
    """
    name = image.strip().split("@", 1)[0]
    last_slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > last_slash:
        name = name[:colon]
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, path = first.lower(), rest
    else:
        registry, path = DOCKER_HUB, name
    if registry in _DOCKER_HUB_ALIASES:
        registry = DOCKER_HUB
        if "/" not in path:
            path = f"library/{path}"
    return f"{registry}/{path}"


@dataclass(frozen=True)
class ImageEntry:
    """One entry of the catalogue.

    Attributes:
        kind: how the image runs locally, one of ``python`` or ``nginx-standin``.
        repositories: the repositories, as the catalogue spells them.
        app: for ``nginx-standin``, the app of :mod:`bgkit.apps` that stands in for the image.
    """

    kind: str
    repositories: tuple[str, ...]
    app: str | None = None


@dataclass(frozen=True)
class Catalogue:
    """The images the local cloud can run.

    Attributes:
        entries: the entries, in the catalogue's order.
    """

    entries: tuple[ImageEntry, ...]

    @classmethod
    def load(cls, path: Path = CATALOGUE_PATH) -> Catalogue:
        """Read a catalogue file.

        Args:
            path: the JSON file.

        Returns:
            The catalogue.

        Raises:
            ValueError: an entry has an unknown kind or no repository.
        """
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        entries = []
        for item in data["images"]:
            if item["kind"] not in KINDS or not item["repositories"]:
                raise ValueError(f"{path}: bad image entry {item!r}; kinds are {', '.join(KINDS)}")
            entries.append(ImageEntry(item["kind"], tuple(item["repositories"]), item.get("app")))
        return cls(tuple(entries))

    def patterns(self) -> list[str]:
        """Every repository the catalogue names, in its order and spelling."""
        return [name for entry in self.entries for name in entry.repositories]

    def match(self, image: str) -> ImageEntry:
        """The entry an image belongs to.

        Args:
            image: the container definition's image reference.

        Returns:
            The matching entry.

        Raises:
            ImageNotRunnableError: no entry names the image's repository.
        """
        wanted = repository(image) if image.strip() else None
        for entry in self.entries:
            if wanted in {repository(name) for name in entry.repositories}:
                return entry
        raise ImageNotRunnableError(
            image,
            f"CannotPullContainerError: the bgkit local cloud cannot run image '{image}'; "
            f"it runs these images: {', '.join(self.patterns())} (any tag)",
        )


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    """The local cloud's catalogue, ``data/images.json``, read once."""
    return Catalogue.load(CATALOGUE_PATH)


def resolve(
    image: str,
    entry_point: Sequence[str] | None,
    command: Sequence[str] | None,
    env: Mapping[str, str] | None = None,
) -> list[str]:
    """The argv that runs a container locally.

    Args:
        image: the container definition's ``image``.
        entry_point: its ``entryPoint`` (``None`` or empty: the image's own).
        command: its ``command`` (``None`` or empty: the image's own).
        env: the container's environment. Exec form has no shell, so the argv never expands it
            (as on ECS); the runtime gives it to the process.

    Returns:
        The argv, whose first item is the local Python interpreter.

    Raises:
        ImageNotRunnableError: the image is not in the catalogue (``CannotPullContainerError``), or
            a Python image's command does not start with Python (``CannotStartContainerError``).
    """
    del env  # accepted for the runtime's convenience; see Args
    entry = catalogue().match(image)
    if entry.kind == "nginx-standin":
        return [sys.executable, str(app_path(entry.app or "nginx_standin"))]
    # Docker: an entryPoint given replaces the image's ENTRYPOINT and drops its CMD; the official
    # Python images have no ENTRYPOINT and CMD ["python3"].
    if entry_point:
        argv = [*entry_point, *(command or [])]
    else:
        argv = list(command) if command else ["python3"]
    program = argv[0].rsplit("/", 1)[-1]
    if not _PYTHON.fullmatch(program):
        raise ImageNotRunnableError(
            image,
            f"CannotStartContainerError: the bgkit local cloud runs only Python from image "
            f"'{image}', not '{argv[0]}'; start the container's entryPoint or command with "
            f'python, as in ["python", "-c", "<source>"]',
        )
    return [sys.executable, *argv[1:]]
