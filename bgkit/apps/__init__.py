"""The two demo apps the walkthrough deploys, as files and as source text.

- ``fizzbuzz`` — the new revision: FizzBuzz as a web page, one value a request, and a health path.
- ``nginx_standin`` — what the local cloud runs for the public Nginx image, the old revision.

Both are standard library only and self-contained: each runs as a script
(``python bgkit/apps/fizzbuzz.py``) and as ``python -c "<source>"``, which is how the FizzBuzz
task definition runs it in the public Python image on AWS (:func:`app_source` gives that
source; :mod:`bgkit.apps.templates` puts it in the task definition).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["APPS", "app_path", "app_source"]

APPS: tuple[str, ...] = ("fizzbuzz", "nginx_standin")
"""The names of the apps, which are also their module names."""

_HERE = Path(__file__).resolve().parent


def app_path(name: str) -> Path:
    """The file of an app, to run as a script.

    Args:
        name: ``fizzbuzz`` or ``nginx_standin`` (``nginx-standin`` works too).

    Returns:
        The absolute path of the app's module.

    Raises:
        ValueError: ``name`` is not one of :data:`APPS`.
    """
    module = name.replace("-", "_")
    if module not in APPS:
        raise ValueError(f"there is no app {name!r}; the apps are {', '.join(APPS)}")
    return _HERE / f"{module}.py"


def app_source(name: str) -> str:
    """The source text of an app, complete enough to run as ``python -c <source>``.

    Args:
        name: ``fizzbuzz`` or ``nginx_standin``.

    Returns:
        The module's source, as UTF-8 text.

    Raises:
        ValueError: ``name`` is not one of :data:`APPS`.
    """
    return app_path(name).read_text(encoding="utf-8")
