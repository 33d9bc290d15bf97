"""The lifecycle machine both deployment engines use, on a table of its own."""

from __future__ import annotations

from typing import Any

import pytest

from bgkit.local.lifecycle import NEXT, Lifecycle, LifecycleRun, MachineState, Transition


class Clock:
    def __init__(self) -> None:
        self.time = 100.0

    def now(self) -> float:
        return self.time


class Broken(Exception):
    pass


class TinyRun(LifecycleRun[MachineState]):
    """A record stepped by the tiny table; ``visits`` says which steps ran, in order."""

    def __init__(self, phase: str, **record: Any) -> None:
        super().__init__(Clock(), {"_engine": {"phase": phase, "due": 0.0}, **record})
        self.visits: list[str] = []


def _visit(name: str, outcome: str | None = NEXT, *, wait: float | None = None):
    def step(run: TinyRun) -> str | None:
        run.visits.append(name)
        if wait is not None:
            return run.wait_until(wait)
        return outcome

    return step


def _ready(run: TinyRun) -> str | None:
    run.visits.append("ready")
    if run.record.get("approved"):
        return NEXT
    return run.wait_until(run.now() + 60)


def _fails(run: TinyRun) -> str | None:
    run.visits.append("fails")
    raise Broken("no luck")


TABLE = {
    "start": Transition(_visit("start"), "ready"),
    "ready": Transition(_ready, "shift"),
    "shift": Transition(_visit("shift", "done"), "never"),
    "fragile": Transition(_fails, "done"),
    "undo": Transition(_visit("undo"), "undone"),
    "loop": Transition(_visit("loop", "loop"), "done"),
}


def machine(
    saved: list[str], moves: list[str] | None = None, after_failure: str | None = "undo", **options
) -> Lifecycle:
    def on_failure(run: TinyRun, failure: Broken) -> str | None:
        run.record["failure"] = str(failure)
        return after_failure

    def on_move(run: TinyRun, phase: str) -> None:
        if moves is not None:
            moves.append(phase)

    return Lifecycle(
        TABLE,
        terminal=("done", "undone"),
        fails_with=Broken,
        on_failure=on_failure,
        save=lambda run: saved.append(run.engine["phase"]),
        on_move=on_move,
        **options,
    )


def test_next_goes_on_until_a_step_waits_and_due_says_when():
    saved: list[str] = []
    run = TinyRun("start")
    machine(saved).run(run)
    assert run.visits == ["start", "ready"]
    assert run.engine == {"phase": "ready", "due": 160.0}
    assert saved == ["ready"]


def test_a_waiting_step_is_taken_again_on_the_next_run():
    saved: list[str] = []
    run = TinyRun("ready")
    machine(saved).run(run)
    run.record["approved"] = True
    machine(saved).run(run)
    assert run.visits == ["ready", "ready", "shift"]
    assert saved == ["ready", "done"]


def test_a_branch_goes_to_the_phase_the_step_names_not_the_next():
    moves: list[str] = []
    run = TinyRun("shift")
    machine([], moves).run(run)
    assert run.engine["phase"] == "done"
    assert moves == ["done"]


def test_each_move_is_reported_with_the_phase_entered():
    moves: list[str] = []
    run = TinyRun("start", approved=True)
    machine([], moves).run(run)
    assert moves == ["ready", "shift", "done"]


def test_a_failure_goes_where_its_hook_says():
    run = TinyRun("fragile")
    machine([]).run(run)
    assert run.visits == ["fails", "undo"]
    assert run.record["failure"] == "no luck"
    assert run.engine["phase"] == "undone"


def test_a_failure_whose_hook_returns_none_stops_stepping():
    saved: list[str] = []
    run = TinyRun("fragile")
    machine(saved, after_failure=None).run(run)
    assert run.visits == ["fails"]
    assert run.engine["phase"] == "fragile"
    assert saved == ["fragile"]


def test_a_terminal_phase_takes_no_step():
    saved: list[str] = []
    run = TinyRun("done")
    machine(saved).run(run)
    assert run.visits == []
    assert saved == ["done"]


@pytest.mark.parametrize("steps_per_phase", [1, 4])
def test_steps_are_bounded_by_a_multiple_of_the_table(steps_per_phase):
    run = TinyRun("loop")
    machine([], steps_per_phase=steps_per_phase).run(run)
    assert len(run.visits) == steps_per_phase * len(TABLE)
    assert run.engine == {"phase": "loop", "due": 0.0}  # looked at again on the next pass


def test_only_changed_stores_a_record_the_steps_changed():
    saved: list[str] = []
    run = TinyRun("ready")
    machine(saved, only_changed=True).run(run)
    assert saved == ["ready"]  # due was set
    machine(saved, only_changed=True).run(run)
    assert saved == ["ready"]  # the same wait: nothing to store
    machine(saved, only_changed=True).run(TinyRun("done"))
    assert saved == ["ready"]
