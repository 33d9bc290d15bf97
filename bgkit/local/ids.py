"""Ids and ARNs, made in one place and in AWS's formats.

Ids are deterministic for a fresh state: the n-th id drawn for a namespace is a hash of the seed,
the namespace and n, and n is a counter kept in the store (rolled back with a refused call). Two
runs of the same notebooks against fresh local clouds therefore see the same ids.
"""

from __future__ import annotations

import hashlib
import uuid

from bgkit.local.store import Store

ACCOUNT = "123456789012"
PARTITION = "aws"

HEX = "0123456789abcdef"
UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


class Ids:
    """A seeded source of ids backed by the store's counters."""

    def __init__(self, store: Store, seed: str = "bgkit") -> None:
        self._store = store
        self.seed = store.get_meta("seed") or seed
        if store.get_meta("seed") is None:
            store.set_meta("seed", self.seed)

    def _digest(self, namespace: str) -> bytes:
        n = self._store.next_counter(f"id:{namespace}")
        return hashlib.sha256(f"{self.seed}/{namespace}/{n}".encode()).digest() * 2

    def draw(self, namespace: str, alphabet: str, length: int) -> str:
        digest = self._digest(namespace)
        return "".join(alphabet[b % len(alphabet)] for b in digest[:length])

    def hex(self, namespace: str, length: int) -> str:
        """``length`` lowercase hex digits: ``vpc-`` and ``sg-`` ids, ELB ids."""
        return self.draw(namespace, HEX, length)

    def upper(self, namespace: str, length: int) -> str:
        """``length`` uppercase letters and digits: IAM unique ids, CodeDeploy deployment ids."""
        return self.draw(namespace, UPPER_ALNUM, length)

    def uuid(self, namespace: str) -> str:
        """A version-4-shaped UUID: CodeDeploy application and group ids, ECS task ids."""
        return str(uuid.UUID(bytes=self._digest(namespace)[:16], version=4))

    def request_id(self) -> str:
        """A request id for a response; not stored, so it never shifts other ids."""
        return str(uuid.uuid4())


def arn(service: str, region: str, resource: str, account: str = ACCOUNT) -> str:
    """``arn:aws:<service>:<region>:<account>:<resource>``; IAM passes ``region=""``."""
    return f"arn:{PARTITION}:{service}:{region}:{account}:{resource}"


def parse_arn(text: str) -> dict[str, str] | None:
    """The parts of an ARN as botocore's ``ArnParser`` reads them — ``partition``, ``service``,
    ``region``, ``account``, ``resource`` — or ``None`` when ``text`` is not an ARN."""
    # botocore.utils brings botocore's HTTP machinery: loaded by the first ARN parsed, not by ids
    from botocore.utils import ArnParser

    if not ArnParser.is_arn(text):
        return None
    return ArnParser().parse_arn(text)
