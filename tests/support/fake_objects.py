"""An in-memory object store for unit tests (the S3 adapter is tested against s3rver)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import quote

from shared.objectstore import ObjectMissing, ObjectStoreUnavailable


class FakeObjectStore:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.down = False
        self.types: dict[str, str] = {}
        self.signed: list[tuple[str, str, int]] = []  # (method, key, seconds)

    def _check(self) -> None:
        if self.down:
            raise ObjectStoreUnavailable("object store: ConnectTimeout")

    async def presign_put(
        self, key: str, *, size: int, content_type: str, expires: timedelta
    ) -> str:
        self._check()
        self.signed.append(("PUT", key, int(expires.total_seconds())))
        return f"http://objects.test/egov-materials/{key}?size={size}&type={quote(content_type)}"

    async def presign_get(self, key: str, *, expires: timedelta, filename: str) -> str:
        self._check()
        self.signed.append(("GET", key, int(expires.total_seconds())))
        return f"http://objects.test/egov-materials/{key}?download={quote(filename)}"

    async def read(self, key: str, *, chunk_size: int = 65_536) -> AsyncIterator[bytes]:
        self._check()
        if key not in self.objects:
            raise ObjectMissing(key)
        data = self.objects[key]
        for start in range(0, len(data), chunk_size):
            yield data[start : start + chunk_size]

    async def put(self, key: str, data: bytes, *, content_type: str) -> None:
        self._check()
        self.objects[key] = bytes(data)
        self.types[key] = content_type

    async def delete(self, key: str) -> None:
        self._check()
        self.objects.pop(key, None)
