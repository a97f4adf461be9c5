"""The object store through the S3 API, with aiobotocore: production points it at any
S3-compatible store by settings, the local stack and the integration tests at s3rver."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
from aiobotocore.session import get_session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from shared.objectstore.ports import ObjectMissing, ObjectStoreUnavailable
from shared.objectstore.settings import ObjectStoreSettings

_MISSING = {"404", "NoSuchKey", "NotFound"}


def _unavailable(error: Exception) -> ObjectStoreUnavailable:
    return ObjectStoreUnavailable(f"object store: {type(error).__name__}: {error}")


class S3ObjectStore:
    """One client per process (opened on first use, closed by :meth:`aclose`); pre-signed URLs
    are signed for the endpoint browsers reach (``object_store_public_url``)."""

    def __init__(self, settings: ObjectStoreSettings) -> None:
        self.settings = settings
        self.bucket = settings.object_store_bucket
        self._stack = contextlib.AsyncExitStack()
        self._client: Any = None
        self._signer: Any = None
        self._opening = asyncio.Lock()  # one client per endpoint, however many ask at once

    def _client_for(self, endpoint: str | None) -> Any:
        s = self.settings
        config = Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            connect_timeout=s.object_store_timeout_s,
            read_timeout=s.object_store_timeout_s,
            retries={"max_attempts": 2, "mode": "standard"},
        )
        return get_session().create_client(
            "s3",
            endpoint_url=endpoint,
            region_name=s.object_store_region,
            aws_access_key_id=s.object_store_access_key.get_secret_value(),
            aws_secret_access_key=s.object_store_secret_key.get_secret_value(),
            config=config,
        )

    async def _s3(self) -> Any:
        async with self._opening:
            if self._client is None:
                self._client = await self._stack.enter_async_context(
                    self._client_for(self.settings.object_store_url)
                )
        return self._client

    async def _presigner(self) -> Any:
        public = self.settings.object_store_public_url
        if not public or public == self.settings.object_store_url:
            return await self._s3()
        async with self._opening:
            if self._signer is None:
                self._signer = await self._stack.enter_async_context(self._client_for(public))
        return self._signer

    async def aclose(self) -> None:
        await self._stack.aclose()
        self._client = self._signer = None

    async def presign_put(
        self, key: str, *, size: int, content_type: str, expires: timedelta
    ) -> str:
        # ContentLength is signed: a store that checks signatures refuses any other size (and
        # intake measures the object afterwards whatever the store let through).
        params = {
            "Bucket": self.bucket,
            "Key": key,
            "ContentLength": size,
            "ContentType": content_type,
        }
        signer = await self._presigner()
        url: str = await signer.generate_presigned_url(
            "put_object", Params=params, ExpiresIn=int(expires.total_seconds())
        )
        return url

    async def presign_get(self, key: str, *, expires: timedelta, filename: str) -> str:
        params = {
            "Bucket": self.bucket,
            "Key": key,
            "ResponseContentDisposition": f'attachment; filename="{filename}"',
        }
        signer = await self._presigner()
        url: str = await signer.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=int(expires.total_seconds())
        )
        return url

    async def read(self, key: str, *, chunk_size: int = 65_536) -> AsyncIterator[bytes]:
        try:
            s3 = await self._s3()
            answer = await s3.get_object(Bucket=self.bucket, Key=key)
            async with answer["Body"] as body:
                while chunk := await body.read(chunk_size):
                    yield chunk
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in _MISSING:
                raise ObjectMissing(key) from error
            raise _unavailable(error) from error
        except (BotoCoreError, aiohttp.ClientError, OSError, TimeoutError) as error:
            raise _unavailable(error) from error

    async def put(self, key: str, data: bytes, *, content_type: str) -> None:
        """Write an object the platform makes itself (issued documents, the archive)."""
        try:
            s3 = await self._s3()
            await s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)
        except (ClientError, BotoCoreError, aiohttp.ClientError, OSError, TimeoutError) as error:
            raise _unavailable(error) from error

    async def delete(self, key: str) -> None:
        try:
            s3 = await self._s3()
            await s3.delete_object(Bucket=self.bucket, Key=key)
        except (ClientError, BotoCoreError, aiohttp.ClientError, OSError, TimeoutError) as error:
            raise _unavailable(error) from error
