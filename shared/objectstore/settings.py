"""Settings of the object store (S3 API) for the services that keep files: intake (uploads)
and approval (officers' downloads). Mixed into those services' settings classes."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# s3rver's built-in account (dev/devstack.py): published, so refused in production.
DEV_ACCESS_KEY = "S3RVER"
DEV_SECRET_KEY = "S3RVER"


class ObjectStoreSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EGOV_", env_file=None, extra="ignore")

    object_store_url: str | None = Field(
        None,
        description="S3 API endpoint (e.g. http://127.0.0.1:4568 for the local s3rver, or a "
        "provider's endpoint); unset: the AWS endpoint of object_store_region",
    )
    object_store_public_url: str | None = Field(
        None,
        description="endpoint as applicants' and officers' browsers reach it, used in pre-signed "
        "URLs; unset: object_store_url",
    )
    object_store_region: str = Field("us-east-1", description="S3 region (signing scope)")
    object_store_bucket: str = Field("egov-materials", description="bucket of docs/archive.md")
    object_store_access_key: SecretStr = Field(
        SecretStr(DEV_ACCESS_KEY), description="access key id; a Secret in k8s"
    )
    object_store_secret_key: SecretStr = Field(
        SecretStr(DEV_SECRET_KEY), description="secret access key; a Secret in k8s"
    )
    object_store_timeout_s: float = Field(
        10.0, gt=0, description="seconds to connect to, or wait for a read from, the store"
    )

    def object_store_problems(self) -> list[str]:
        """What stops these settings in production (called by the services' own checks)."""
        problems = []
        if self.object_store_access_key.get_secret_value() == DEV_ACCESS_KEY:
            problems.append("EGOV_OBJECT_STORE_ACCESS_KEY is the development default (s3rver's)")
        if self.object_store_secret_key.get_secret_value() == DEV_SECRET_KEY:
            problems.append("EGOV_OBJECT_STORE_SECRET_KEY is the development default (s3rver's)")
        return problems
