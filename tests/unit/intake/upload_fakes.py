"""In-memory upload store (the Mongo one is services/intake/uploads_store.py)."""

from __future__ import annotations

from datetime import datetime

from services.intake.domain.uploads import Upload, UploadStatus


class FakeUploads:
    def __init__(self) -> None:
        self.uploads: dict[str, Upload] = {}

    async def insert(self, upload: Upload) -> None:
        self.uploads[upload.upload_id] = upload

    async def get(self, upload_id: str) -> Upload | None:
        return self.uploads.get(upload_id)

    async def settle(self, upload: Upload) -> bool:
        current = self.uploads.get(upload.upload_id)
        if current is None or current.status is not UploadStatus.PENDING:
            return False
        self.uploads[upload.upload_id] = upload
        return True

    async def claim(self, upload_id: str, *, owner_id: str, case_id: str, now: datetime) -> bool:
        u = self.uploads.get(upload_id)
        if (
            u is None
            or u.owner_id != owner_id
            or u.status is not UploadStatus.VERIFIED
            or u.case_id is not None
            or u.expires_at is None
            or u.expires_at <= now
        ):
            return False
        self.uploads[upload_id] = u.model_copy(update={"case_id": case_id, "expires_at": None})
        return True

    async def release(self, upload_id: str, *, case_id: str, expires_at: datetime) -> None:
        u = self.uploads.get(upload_id)
        if u is not None and u.case_id == case_id:
            update = {"case_id": None, "expires_at": expires_at}
            self.uploads[upload_id] = u.model_copy(update=update)

    async def expired(self, now: datetime, *, limit: int) -> list[Upload]:
        return [
            u
            for u in self.uploads.values()
            if u.case_id is None and u.expires_at is not None and u.expires_at <= now
        ][:limit]

    async def forget(self, upload_id: str) -> None:
        self.uploads.pop(upload_id, None)
