"""What an uploaded object really is: streamed once, hashed, counted, and its kind told from its
bytes by puremagic (the magic numbers of PDF, JPEG and PNG) plus a look into the ZIP
directory for OFD, whose package is a ZIP with OFD.xml at its root (GB/T 33190-2016)."""

from __future__ import annotations

import hashlib
import struct
from collections.abc import AsyncIterator

import puremagic

from services.intake.domain.catalog import FileType
from services.intake.domain.uploads import Observed

HEAD_BYTES = 8 * 1024
TAIL_BYTES = 256 * 1024  # holds the ZIP directory of any OFD with a few thousand parts
_BY_MEDIA_TYPE = {
    "application/pdf": FileType.PDF,
    "image/jpeg": FileType.JPEG,
    "image/png": FileType.PNG,
}
_END_OF_DIRECTORY = b"PK\x05\x06"
_DIRECTORY_ENTRY = b"PK\x01\x02"


async def measure(chunks: AsyncIterator[bytes], *, limit: int) -> Observed:
    """Hash and count the stream; stop reading once it passes ``limit`` bytes (the size then
    reported is only known to be over it)."""
    digest = hashlib.sha256()
    size = 0
    head = b""
    tail = b""
    async for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
        if len(head) < HEAD_BYTES:
            head += chunk[: HEAD_BYTES - len(head)]
        tail = (tail + chunk)[-TAIL_BYTES:]
        if size > limit:
            break
    return Observed(sha256=digest.hexdigest(), size=size, file_type=file_type(head, tail))


def file_type(head: bytes, tail: bytes) -> FileType | None:
    """The kind of file whose first bytes are ``head`` and last bytes ``tail``, or None."""
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        return None
    media_types = {m.mime_type for m in matches if m.offset == 0}
    for media_type, kind in _BY_MEDIA_TYPE.items():
        if media_type in media_types:
            return kind
    if "application/zip" in media_types and "OFD.xml" in zip_names(tail):
        return FileType.OFD
    return None


def zip_names(tail: bytes) -> list[str]:
    """Names in the central directory of the ZIP archive that ends with ``tail`` (empty when
    the directory does not lie within it)."""
    end = tail.rfind(_END_OF_DIRECTORY)
    if end < 0 or len(tail) < end + 22:
        return []
    count, directory_size = struct.unpack_from("<HI", tail, end + 10)
    position = end - directory_size
    names: list[str] = []
    while 0 <= position and position + 46 <= len(tail) and len(names) < count:
        if tail[position : position + 4] != _DIRECTORY_ENTRY:
            break
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", tail, position + 28)
        names.append(tail[position + 46 : position + 46 + name_len].decode("utf-8", "replace"))
        position += 46 + name_len + extra_len + comment_len
    return names
