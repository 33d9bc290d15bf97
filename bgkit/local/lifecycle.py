"""The one lifecycle machine of the local cloud's deployment engines: a transition table, stepped.

CodeDeploy's ECS blue/green engine (:mod:`bgkit.local.services.codedeploy.engine`) and ECS's
built-in blue/green engine (:mod:`bgkit.local.services.ecs.bluegreen.engine`) keep a deployment's
whole state in its record, under ``_engine``: a :class:`MachineState` (the phase it is in, and
``due``, the local time at which to look at it again) that each engine extends with its own typed
keys. Nothing is kept in memory between two runs, so a restarted local cloud resumes every
deployment where it was.

Each engine draws its lifecycle as a table, phase → :class:`Transition` (the phase's step, and
the phase that follows it). A step is given the record wrapped in the engine's
:class:`LifecycleRun` and returns

- :data:`NEXT`: go on, at once, to the phase the table names next;
- another phase's name: a branch, taken at once;
- ``None``: wait, having set ``due`` with :meth:`LifecycleRun.wait_until` (0: on the next pass).

:meth:`Lifecycle.run` takes steps until one waits or the deployment reaches a terminal phase, at
most ``steps_per_phase`` × the table's size (a table whose branches cycle without waiting, such
as a linear shift with no bake time, goes on at the next pass), then stores the record. What
differs between the engines is a named part of the :class:`Lifecycle`: the exception a failing
step raises (``fails_with``) and what it leads to (``on_failure``), what follows each move
(``on_move``), how the record is stored (``save``) and whether only when the steps changed it
(``only_changed``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypedDict, TypeVar

from bgkit.local.provider import RequestContext

__all__ = ["NEXT", "Lifecycle", "LifecycleRun", "MachineState", "Step", "Transition"]

#: what a step returns to go on to the phase its transition names next
NEXT = "<next>"


class MachineState(TypedDict):
    """The keys of a record's ``_engine`` that the machine itself reads and writes."""

    phase: str  # the phase the deployment is in: a key of the table, or a terminal phase
    due: float  # local time at which to step it again (0: on the next pass)


S = TypeVar("S", bound=MachineState)


class LifecycleRun(Generic[S]):
    """One deployment record while a :class:`Lifecycle` steps it; each engine subclasses it with
    what its steps need."""

    def __init__(self, ctx: RequestContext, record: dict[str, Any]) -> None:
        self.ctx = ctx
        self.record = record

    @property
    def engine(self) -> S:
        """The engine's state, kept in the record under ``_engine``."""
        return self.record["_engine"]

    def now(self) -> float:
        """The local clock's time."""
        return self.ctx.now()

    def wait_until(self, due: float) -> None:
        """Wait: look at the deployment again at local time ``due`` (0: on the next pass)."""
        self.engine["due"] = due
        return None


R = TypeVar("R", bound=LifecycleRun[Any])
E = TypeVar("E", bound=Exception)
Step = Callable[[R], "str | None"]


@dataclass(frozen=True)
class Transition(Generic[R]):
    """A phase's step and the phase that follows it."""

    step: Step[R]
    next: str


def _nothing(current: Any, phase: str) -> None:
    return None


def _fingerprint(record: dict[str, Any]) -> str:
    return json.dumps(record, sort_keys=True)


@dataclass(frozen=True)
class Lifecycle(Generic[R, E]):
    """A transition table and how an engine steps it.

    Attributes:
        transitions: phase → :class:`Transition`, every phase that has a step.
        terminal: the phases a deployment ends in (no step, nothing more to do).
        fails_with: the exception a step raises when it fails.
        on_failure: what a failure leads to: the phase to go to (then the run goes on from it),
            or ``None`` to stop stepping (the hook has ended the deployment).
        save: stores the record (and what goes with it) once the steps are taken.
        on_move: called after each move with the phase just entered.
        only_changed: store the record only when the steps changed it (else after every run).
        steps_per_phase: the bound on one run's steps, × the number of phases.
    """

    transitions: Mapping[str, Transition[R]]
    terminal: Collection[str]
    fails_with: type[E]
    on_failure: Callable[[R, E], str | None]
    save: Callable[[R], None]
    on_move: Callable[[R, str], None] = _nothing
    only_changed: bool = False
    steps_per_phase: int = 4

    def run(self, current: R) -> None:
        """Take ``current``'s steps until one waits or it ends (or the bound is reached), then
        store it."""
        state = current.engine
        before = _fingerprint(current.record) if self.only_changed else None
        for _ in range(self.steps_per_phase * len(self.transitions)):
            phase = state["phase"]
            if phase in self.terminal:
                break
            transition = self.transitions[phase]
            state["due"] = 0.0
            try:
                outcome = transition.step(current)
            except self.fails_with as failure:
                outcome = self.on_failure(current, failure)
            if outcome is None:
                break
            state["phase"] = transition.next if outcome == NEXT else outcome
            self.on_move(current, state["phase"])
        if before is None or _fingerprint(current.record) != before:
            self.save(current)
