"""One AsyncMongoClient per process (pymongo's native asyncio driver; motor is end of life)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from shared.mongo.commands import COMMANDS
from shared.settings import ServiceSettings

T = TypeVar("T")

Document = dict[str, Any]


def create_client(settings: ServiceSettings) -> AsyncMongoClient[Document]:
    # The counter is registered only when asked for: no listener, no cost.
    listeners = [COMMANDS] if settings.mongo_count_commands else []
    return AsyncMongoClient(
        settings.mongo_uri,
        tz_aware=True,
        appname=f"egov-{settings.service_name}",
        serverSelectionTimeoutMS=5000,
        event_listeners=listeners,
    )


def database(
    client: AsyncMongoClient[Document], settings: ServiceSettings
) -> AsyncDatabase[Document]:
    return client[settings.database_name]


async def ping(client: AsyncMongoClient[Document]) -> None:
    await client.admin.command("ping")


async def in_transaction(
    client: AsyncMongoClient[Document], work: Callable[[AsyncClientSession], Awaitable[T]]
) -> T:
    """Run ``work(session)`` in a transaction, retried on transient errors by the driver."""
    async with client.start_session() as session:
        return await session.with_transaction(work)
