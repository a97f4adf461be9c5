"""Pre-signed URLs are computed locally (no socket): they name the endpoint browsers reach,
the bucket by path, the expiry, and for a PUT the signed size and type."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from shared.objectstore import ObjectStoreSettings, material_key
from shared.objectstore.s3 import S3ObjectStore

KEY = material_key("up-" + "k" * 32)


async def test_a_put_url_is_signed_for_the_public_endpoint_size_and_type() -> None:
    store = S3ObjectStore(
        ObjectStoreSettings(
            object_store_url="http://10.0.0.9:9000",  # never called: signing is local
            object_store_public_url="https://oss.example.gov.cn",
        )
    )
    try:
        url = await store.presign_put(
            KEY, size=1234, content_type="application/pdf", expires=timedelta(seconds=900)
        )
    finally:
        await store.aclose()
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "oss.example.gov.cn",
        f"/egov-materials/{KEY}",
    )
    assert query["X-Amz-Expires"] == ["900"]
    assert query["X-Amz-SignedHeaders"] == ["content-length;content-type;host"]


async def test_a_get_url_names_the_file_it_saves_as() -> None:
    store = S3ObjectStore(ObjectStoreSettings(object_store_url="http://127.0.0.1:4568"))
    try:
        url = await store.presign_get(KEY, expires=timedelta(seconds=300), filename="C1-a.pdf")
    finally:
        await store.aclose()
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(f"http://127.0.0.1:4568/egov-materials/{KEY}?")
    assert query["response-content-disposition"] == ['attachment; filename="C1-a.pdf"']
    assert query["X-Amz-Expires"] == ["300"]
