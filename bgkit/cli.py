"""The ``bgkit`` command (DESIGN.md, *Settings and commands*)."""

from __future__ import annotations

import shlex
import sys
from typing import Any

import click

from bgkit.config import Settings
from bgkit.errors import BgkitError, NotRunningError
from bgkit.local import process as server
from bgkit.local.process import DUMMY_CREDENTIALS


def _settings(**overrides: Any) -> Settings:
    try:
        return Settings.load(**overrides)
    except BgkitError as error:
        raise click.UsageError(str(error)) from None


@click.group()
def main() -> None:
    """bgkit: learn blue/green deployments on Amazon ECS with AWS CodeDeploy."""


@main.group()
def local() -> None:
    """The local cloud: AWS's APIs, ECS tasks and ALB listeners on this machine."""


@local.command()
@click.option("--port", type=int, help="endpoint port on 127.0.0.1 [BGKIT_LOCAL_PORT, 4599]")
@click.option("--state-dir", type=click.Path(), help="state and task logs [BGKIT_STATE_DIR]")
@click.option("--listener-offset", type=int, help="host port = offset + listener port [10000]")
@click.option("--clock", type=float, help="clock speed, 60 = a minute a second [BGKIT_CLOCK, 1]")
@click.option(
    "--no-default-vpc",
    is_flag=True,
    help="regions without a default VPC, as many AWS accounts [BGKIT_LOCAL_DEFAULT_VPC=0]",
)
@click.option("--foreground", is_flag=True, help="serve from this process until Ctrl-C")
def up(
    port: int | None,
    state_dir: str | None,
    listener_offset: int | None,
    clock: float | None,
    no_default_vpc: bool,
    foreground: bool,
) -> None:
    """Start the local cloud and wait until it answers."""
    settings = _settings(
        local_port=port, state_dir=state_dir, listener_offset=listener_offset, clock=clock,
        local_default_vpc=False if no_default_vpc else None,
    )  # fmt: skip
    if foreground:
        from bgkit.local.__main__ import main as serve

        sys.exit(serve(server.server_arguments(settings)))
    try:
        status = server.start_background(settings)
    except BgkitError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"bgkit local cloud: {status['endpoint']} (pid {status['pid']})")
    click.echo(f"state: {status['state_dir']}")
    click.echo('use it from a shell: eval "$(bgkit local env)"')


@local.command()
def status() -> None:
    """Say whether the local cloud runs, where, and what it runs (exit 1 when it does not)."""
    settings = _settings()
    running = server.read_status(settings)
    if running is None:
        click.echo(f"no local cloud runs with state in {settings.state_dir}")
        sys.exit(1)
    click.echo(f"endpoint:        {running['endpoint']}")
    click.echo(f"pid:             {running['pid']}")
    click.echo(f"state dir:       {running['state_dir']}")
    click.echo(
        f"listener offset: {running['listener_offset']} (port 80 → "
        f"{running['listener_offset'] + 80})"
    )
    click.echo(f"clock speed:     {running['clock']:g}")
    click.echo(f"services:        {', '.join(running['services'])}")
    listeners = running.get("listeners", [])
    click.echo(f"listeners:       {len(listeners) or 'none'}")
    for listener in listeners:
        state = "serving" if listener["serving"] else f"not serving: {listener['error']}"
        if listener["serving"] and listener.get("ephemeral"):
            state += (
                "; its host port is in the ephemeral port range, so a restart may find it taken"
                " by a connection: choose a smaller BGKIT_LISTENER_OFFSET"
            )
        click.echo(f"  port {listener['port']:<5} → {listener['url']}  ({state})")
    loop = running.get("loop")
    if loop:
        click.echo(
            f"event loop:      worst stall {loop['worst_stall_ms']:g} ms, "
            f"{loop['stalls_over_threshold']} over {loop['threshold_ms']:g} ms"
        )
    tasks = running.get("tasks", [])
    click.echo(f"task processes:  {len(tasks) or 'none'}")
    for task in tasks:
        task_id = task["task_arn"].rsplit("/", 1)[-1]
        click.echo(
            f"  task {task_id}  pid {task['pid']}  port {task['host_port']}  "
            f"{task['state']}  log {task['log_path']}"
        )
    problem = next((task["log_problem"] for task in tasks if task.get("log_problem")), None)
    if problem:
        click.echo(f"task logs:       {problem}")


@local.command()
def down() -> None:
    """Stop the local cloud and everything it started; the state stays."""
    settings = _settings()
    try:
        pid = server.stop_background(settings)
    except NotRunningError as error:
        click.echo(str(error))
        return
    click.echo(f"stopped the local cloud (pid {pid}); its state stays in {settings.state_dir}")


