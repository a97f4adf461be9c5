"""Object storage through the S3 API (docs/archive.md)."""

from shared.objectstore.layout import material_key
from shared.objectstore.ports import ObjectMissing, ObjectStore, ObjectStoreUnavailable
from shared.objectstore.settings import ObjectStoreSettings

__all__ = [
    "ObjectMissing",
    "ObjectStore",
    "ObjectStoreSettings",
    "ObjectStoreUnavailable",
    "material_key",
]
