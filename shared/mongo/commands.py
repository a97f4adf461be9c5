"""Counting the MongoDB commands an operation issues (pymongo command monitoring).

Off unless ``mongo_count_commands`` is set (or a test registers :data:`COMMANDS` itself): the
client factory then registers the process's one :class:`CommandCounter`. A command counts for
the operation named by :func:`counting` around it, else for the asyncio task that sent it (the
outbox relay's polling shows up as ``outbox-relay:<service>``, never inside an operation).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from pymongo import monitoring

operation: ContextVar[str | None] = ContextVar("mongo_operation", default=None)


def _current_label() -> str:
    named = operation.get()
    if named is not None:
        return named
    try:
        task = asyncio.current_task()
    except RuntimeError:
        task = None
    return task.get_name() if task is not None else "-"


class CommandCounter(monitoring.CommandListener):
    """Commands by (operation, command name); handshakes and heartbeats are not commands here."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self.targets: Counter[tuple[str, str, str]] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        label, name = _current_label(), event.command_name
        self.counts[(label, name)] += 1
        # The collection a command names comes as its first value (commitTransaction: 1).
        target = event.command.get(name)
        self.targets[(label, name, target if isinstance(target, str) else "")] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def of(self, name: str) -> dict[str, int]:
        """The commands counted for one operation, by command name."""
        return {cmd: n for (op, cmd), n in sorted(self.counts.items()) if op == name}

    def operations(self) -> list[str]:
        """The labels seen, in the order first seen."""
        return list(dict.fromkeys(op for op, _ in self.counts))

    def detail(self, name: str) -> list[tuple[str, str, int]]:
        """One operation's commands by (command name, collection)."""
        return sorted((cmd, coll, n) for (op, cmd, coll), n in self.targets.items() if op == name)

    def reset(self) -> None:
        self.counts.clear()
        self.targets.clear()


COMMANDS = CommandCounter()


@contextmanager
def counting(name: str) -> Iterator[None]:
    """Commands sent inside (and in tasks started inside) count for ``name``."""
    token = operation.set(name)
    try:
        yield
    finally:
        operation.reset(token)