@local.command()
def reset() -> None:
    """Stop the local cloud and delete its state."""
    settings = _settings()
    result = server.reset_state(settings)
    if result.deleted:
        click.echo(f"deleted the local cloud's state in {settings.state_dir}")
    else:
        click.echo(f"no state to delete in {settings.state_dir}")
    if result.kept:
        names = ", ".join(path.name for path in result.kept)
        click.echo(f"left what the local cloud did not make there: {names}")


@local.command()
def env() -> None:
    """Print export lines so the AWS CLI and SDKs talk to the local cloud."""
    settings = _settings()
    lines = {
        "AWS_ENDPOINT_URL": settings.endpoint_url,
        "AWS_ACCESS_KEY_ID": DUMMY_CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": DUMMY_CREDENTIALS["aws_secret_access_key"],
        "AWS_DEFAULT_REGION": settings.region,
        "AWS_REGION": settings.region,
    }
    click.echo("unset AWS_PROFILE AWS_SESSION_TOKEN")
    for name, value in lines.items():
        click.echo(f"export {name}={shlex.quote(value)}")


@local.command()
@click.argument("task", required=False)
@click.option("--lines", "-n", type=int, default=20, show_default=True, help="last lines of each")
def logs(task: str | None, lines: int) -> None:
    """Show the output of task processes: every task's last lines, or one task's (an id or ARN,
    or its start)."""
    settings = _settings()
    folder = server.task_logs_dir(settings)
    files = (
        sorted(folder.glob("*.log"), key=lambda path: path.stat().st_mtime)
        if folder.is_dir()
        else []
    )
    if task:
        wanted = task.rsplit("/", 1)[-1]
        files = [path for path in files if path.stem.startswith(wanted)]
        if not files:
            raise click.ClickException(f"no task log starts with {wanted!r} in {folder}")
    if not files:
        click.echo(f"no task has run yet with state in {settings.state_dir}")
    for path in files:
        click.echo(f"==> task {path.stem} ({path}) <==")
        for line in path.read_text(errors="replace").splitlines()[-lines:]:
            click.echo(line)
    if files:
        from bgkit.local.dataplane.processes import log_disk_full

        problem = log_disk_full(folder)
        if problem:
            click.echo(f"bgkit: {problem}", err=True)


@main.command()
@click.option("--out", type=click.Path(), default="build/tour", show_default=True,
              help="where the executed notebooks go")  # fmt: skip
@click.option("--timeout", type=int, default=300, show_default=True, help="seconds per cell")
@click.option("--notebooks", "folder", type=click.Path(file_okay=False),
              help="the kit's notebooks/ folder [the checkout's]")  # fmt: skip
@click.option("--last", help="the number of the last notebook to run (04) [all]")
def tour(out: str, timeout: int, folder: str | None, last: str | None) -> None:
    """Run every notebook headless on a fresh local cloud, on autopilot, and report."""
    from pathlib import Path

    from bgkit.tour import NOTEBOOKS, notebooks, run_tour

    where = Path(folder) if folder else NOTEBOOKS
    if not where.is_dir() or not notebooks(where):
        raise click.UsageError(
            f"no notebooks (NN-name.ipynb) in {where}: run the tour from the kit's checkout, or "
            "name its notebooks folder with --notebooks PATH"
        )
    if last is not None and not (len(last) == 2 and last.isdigit()):
        raise click.UsageError(f"--last takes a notebook's two-digit number (04), not {last!r}")
    report = run_tour(where, out=Path(out), timeout=timeout, last=last)
    click.echo(str(report))
    click.echo(f"executed notebooks: {out}/")
    if any(step["outcome"] != "ok" for step in report.steps):
        sys.exit(1)


@main.command()
@click.option("--target", type=click.Choice(["local", "aws"]), help="[BGKIT_TARGET, local]")
@click.option("--prefix", help="whose resources [BGKIT_PREFIX, bgkit]")
@click.option("--all-prefixes", is_flag=True,
              help="every participant's resources (for a facilitator)")  # fmt: skip
