"""The one admin flow of the catalog's versioned definitions (service items and bundles): read
from the versioned YAML files and loaded at start-up, listed, created, replaced and closed by an
admin, each change validated (422 with the fields) and chained with who made it in the
transaction that writes it (shared/audit/admin.py, one chain per code).

A stored definition of a version equal to or higher than the file's (an admin edit) survives
restarts; a replace names the version it read, so a concurrent change is a 409."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml
from pydantic import ValidationError

from services.intake.domain import Conflict, FieldError, Invalid, ItemStatus, NotFound
from services.intake.handlers.deps import Deps
from services.intake.ports import Definition
from shared.audit.admin import ChainMoved, View
from shared.auth import Principal
from shared.errors import DuplicateKey

log = logging.getLogger(__name__)

# Who changes the catalog at start-up: the versioned files, as this service loads them.
CATALOG_FILES = Principal(subject="intake (catalog files)", roles=frozenset({"system"}))


D = TypeVar("D", bound=Definition)


def view(definition: Definition | None) -> View | None:
    """A definition as its chain records it (its stored form)."""
    return None if definition is None else definition.model_dump(mode="json")


@dataclass(frozen=True)
class Definitions(Generic[D]):
    """One kind of definition: its name, chain, YAML key, model and store operations."""

    kind: str  # "item", "bundle": named in answers
    chain: str
    yaml_key: str  # a catalog file holds ``<yaml_key>: [...]``
    parse: Callable[[Any], D]
    get: Callable[[Deps, str], Awaitable[D | None]]
    insert: Callable[[Deps, D, Any], Awaitable[None]]  # raises DuplicateKey
    replace: Callable[[Deps, D, int, Any], Awaitable[bool]]  # False: not that version
    problems: Callable[[Deps, D], Awaitable[list[FieldError]]]  # what makes it invalid

    async def validate(self, deps: Deps, definition: D) -> None:
        """Refused with one field error per problem (422), never written."""
        errors = await self.problems(deps, definition)
        if errors:
            raise Invalid(f"{self.kind} {definition.code} is not a valid definition", errors)

    def read_dir(self, path: str | Path) -> list[D]:
        """Every definition of every ``*.yaml`` file under ``path``."""
        found: list[D] = []
        for file in sorted(Path(path).glob("*.yaml")):
            data: dict[str, Any] = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
            for i, raw in enumerate(data.get(self.yaml_key) or []):
                try:
                    found.append(self.parse(raw))
                except ValidationError as exc:
                    raise ValueError(f"{file.name} {self.kind} {i}: {exc}") from exc
        return found

    async def load(self, deps: Deps) -> int:
        """Load the versioned files; an invalid or duplicate definition stops the start-up."""
        definitions = self.read_dir(deps.settings.catalog_dir)
        codes: set[str] = set()
        for d in definitions:
            await self.validate(deps, d)
            if d.code in codes:
                raise ValueError(
                    f"duplicate {self.kind} code {d.code} in {deps.settings.catalog_dir}"
                )
            codes.add(d.code)
        written = 0
        for d in definitions:
            current = await self.get(deps, d.code)
            if current is not None and current.version >= d.version:
                continue
            try:
                written += int(await self._changed(deps, CATALOG_FILES, "loaded", current, d))
            except (DuplicateKey, ChainMoved):
                continue  # another replica loaded it first
        log.info("catalog: %d %ss read, %d written", len(definitions), self.kind, written)
        return written

    async def one(self, deps: Deps, code: str) -> D:
        found = await self.get(deps, code)
        if found is None:
            raise NotFound(f"unknown {self.kind} {code!r}")
        return found

    async def create(self, deps: Deps, definition: D, *, actor: Principal) -> D:
        definition = definition.model_copy(update={"version": 1})
        await self.validate(deps, definition)
        try:
            await self._changed(deps, actor, "created", None, definition)
        except (DuplicateKey, ChainMoved) as exc:
            raise Conflict(
                f"a {self.kind} with code {definition.code} already exists",
                [FieldError("code", "duplicate code")],
            ) from exc
        return definition

    async def update(self, deps: Deps, code: str, definition: D, *, actor: Principal) -> D:
        if definition.code != code:
            raise Invalid(
                "the code in the body differs from the path",
                [FieldError("code", f"expected {code}")],
            )
        current = await self.one(deps, code)
        updated = definition.model_copy(update={"version": current.version + 1})
        await self.validate(deps, updated)
        await self._replace(deps, actor, "updated", current, updated)
        return updated

    async def close(self, deps: Deps, code: str, *, actor: Principal) -> D:
        current = await self.one(deps, code)
        if current.status == ItemStatus.CLOSED:
            return current
        closed = current.model_copy(
            update={"status": ItemStatus.CLOSED, "version": current.version + 1}
        )
        await self._replace(deps, actor, "closed", current, closed)
        return closed

    async def _changed(
        self, deps: Deps, actor: Principal, action: str, current: D | None, definition: D
    ) -> bool:
        """Write ``definition`` over ``current`` (None: a new one) and chain the change with
        ``actor``; False when the stored one is no longer ``current``."""

        async def work(session: Any) -> bool:
            if current is None:
                await self.insert(deps, definition, session)
                return True
            return await self.replace(deps, definition, current.version, session)

        return await deps.chaining.record(
            work,
            self.chain,
            definition.code,
            action,
            actor=actor,
            before=view(current),
            after=view(definition),
        )

    async def _replace(
        self, deps: Deps, actor: Principal, action: str, current: D, definition: D
    ) -> None:
        try:
            replaced = await self._changed(deps, actor, action, current, definition)
        except ChainMoved:
            replaced = False
        if not replaced:
            raise Conflict(
                f"{self.kind} {definition.code} changed meanwhile; read it again and retry"
            )
