"""Ids and ARNs, made in one place and in AWS's formats.

Ids are deterministic for a fresh state: the n-th id drawn for a namespace is a hash of the seed,
the namespace and n, and n is a counter kept in the store (rolled back with a refused call). Two
runs of the same notebooks against fresh local clouds therefore see the same ids.

An ARN's partition (``aws``, ``aws-cn``, ``aws-us-gov`` …) and a host name's DNS suffix
(``amazonaws.com``, ``amazonaws.com.cn`` …) are the region's, read from botocore's partition data
(``partitions.json``) the way botocore's endpoint rules read it (``aws.partition``): the partition
listing the region, else the first whose ``regionRegex`` matches it, else ``aws``.
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from typing import Any

from bgkit.local.store import Store

ACCOUNT = "123456789012"

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


@functools.lru_cache(maxsize=64)
def _partition_outputs(region: str) -> dict[str, Any]:
    # botocore's endpoint rule library: the same partition botocore resolves a client's region to
    from botocore.endpoint_provider import RuleSetStandardLibrary
    from botocore.loaders import create_loader

    library = RuleSetStandardLibrary(create_loader().load_data("partitions"))
    return dict(library.aws_partition(region))


def partition(region: str) -> str:
    """The partition of ``region``: ``aws-cn`` for ``cn-north-1``, ``aws-us-gov`` for
    ``us-gov-west-1``, ``aws-iso`` for ``us-iso-east-1``, ``aws`` for ``us-east-1``."""
    return _partition_outputs(region)["name"]


def dns_suffix(region: str) -> str:
    """The DNS suffix of ``region``'s partition: ``amazonaws.com.cn`` for ``cn-north-1``,
    ``c2s.ic.gov`` for ``us-iso-east-1``, ``amazonaws.com`` for ``us-east-1``."""
    return _partition_outputs(region)["dnsSuffix"]


def arn(
    service: str,
    region: str,
    resource: str,
    account: str = ACCOUNT,
    *,
    partition_of: str | None = None,
) -> str:
    """``arn:<partition>:<service>:<region>:<account>:<resource>``, the partition ``region``'s.

    A global service (IAM, S3) passes ``region=""`` and the region the call was made in as
    ``partition_of``: an IAM role made through ``cn-north-1`` is ``arn:aws-cn:iam::…``.
    """
    return f"arn:{partition(partition_of or region)}:{service}:{region}:{account}:{resource}"


def parse_arn(text: str) -> dict[str, str] | None:
    """The parts of an ARN as botocore's ``ArnParser`` reads them — ``partition``, ``service``,
    ``region``, ``account``, ``resource`` — or ``None`` when ``text`` is not an ARN."""
    # botocore.utils brings botocore's HTTP machinery: loaded by the first ARN parsed, not by ids
    from botocore.utils import ArnParser

    if not ArnParser.is_arn(text):
        return None
    return ArnParser().parse_arn(text)
