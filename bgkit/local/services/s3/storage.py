"""Objects' bytes on disk: written whole before a call answers, named by their content.

A body is streamed into a temporary file of ``<state dir>/s3/tmp`` while its digests are computed
(:class:`~.checksums.Digests`); once the request's checks pass, the file is flushed to disk
(``fsync``) and renamed to ``blobs/<sha[:2]>/<sha256>`` (:func:`keep`), and its directory synced,
so a crash at any moment leaves either no file or the whole one — never half an object under its
name. Two versions with the same bytes share one file: ``s3-blob`` records count the versions
holding each (:func:`hold`, :func:`release`), in the call's transaction. A file no version holds
any more is deleted only after that transaction has committed (:func:`sweep`, from the
provider's ``advance``), so a call rolled back never loses bytes it still names. A temporary file
left by a crash is removed when the next body is written.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from bgkit.local.checksums import Digests
from bgkit.local.provider import RequestContext
from bgkit.local.services.s3.models import GARBAGE, blob_path, blobs, state_tree

__all__ = ["Pending", "hold", "receive", "release", "sweep"]

#: bytes read from a streamed body at a time
CHUNK = 1 << 20
#: a temporary file older than this (seconds) was left by a crash
STALE = 3600.0


@dataclass
class Pending:
    """A body written to a temporary file, not yet an object's."""

    path: Path
    digests: Digests

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)

    def keep(self, ctx: RequestContext) -> str:
        """Make it the file of its content (synced), and return its SHA-256."""
        sha = self.digests.sha256
        target = blob_path(ctx, sha)
        if target.exists():
            self.discard()
            return sha
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.path, target)
        _sync_dir(target.parent)
        return sha


def _chunks(body: bytes | bytearray | IO[bytes] | None) -> Iterator[bytes]:
    if body is None:
        return
    if isinstance(body, (bytes, bytearray, memoryview)):
        for start in range(0, len(body), CHUNK):
            yield bytes(body[start : start + CHUNK])
        return
    while chunk := body.read(CHUNK):
        yield chunk


def receive(ctx: RequestContext, body: Any, algorithm: str | None) -> Pending:
    """Write ``body`` (bytes or a binary file) to a synced temporary file, computing its MD5,
    SHA-256 and the ``algorithm`` checksum."""
    tmp = state_tree(ctx) / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    _remove_stale(tmp)
    digests = Digests(algorithm)
    handle, name = tempfile.mkstemp(dir=tmp, prefix="body-")
    try:
        with os.fdopen(handle, "wb") as file:
            for chunk in _chunks(body):
                digests.update(chunk)
                file.write(chunk)
            file.flush()
            os.fsync(file.fileno())
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Pending(Path(name), digests)


def hold(ctx: RequestContext, sha: str, size: int) -> None:
    """One more version holds the file ``sha``."""
    record = blobs(ctx).get(sha) or {"refs": 0, "size": size}
    record["refs"] += 1
    blobs(ctx).put(sha, record)
    ctx.records(GARBAGE, global_=True).delete(sha)


def release(ctx: RequestContext, sha: str) -> None:
    """One version less holds the file ``sha``; the last one lets it go (:func:`sweep`)."""
    record = blobs(ctx).get(sha)
    if record is None:
        return
    record["refs"] -= 1
    if record["refs"] > 0:
        blobs(ctx).put(sha, record)
        return
    blobs(ctx).delete(sha)
    ctx.records(GARBAGE, global_=True).put(sha, {"sha256": sha})


def sweep(ctx: RequestContext) -> None:
    """Delete the files no version holds any more (their release has committed)."""
    garbage = ctx.records(GARBAGE, global_=True)
    for record in garbage.list():
        sha = record["sha256"]
        if blobs(ctx).get(sha) is None:
            blob_path(ctx, sha).unlink(missing_ok=True)
        garbage.delete(sha)


def _remove_stale(tmp: Path) -> None:
    now = time.time()
    for path in tmp.iterdir():
        with contextlib.suppress(OSError):
            if now - path.stat().st_mtime > STALE:
                path.unlink()


def _sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
