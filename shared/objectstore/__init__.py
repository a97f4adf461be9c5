"""Object storage through the S3 API (docs/archive.md)."""

from shared.objectstore.layout import document_key, manifest_key, material_key
from shared.objectstore.ports import ObjectMissing, ObjectStore, ObjectStoreUnavailable
from shared.objectstore.settings import ObjectStoreSettings

__all__ = [
    "ObjectMissing",
    "ObjectStore",
    "ObjectStoreSettings",
    "ObjectStoreUnavailable",
    "document_key",
    "manifest_key",
    "material_key",
]
