"""An object's digests as S3 computes them: the ETag (MD5), ``Content-MD5`` and the
``x-amz-checksum-*`` algorithms (CRC32, CRC32C, CRC64NVME, SHA-1, SHA-256).

:class:`Digests` is fed the body chunk by chunk while it is written to disk, so nothing is read
twice; it always computes the MD5 (the ETag of a single-part object, and ``Content-MD5``) and the
SHA-256 that names the object's file (:mod:`.storage`), and the one checksum algorithm the
request asks for. CRC32 is ``zlib``'s; CRC32C and CRC64NVME (the reflected polynomials
``0x82F63B78`` and ``0x9A6C9329AC4BC9B5``, as botocore's optional ``awscrt`` computes them) are
table-driven here, so no native package is needed. Every checksum travels as the base64 of its
big-endian bytes, as S3 writes it.

Sources: S3's user guide, *Checking object integrity* (the algorithms, base64 of the digest,
``FULL_OBJECT`` for CRCs of a single-part upload); botocore's ``httpchecksum.py`` (the header
names, ``CRC32`` by default).
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from typing import Any

from bgkit.errors import ServiceError

__all__ = ["ALGORITHMS", "Digests", "check_digests", "crc32c", "crc64nvme", "header_of"]

#: the checksum algorithms S3 accepts, by the name ``x-amz-sdk-checksum-algorithm`` carries
ALGORITHMS = ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256")


def _table(polynomial: int, width: int) -> list[int]:
    table = []
    for byte in range(256):
        value = byte
        for _ in range(8):
            value = (value >> 1) ^ polynomial if value & 1 else value >> 1
        table.append(value & ((1 << width) - 1))
    return table


_CRC32C = _table(0x82F63B78, 32)
_CRC64NVME = _table(0x9A6C9329AC4BC9B5, 64)


def _reflected(table: list[int], mask: int, data: bytes, crc: int) -> int:
    crc ^= mask
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ mask


def crc32c(data: bytes, crc: int = 0) -> int:
    """CRC-32C (Castagnoli) of ``data``, continued from ``crc``."""
    return _reflected(_CRC32C, 0xFFFFFFFF, data, crc)


def crc64nvme(data: bytes, crc: int = 0) -> int:
    """CRC-64/NVME of ``data``, continued from ``crc``."""
    return _reflected(_CRC64NVME, 0xFFFFFFFFFFFFFFFF, data, crc)


def header_of(algorithm: str) -> str:
    """The header that carries ``algorithm``'s checksum: ``x-amz-checksum-crc32`` …"""
    return f"x-amz-checksum-{algorithm.lower()}"


class _Crc:
    def __init__(self, update: Any, size: int) -> None:
        self._update = update
        self._size = size
        self._value = 0

    def update(self, data: bytes) -> None:
        self._value = self._update(data, self._value)

    def digest(self) -> bytes:
        return self._value.to_bytes(self._size, "big")


def _algorithm(name: str) -> Any:
    if name == "CRC32":
        return _Crc(zlib.crc32, 4)
    if name == "CRC32C":
        return _Crc(crc32c, 4)
    if name == "CRC64NVME":
        return _Crc(crc64nvme, 8)
    return hashlib.new(name.lower())


class Digests:
    """The MD5, SHA-256 and a checksum of a body fed in chunks.

    Args:
        algorithm: the checksum algorithm asked for (one of :data:`ALGORITHMS`), or ``None``.
    """

    def __init__(self, algorithm: str | None = None) -> None:
        self.algorithm = algorithm
        self.size = 0
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._sha256 = hashlib.sha256()
        self._checksum = _algorithm(algorithm) if algorithm else None

    def update(self, data: bytes) -> None:
        self.size += len(data)
        self._md5.update(data)
        self._sha256.update(data)
        if self._checksum is not None:
            self._checksum.update(data)

    @property
    def etag(self) -> str:
        """The ETag of a single-part object: the MD5 in hex, in double quotes."""
        return f'"{self._md5.hexdigest()}"'

    @property
    def content_md5(self) -> str:
        """The MD5 as ``Content-MD5`` carries it (base64)."""
        return base64.b64encode(self._md5.digest()).decode("ascii")

    @property
    def sha256(self) -> str:
        """The SHA-256 in hex: the name of the object's file."""
        return self._sha256.hexdigest()

    @property
    def checksum(self) -> str | None:
        """The asked algorithm's checksum (base64), or ``None``."""
        if self._checksum is None:
            return None
        return base64.b64encode(self._checksum.digest()).decode("ascii")


def check_digests(digests: Digests, content_md5: str | None, checksum: str | None) -> None:
    """Refuse a body whose ``Content-MD5`` or checksum (of ``digests.algorithm``) differs from
    what was received, in S3's words."""
    if content_md5 is not None:
        try:
            valid = len(base64.b64decode(content_md5, validate=True)) == 16
        except ValueError:
            valid = False
        if not valid:
            raise ServiceError("InvalidDigest", "The Content-MD5 you specified was invalid.")
        if content_md5 != digests.content_md5:
            raise ServiceError(
                "BadDigest", "The Content-MD5 you specified did not match what we received."
            )
    if checksum is not None and digests.algorithm is not None:
        header = header_of(digests.algorithm)
        try:
            base64.b64decode(checksum, validate=True)
        except ValueError:
            raise ServiceError("InvalidRequest", f"Value for {header} header is invalid.") from None
        if checksum != digests.checksum:
            raise ServiceError(
                "BadDigest",
                f"The {digests.algorithm} you specified did not match the calculated checksum.",
            )
