"""MongoDB adapters of the notify service (pymongo AsyncMongoClient through Infrastructure)."""

from services.notify.store.deliveries import MongoDeliveries
from services.notify.store.directory import MongoDirectory
from services.notify.store.inbox import MongoInbox
from services.notify.store.projections import MongoProjections
from services.notify.store.webhooks import MongoIntegrators, MongoSubscriptions

__all__ = [
    "MongoDeliveries",
    "MongoDirectory",
    "MongoInbox",
    "MongoIntegrators",
    "MongoProjections",
    "MongoSubscriptions",
]
