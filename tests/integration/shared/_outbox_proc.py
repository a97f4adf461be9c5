"""Child process for the outbox crash tests (run with `python -m`).

write  DB CASE   : commit a state change and its event in one transaction, print COMMITTED,
                   then hang without publishing (the test SIGKILLs it here)
relay  DB        : run the relay until the outbox is empty, then exit 0
relay-crash DB   : publish one batch, then kill itself before marking it sent
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime

from shared.contracts import StageOpened, make_envelope
from shared.contracts.examples import EXAMPLES
from shared.kafka import KafkaPublisher
from shared.mongo import Outbox, OutboxRelay, create_client, in_transaction
from shared.settings import ServiceSettings

# What the envelope says; the outbox keeps its own times.
SENT_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def write(settings: ServiceSettings, case_id: str) -> None:
    client = create_client(settings)
    db = client[settings.database_name]
    outbox = Outbox(db)
    await outbox.ensure_indexes()
    data = StageOpened.model_validate(
        {**EXAMPLES[StageOpened.event_type], "case_id": case_id, "stage_id": f"{case_id}:review"}
    )
    env = make_envelope(data, source="/egov/test", time=SENT_AT)

    async def work(session):  # type: ignore[no-untyped-def]
        await db.cases.insert_one({"_id": case_id, "state": "review"}, session=session)
        await outbox.add([env], session=session)

    await in_transaction(client, work)
    print("COMMITTED", env.id, flush=True)
    await asyncio.sleep(3600)


async def relay(settings: ServiceSettings, crash: bool) -> None:
    client = create_client(settings)
    db = client[settings.database_name]
    publisher = KafkaPublisher(settings)
    await publisher.start()
    r = OutboxRelay(db, publisher, service="test", owner=f"proc-{os.getpid()}")
    if crash:
        original = r.outbox.col.update_many

        async def die_before_marking(*args, **kwargs):  # type: ignore[no-untyped-def]
            print("PUBLISHED", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
            return await original(*args, **kwargs)

        r.outbox.col.update_many = die_before_marking  # type: ignore[method-assign]
    while await r.run_once():
        pass
    print("DRAINED", flush=True)
    await publisher.stop()


def main() -> None:
    mode, db_name = sys.argv[1], sys.argv[2]
    settings = ServiceSettings(service_name="outboxtest", mongo_db=db_name)
    if mode == "write":
        asyncio.run(write(settings, sys.argv[3]))
    else:
        asyncio.run(relay(settings, crash=mode == "relay-crash"))


if __name__ == "__main__":
    main()
