"""MongoDB helpers: the process-wide client, transactions and the transactional outbox."""

from shared.mongo.client import Document, create_client, database, in_transaction, ping
from shared.mongo.outbox import Outbox
from shared.mongo.relay import OutboxRelay

__all__ = [
    "Document",
    "Outbox",
    "OutboxRelay",
    "create_client",
    "database",
    "in_transaction",
    "ping",
]
