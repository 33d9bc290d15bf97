"""bgkit's exception tree: what `bgkit.errors` exports, and the tree its docstring draws."""

from __future__ import annotations

import inspect
import re
import textwrap

import bgkit
from bgkit import errors

#: a line of the drawn tree below the root: ``│   ├── Name (Builtin)    what it means``
BRANCH = re.compile(r"(?P<prefix>(?:[│ ]   )*)[├└]── (?P<name>\w+)(?: \((?P<base>\w+)\))?")
ROOT = re.compile(r"(?P<name>\w+)(?: \((?P<base>\w+)\))?")


def _drawn_tree() -> dict[str, tuple[str | None, str | None]]:
    """Each class the docstring draws: (its parent in the tree, the built-in base shown)."""
    doc = errors.__doc__ or ""
    block = textwrap.dedent(doc.split("::\n\n", 1)[1].split("\n\n", 1)[0]).splitlines()
    root = ROOT.match(block[0])
    assert root is not None, block[0]
    drawn = {root["name"]: (None, root["base"])}
    path = [root["name"]]
    for line in block[1:]:
        branch = BRANCH.match(line)
        if branch is None:  # the rest of a description
            continue
        depth = len(branch["prefix"]) // 4 + 1
        del path[depth:]
        drawn[branch["name"]] = (path[-1], branch["base"])
        path.append(branch["name"])
    return drawn


def _public_names() -> set[str]:
    """The classes and functions defined in bgkit.errors whose names are not private."""
    return {
        name
        for name, value in vars(errors).items()
        if not name.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__ == errors.__name__
    }


def _exceptions() -> dict[str, type[BaseException]]:
    return {
        name: value
        for name in errors.__all__
        if isinstance(value := getattr(errors, name), type) and issubclass(value, BaseException)
    }


def test_all_is_every_public_name_sorted() -> None:
    assert errors.__all__ == sorted(errors.__all__)
    assert set(errors.__all__) == _public_names()


def test_docstring_draws_exactly_the_exceptions_of_all() -> None:
    assert sorted(_drawn_tree()) == sorted(_exceptions())


def test_docstring_draws_each_class_under_its_parent_with_its_builtin_base() -> None:
    exceptions = _exceptions()
    for name, (parent, builtin) in _drawn_tree().items():
        cls = exceptions[name]
        ours = [base.__name__ for base in cls.__bases__ if base.__module__ == errors.__name__]
        builtins = [base.__name__ for base in cls.__bases__ if base.__module__ == "builtins"]
        assert ours == ([parent] if parent else []), name
        assert builtins == ([builtin] if builtin else []), name


def test_the_package_offers_every_exception() -> None:
    for name, cls in _exceptions().items():
        assert name in bgkit.__all__
        assert getattr(bgkit, name) is cls
