"""Widgets that keep themselves up to date: shown, they refresh in the background while the
kernel is idle, until what they follow has ended.

:class:`LiveBox` is the base of the approval panel and the pipeline's approval widget: each says
how it follows (:meth:`LiveBox._following`) and how it names itself (``__repr__``, the stable
``text/plain`` part of its display).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import ipywidgets as widgets

__all__ = ["LiveBox"]


class LiveBox(widgets.VBox):
    """A box that starts following what it shows the first time it is displayed."""

    _follower: asyncio.Task[None] | None = None

    async def _following(self) -> None:
        """Refresh until what the widget shows has ended (the subclass's loop)."""
        raise NotImplementedError

    def _follow(self) -> None:
        """Refresh in the background while the kernel is idle (once; without a running loop,
        not at all)."""
        if self._follower is not None:
            return
        with contextlib.suppress(RuntimeError):
            loop = asyncio.get_running_loop()
            self._follower = loop.create_task(self._following())

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict):
            bundle["text/plain"] = repr(self)
            self._follow()
        return bundle
