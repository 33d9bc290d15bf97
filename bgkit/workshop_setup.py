"""Setting up a room in one shared account, and taking it down: ``bgkit workshop setup``/``remove``.

For each participant prefix, :func:`set_up` makes an IAM user ``bgkit-<prefix>`` with the
participant policy of that prefix (:func:`bgkit.permissions.policy_document`, as a customer
managed policy ``bgkit-participant-<prefix>``: it is too long for an inline user policy) and one
access key; the room shares one permissions boundary (:data:`bgkit.permissions.BOUNDARY_NAME`,
:func:`bgkit.permissions.boundary_document`) that every role a participant makes must carry.
Each participant's key and settings go into ``<prefix>.env`` (mode 0600) for the facilitator to
hand out; the secret is never shown again, as IAM shows it once.

Everything made here is tagged ``bgkit:workshop`` (``participant`` or ``boundary``) and
``bgkit:prefix``; :func:`remove` deletes only what carries those tags and refuses a user of the
same name that it did not make.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bgkit.errors import ConfigError
from bgkit.permissions import BOUNDARY_NAME, boundary_document, policy_document
from bgkit.walkthrough.naming import Names
from bgkit.walkthrough.tags import KIT, KIT_VALUE, PREFIX

__all__ = ["WORKSHOP", "Participant", "prefixes", "remove", "set_up", "user_name"]

#: the tag on what ``bgkit workshop setup`` makes: ``participant`` (a user and its policy) or
#: ``boundary``
WORKSHOP = "bgkit:workshop"
_PREFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")


@dataclass(frozen=True)
class Participant:
    """One participant: their prefix, IAM user, access key and the file holding it."""

    prefix: str
    user_name: str
    access_key_id: str
    secret_access_key: str
    env_file: Path | None = None

    def __repr__(self) -> str:  # never print the secret by accident
        return (
            f"Participant(prefix={self.prefix!r}, user_name={self.user_name!r}, "
            f"access_key_id={self.access_key_id!r}, env_file={self.env_file!r})"
        )


def user_name(prefix: str) -> str:
    """The IAM user of the participant ``prefix``."""
    return f"bgkit-{prefix}"


def _policy_name(prefix: str) -> str:
    return f"bgkit-participant-{prefix}"


def prefixes(count: int | None = None, names: Iterable[str] = (), stem: str = "p") -> list[str]:
    """The room's prefixes: ``names`` as given, or ``p1`` … ``p<count>``.

    Raises:
        ConfigError: neither or both given, or a prefix the walkthrough cannot use.
    """
    chosen = list(names)
    if bool(chosen) == (count is not None):
        raise ConfigError("give either a number of participants or their prefixes, not both")
    if count is not None:
        if count < 1:
            raise ConfigError(f"the number of participants must be at least 1, not {count}")
        chosen = [f"{stem}{n}" for n in range(1, count + 1)]
    if len(set(chosen)) != len(chosen):
        raise ConfigError(f"the prefixes must differ: {chosen}")
    for prefix in chosen:
        if not _PREFIX.fullmatch(prefix):
            raise ConfigError(f"the prefix {prefix!r} must be letters, digits and '-'")
        try:
            Names(prefix)
        except ValueError as error:
            raise ConfigError(str(error)) from None
    return chosen


def _tags(kind: str, prefix: str | None = None) -> list[dict[str, str]]:
    tags = [{"Key": KIT, "Value": KIT_VALUE}, {"Key": WORKSHOP, "Value": kind}]
    return tags + ([{"Key": PREFIX, "Value": prefix}] if prefix else [])


def _tag(tags: list[dict[str, str]], key: str) -> str | None:
    return next((t["Value"] for t in tags if t["Key"] == key), None)


def _account(kit: Any) -> str:
    return kit.client("sts").get_caller_identity()["Account"]


def _boundary(iam: Any, account: str) -> str:
    """The room's boundary policy: got (when the kit made it) or created."""
    arn = f"arn:aws:iam::{account}:policy/{BOUNDARY_NAME}"
    try:
        found = iam.get_policy(PolicyArn=arn)["Policy"]
    except iam.exceptions.NoSuchEntityException:
        iam.create_policy(
            PolicyName=BOUNDARY_NAME,
            PolicyDocument=json.dumps(boundary_document(), indent=2),
            Description="bgkit workshop: what a participant's roles may ever do",
            Tags=_tags("boundary"),
        )
        return arn
    if _tag(found.get("Tags", []), WORKSHOP) != "boundary":
        raise ConfigError(
            f"the policy {BOUNDARY_NAME} exists and was not made by bgkit workshop setup; "
            "delete or rename it, or set the room up in another account"
        )
    return arn


