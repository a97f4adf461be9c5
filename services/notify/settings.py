"""Settings of the notify service (environment prefix EGOV_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr

from shared.settings import ServiceSettings

_HERE = Path(__file__).resolve().parent


DEV_SMS_HMAC_KEY = "dev-only-sms-hmac-key"


class NotifySettings(ServiceSettings):
    service_name: str = "notify"
    http_port: int = 8004
    consumer_group: str | None = Field(None, description="Kafka group id; default egov-notify")
    consumer_concurrency: int = Field(
        1,
        ge=1,
        description="consumed events handled at once; one case's events (one key) stay in order "
        "(shared/kafka/batch.py); 16 cuts the receipt latency, but on the dev stack it delays the "
        "other services' events enough to fail the e2e day (docs/benchmarks.md)",
    )

    directory_file: str = Field(
        str(_HERE / "data" / "directory.yaml"), description="versioned officer directory (YAML)"
    )
    templates_dir: str = Field(
        str(_HERE / "templates"), description="Jinja2 templates: <template>/<channel>.<locale>.j2"
    )
    default_locale: str = "zh-CN"
    directory_cache_s: float = Field(
        5.0,
        ge=0,
        description="seconds a replica keeps the officers found for a role query (changes made "
        "through this replica are seen at once, another replica's within this; 0: no cache)",
    )

    # Email over SMTP (make run starts dev/devsmtp.py on 127.0.0.1:8025).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_start_tls: bool = False
    smtp_from: str = "noreply@egov.example.cn"
    smtp_timeout_s: float = Field(15.0, description="seconds for one SMTP transaction")

    # SMS through an HTTP gateway, requests signed with HMAC-SHA256.
    sms_gateway_url: str = "http://127.0.0.1:8026/sms"
    sms_hmac_key: SecretStr = Field(
        SecretStr(DEV_SMS_HMAC_KEY),
        description="shared with the SMS gateway; the published default is refused in prod",
    )
    sms_timeout_s: float = 10.0

    webhook_timeout_s: float = Field(10.0, gt=0, description="seconds for one webhook POST")
    webhook_dns_timeout_s: float = Field(
        5.0, gt=0, description="seconds to resolve a webhook host (registration and each send)"
    )
    webhook_allow_insecure: bool = Field(
        False,
        description="development and tests only: webhooks may go to http:// URLs and loopback "
        "addresses (the local stack); never private, link-local or other ranges; refused with "
        "EGOV_ENVIRONMENT=prod",
    )
    webhook_subscription_cache_s: float = Field(
        5.0,
        ge=0,
        description="seconds a replica keeps the webhook subscriptions per event type (changes "
        "made through this replica are seen at once, another replica's within this; 0: no cache)",
    )
    webhook_max_secrets: int = Field(
        3, ge=1, le=10, description="active signing secrets per subscription (rotation)"
    )

    # Delivery rules.
    delivery_max_attempts: int = Field(5, ge=1, description="attempts before a delivery fails")
    retry_base_s: float = Field(2.0, gt=0, description="first retry delay, doubled each attempt")
    retry_max_s: float = Field(600.0, gt=0, description="upper bound of one retry delay")
    delivery_lease_s: float = Field(
        60.0, gt=0, description="how long a sender owns a delivery; must exceed a send's timeout"
    )
    worker_poll_s: float = Field(1.0, gt=0, description="seconds between scans for due deliveries")
    worker_batch: int = 100
    send_concurrency: int = Field(16, ge=1, description="deliveries sent at once per process")

    quiet_hours_start: str = Field("22:00", pattern=r"^\d{2}:\d{2}$")
    quiet_hours_end: str = Field("08:00", pattern=r"^\d{2}:\d{2}$")
    quiet_hours_tz: str = "Asia/Shanghai"
    urgent_templates: list[str] = Field(
        default_factory=list,
        description="templates that skip quiet hours even to applicants (e.g. credit_changed)",
    )
    rate_limit_count: int = Field(
        30, ge=1, description="push messages (SMS, email) one recipient may get per window"
    )
    rate_limit_window_s: float = Field(3600.0, gt=0)

    # Roles that may read applicants' personal data in inbox listings; others see it masked.
    personal_data_roles: list[str] = Field(
        default_factory=lambda: ["handler", "reviewer", "approver"]
    )
    parked_ttl_days: int = Field(30, description="events waiting for a case's contact data")

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if self.webhook_allow_insecure:
            problems.append(
                "EGOV_WEBHOOK_ALLOW_INSECURE: http:// and loopback webhook destinations are for "
                "the local stack and tests only; production sends https to public addresses"
            )
        if self.sms_hmac_key.get_secret_value() == DEV_SMS_HMAC_KEY:
            problems.append("EGOV_SMS_HMAC_KEY is the published development key")
        return problems
