"""The package's public face: what `import bgkit` offers."""

from __future__ import annotations

import bgkit


def test_all_names_exist_and_are_sorted():
    assert bgkit.__all__ == sorted(bgkit.__all__)
    for name in bgkit.__all__:
        assert getattr(bgkit, name) is not None, name


def test_errors_subclass_the_nearest_builtin():
    assert issubclass(bgkit.ConfigError, ValueError)
    assert issubclass(bgkit.LocalCloudError, RuntimeError)
    assert issubclass(bgkit.PortInUseError, bgkit.LocalCloudError)
    assert issubclass(bgkit.UnknownOperationError, bgkit.ServiceError)
    for name in bgkit.__all__:
        value = getattr(bgkit, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, bgkit.BgkitError), name
