"""The MongoDB command counter: registered only when asked for, commands attributed to the
operation around them or else to the task that sent them (the outbox relay's polling)."""

from __future__ import annotations

import asyncio

from pymongo import monitoring

from shared.mongo import create_client
from shared.mongo.commands import COMMANDS, CommandCounter, counting
from shared.settings import ServiceSettings


def sent(counter: CommandCounter, command: dict[str, object]) -> None:
    counter.started(
        monitoring.CommandStartedEvent(
            command=command,
            database_name="egov_test",
            request_id=1,
            connection_id=("127.0.0.1", 27017),
            operation_id=1,
        )
    )


def test_the_counter_is_registered_only_when_the_setting_asks() -> None:
    off = create_client(ServiceSettings())
    on = create_client(ServiceSettings(mongo_count_commands=True))
    assert COMMANDS not in off.options.event_listeners
    assert COMMANDS in on.options.event_listeners


async def test_commands_count_for_the_operation_around_them_else_for_their_task() -> None:
    counter = CommandCounter()

    async def relay() -> None:
        sent(counter, {"find": "outbox"})

    with counting("submission"):
        sent(counter, {"find": "items"})
        sent(counter, {"insert": "cases"})
        sent(counter, {"insert": "outbox"})
        # A task started inside the operation still counts for it (the context is copied) ...
        await asyncio.create_task(relay())
        sent(counter, {"commitTransaction": 1})
    # ... one started outside never does.
    await asyncio.create_task(relay(), name="outbox-relay:intake")

    assert counter.of("submission") == {"commitTransaction": 1, "find": 2, "insert": 2}
    assert counter.of("outbox-relay:intake") == {"find": 1}
    assert ("insert", "outbox", 1) in counter.detail("submission")
    assert counter.operations() == ["submission", "outbox-relay:intake"]