def _env_file(folder: Path, kit: Any, participant: Participant, boundary: str) -> Path:
    lines = {
        "BGKIT_TARGET": kit.settings.target,
        "BGKIT_PREFIX": participant.prefix,
        "BGKIT_PERMISSIONS_BOUNDARY": boundary,
        "AWS_ACCESS_KEY_ID": participant.access_key_id,
        "AWS_SECRET_ACCESS_KEY": participant.secret_access_key,
        "AWS_DEFAULT_REGION": kit.settings.region,
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{participant.prefix}.env"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write("".join(f"{k}={v}\n" for k, v in lines.items()))
    path.chmod(0o600)
    return path


def set_up(kit: Any, room: Iterable[str], folder: Path | None = None) -> list[Participant]:
    """Make the boundary and, for each prefix of ``room``, a participant.

    Args:
        kit: a session of :func:`bgkit.connect` as the facilitator (allowed IAM).
        room: the participants' prefixes (:func:`prefixes`).
        folder: where each ``<prefix>.env`` goes (mode 0600); ``None`` writes none (the
            secrets are then only in the returned list).

    Raises:
        ConfigError: a participant's user exists already (remove the room first), or the
            boundary's name is taken by a policy the kit did not make.
    """
    iam = kit.client("iam")
    room = list(room)
    for prefix in room:
        try:
            iam.get_user(UserName=user_name(prefix))
        except iam.exceptions.NoSuchEntityException:
            continue
        raise ConfigError(
            f"the user {user_name(prefix)} exists already; run bgkit workshop remove first"
        )
    account = _account(kit)
    boundary = _boundary(iam, account)
    made = []
    for prefix in room:
        policy = iam.create_policy(
            PolicyName=_policy_name(prefix),
            PolicyDocument=json.dumps(policy_document(prefix, boundary=boundary)),
            Description=f"bgkit workshop: the walkthrough under the prefix {prefix}",
            Tags=_tags("participant", prefix),
        )["Policy"]
        name = user_name(prefix)
        iam.create_user(UserName=name, Tags=_tags("participant", prefix))
        iam.attach_user_policy(UserName=name, PolicyArn=policy["Arn"])
        key = iam.create_access_key(UserName=name)["AccessKey"]
        participant = Participant(prefix, name, key["AccessKeyId"], key["SecretAccessKey"])
        if folder is not None:
            path = _env_file(Path(folder), kit, participant, boundary)
            participant = replace(participant, env_file=path)
        made.append(participant)
    return made


def _participants(iam: Any) -> dict[str, dict[str, Any]]:
    """The kit's participant users by prefix."""
    found = {}
    for page in iam.get_paginator("list_users").paginate():
        for user in page["Users"]:
            tags = iam.list_user_tags(UserName=user["UserName"])["Tags"]
            if _tag(tags, WORKSHOP) == "participant" and _tag(tags, PREFIX):
                found[_tag(tags, PREFIX)] = user
    return found


def remove(kit: Any, room: Iterable[str] | None = None) -> list[str]:
    """Delete the participants of ``room`` (every one the kit made when ``None``) — their
    access keys, policies and users — and the boundary once no participant is left.

    Returns:
        The prefixes removed.

    Raises:
        ConfigError: a prefix's user exists but the kit did not make it (nothing is deleted).
    """
    iam = kit.client("iam")
    ours = _participants(iam)
    chosen = sorted(ours) if room is None else list(room)
    for prefix in chosen:
        if prefix in ours:
            continue
        try:
            iam.get_user(UserName=user_name(prefix))
        except iam.exceptions.NoSuchEntityException:
            continue
        raise ConfigError(
            f"the user {user_name(prefix)} was not made by bgkit workshop setup (it has no "
            f"{WORKSHOP} tag); bgkit removes only what it made, so remove it yourself"
        )
    account = _account(kit)
    removed = []
    for prefix in chosen:
        if prefix not in ours:
            continue
        name = user_name(prefix)
        for key in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
            iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
        for attached in iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]:
            iam.detach_user_policy(UserName=name, PolicyArn=attached["PolicyArn"])
        iam.delete_user(UserName=name)
        policy = f"arn:aws:iam::{account}:policy/{_policy_name(prefix)}"
        with contextlib.suppress(iam.exceptions.NoSuchEntityException):
            iam.delete_policy(PolicyArn=policy)
        removed.append(prefix)
    if not set(ours) - set(removed):
        _remove_boundary(iam, account)
    return removed


def _remove_boundary(iam: Any, account: str) -> None:
    """Delete the boundary when the kit made it and no role uses it any more."""
    arn = f"arn:aws:iam::{account}:policy/{BOUNDARY_NAME}"
    try:
        policy = iam.get_policy(PolicyArn=arn)["Policy"]
    except iam.exceptions.NoSuchEntityException:
        return
    if _tag(policy.get("Tags", []), WORKSHOP) == "boundary" and not (
        policy["PermissionsBoundaryUsageCount"] or policy["AttachmentCount"]
    ):
        iam.delete_policy(PolicyArn=arn)