@click.option("--yes", is_flag=True, help="do not ask before deleting")
def cleanup(target: str | None, prefix: str | None, all_prefixes: bool, yes: bool) -> None:
    """Delete every resource the kit created for the prefix (found by its tags)."""
    from bgkit.connect import connect
    from bgkit.walkthrough import clean_up, created_resources

    if all_prefixes and prefix:
        raise click.UsageError("give either --prefix or --all-prefixes, not both")
    settings = _settings(target=target, prefix=prefix)
    try:
        kit = connect(target=settings.target, prefix=settings.prefix)
    except BgkitError as error:
        raise click.ClickException(str(error)) from None
    if all_prefixes:
        from bgkit.workshop import sessions_by_prefix

        kits = sessions_by_prefix(kit)
    else:
        kits = {settings.prefix: kit}
    found = {name: created_resources(each) for name, each in kits.items()}
    found = {name: frame for name, frame in found.items() if not frame.empty}
    if not found:
        whose = "any prefix" if all_prefixes else f"prefix {settings.prefix!r}"
        click.echo(f"nothing of {whose} on {settings.target}")
        return
    for name, frame in found.items():
        click.echo(f"prefix {name}:\n{frame.to_string(index=False)}")
    total = sum(len(frame) for frame in found.values())
    if not yes:
        click.confirm(
            f"delete these {total} resources of {len(found)} prefix(es) on {settings.target}?",
            abort=True,
        )
    left_over = False
    for name in found:
        deleted = clean_up(kits[name])
        click.echo(f"prefix {name}: deleted {len(deleted)}")
        left = created_resources(kits[name])
        left_over = left_over or not left.empty
        click.echo(
            f"prefix {name}: nothing is left"
            if left.empty
            else f"prefix {name}: left:\n" + left.to_string(index=False)
        )
    if left_over:
        sys.exit(1)


@main.command()
@click.option("--target", type=click.Choice(["local", "aws"]), help="[BGKIT_TARGET, local]")
def check(target: str | None) -> None:
    """Check this machine (and, on AWS, the account) before the walkthrough; say what to fix.

    On the local target it starts the local cloud to see it answer, and stops it again unless
    it was already running; the report says which.
    """
    from bgkit.preflight import run_checks

    report = run_checks(_settings(target=target))
    click.echo(str(report))
    if not report.ok:
        sys.exit(1)


@main.group()
def workshop() -> None:
    """For a facilitator: the room's participants, one prefix each."""


@workshop.command("status")
@click.option("--target", type=click.Choice(["local", "aws"]), help="[BGKIT_TARGET, local]")
def workshop_status(target: str | None) -> None:
    """One row per participant prefix: how far they got, what runs, what it costs an hour."""
    from bgkit.connect import connect
    from bgkit.workshop import room_status

    settings = _settings(target=target)
    try:
        frame = room_status(connect(target=settings.target, prefix=settings.prefix))
    except BgkitError as error:
        raise click.ClickException(str(error)) from None
    if frame.empty:
        click.echo(f"no participant has resources of the kit on {settings.target} yet")
        return
    click.echo(frame.to_string(index=False))
    if settings.target == "local":
        click.echo(
            "local target: nothing is billed; usd_an_hour is what the same resources would "
            f"cost on AWS in {settings.region}"
        )


@workshop.command("setup")
@click.option("--participants", type=int, help="how many: prefixes p1 … pN")
@click.option("--prefix", "names", multiple=True, help="a participant's prefix (repeatable)")
@click.option("--out", type=click.Path(file_okay=False), default="workshop-keys", show_default=True,
              help="folder for each participant's <prefix>.env (mode 0600)")  # fmt: skip
@click.option("--target", type=click.Choice(["local", "aws"]), help="[BGKIT_TARGET, local]")
def workshop_setup(participants: int | None, names: tuple[str, ...], out: str,
                   target: str | None) -> None:  # fmt: skip
    """Make the room: the permissions boundary, and one IAM user a participant with the
    participant policy of its prefix and an access key written to OUT/<prefix>.env."""
    from pathlib import Path

    from bgkit.connect import connect
    from bgkit.workshop_setup import prefixes, set_up

    settings = _settings(target=target)
    try:
        room = prefixes(participants, names)
        made = set_up(connect(target=settings.target), room, Path(out))
    except BgkitError as error:
        raise click.ClickException(str(error)) from None
    for participant in made:
        click.echo(f"{participant.prefix}: user {participant.user_name}, {participant.env_file}")
    click.echo(f"hand each participant their file; the secrets are not shown again ({out})")


@workshop.command("remove")
@click.option("--prefix", "names", multiple=True, help="a participant's prefix (default: all)")
@click.option("--target", type=click.Choice(["local", "aws"]), help="[BGKIT_TARGET, local]")
def workshop_remove(names: tuple[str, ...], target: str | None) -> None:
    """Remove the participants bgkit workshop setup made (never a user it did not make)."""
    from bgkit.connect import connect
    from bgkit.workshop_setup import remove

    settings = _settings(target=target)
    try:
        removed = remove(connect(target=settings.target), list(names) or None)
    except BgkitError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"removed {', '.join(removed)}" if removed else "no participant to remove")
