"""What a service needs of an object store; S3 in production and the local stack
(shared/objectstore/s3.py), a dictionary in unit tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Protocol


class ObjectStoreUnavailable(Exception):
    """The store did not answer usably (connection refused, timeout, 5xx, denied)."""


class ObjectMissing(Exception):
    """No object under that key."""


class ObjectStore(Protocol):
    async def presign_put(
        self, key: str, *, size: int, content_type: str, expires: timedelta
    ) -> str:
        """A URL that lets its holder PUT exactly ``size`` bytes under ``key`` until it expires."""
        ...

    async def presign_get(self, key: str, *, expires: timedelta, filename: str) -> str:
        """A URL that lets its holder read ``key`` until it expires, saved as ``filename``."""
        ...

    def read(self, key: str, *, chunk_size: int = 65_536) -> AsyncIterator[bytes]:
        """The object's bytes in chunks; raises ObjectMissing, ObjectStoreUnavailable."""
        ...

    async def put(self, key: str, data: bytes, *, content_type: str) -> None:
        """Write an object the platform makes itself (issued documents, the archive manifest);
        raises ObjectStoreUnavailable."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the object; a missing one is not an error."""
        ...
