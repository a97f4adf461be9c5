"""Typed settings common to every service (environment prefix ``EGOV_``).

Each service subclasses :class:`ServiceSettings` with its own fields; no module reads
``os.environ`` directly.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.audit.keys import DEV_AUDIT_KEY, MIN_AUDIT_KEY_CHARS, refused_in_production
from shared.calendar.timing import WarningPolicy
from shared.contracts.envelope import DEV_EVENT_ID_KEY

MIN_EVENT_ID_KEY_CHARS = 32
DEFAULT_MONGO_URI = "mongodb://127.0.0.1:27017/?directConnection=true"


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EGOV_", env_file=None, extra="ignore")

    service_name: str = "egov"
    environment: str = Field("dev", description="dev, test or prod; shown in logs and metrics")
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    metrics_port: int | None = Field(
        None,
        description="serve /metrics on this port only, not on the public HTTP port (Kubernetes: "
        "9090, scraped by the ServiceMonitor); unset: /metrics on the HTTP port (local run)",
    )

    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_client_id: str | None = None
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: str | None = Field(
        None, description="CA bundle (PEM) that signed the brokers' certificates; default: system"
    )
    kafka_ssl_certfile: str | None = Field(None, description="client certificate (PEM) for mTLS")
    kafka_ssl_keyfile: str | None = Field(None, description="the client certificate's key (PEM)")
    kafka_ssl_check_hostname: bool = Field(
        True, description="verify the broker's name against its certificate"
    )
    kafka_idempotence: bool = Field(
        True, description="idempotent producers; false only for a broker without them (Tansu)"
    )
    kafka_replication_factor: int = Field(1, description="for topics created by `topics ensure`")
    kafka_max_message_bytes: int = Field(
        1_048_576, description="bytes; a larger incoming message is dead-lettered"
    )
    consumer_max_retries: int = Field(3, description="handler attempts before dead-lettering")
    consumer_retry_backoff_s: float = Field(0.2, description="first retry delay, doubled each try")
    consumer_concurrency: int = Field(
        1,
        ge=1,
        description="records handled at once by the event consumer: records of one key stay in "
        "order, other keys run alongside (shared/kafka/batch.py); 1: one at a time, fetch order",
    )

    mongo_uri: str = DEFAULT_MONGO_URI
    mongo_db: str | None = Field(None, description="database name; default egov_<service>")
    mongo_count_commands: bool = Field(
        False,
        description="count MongoDB commands by operation (shared.mongo.commands); tests, benches",
    )
    dedupe_ttl_hours: int = Field(72, description="how long processed event ids are remembered")

    outbox_poll_s: float = Field(
        0.2,
        gt=0,
        description="seconds between outbox relay polls without a change stream, at first",
    )
    outbox_idle_poll_s: float = Field(
        5.0,
        gt=0,
        description="seconds between an idle outbox relay's safety polls (the change stream and "
        "this process's writes wake it); without a change stream the polls back off up to this",
    )
    outbox_change_stream: bool = Field(
        True, description="wake the outbox relay by a change stream on the outbox (replica set)"
    )
    outbox_batch: int = 200

    # Accelerated simulation clock: every process with the same three values agrees on time.
    clock_speed: float = Field(1.0, description="simulated seconds per real second; 1 = real time")
    clock_real_epoch: datetime | None = Field(
        None, description="real instant at which the simulation starts (ISO 8601, with offset)"
    )
    clock_sim_origin: datetime | None = Field(
        None, description="simulated instant at real_epoch; default = real_epoch"
    )

    calendar_dir: str | None = Field(
        None,
        description="folder of official holiday schedules, one <year>.json each; default packaged",
    )
    calendar_provisional_years: int = Field(
        1,
        ge=0,
        le=5,
        description="years after the last official schedule computed provisionally from the "
        "statutory holidays; a year beyond is refused",
    )
    # Lights (shared/calendar/timing.py): the warning margin is the larger of the two.
    warning_margin_working_days: float = Field(
        1.0, ge=0, description="yellow with this many working days left (or fewer)"
    )
    warning_margin_fraction: float = Field(
        0.2, ge=0, le=1, description="yellow with this share of the limit left (or less)"
    )
    calendar_sweep_s: float = Field(
        60.0, gt=0, description="seconds between checks for deadlines left on an old calendar"
    )
    calendar_catch_up_s: float = Field(
        30.0, gt=0, description="at start, seconds to read the published schedules (egov.calendar)"
    )

    # Officer / applicant authentication (bearer JWT).
    jwt_algorithm: str = Field("HS256", description="HS256 (dev, shared key) or RS256 (JWKS)")
    jwt_secret: SecretStr = Field(
        SecretStr("dev-only-hs256-secret-change-me-in-production"),
        description="HS256 key (development only; production verifies RS256); a Secret in k8s",
    )
    jwt_jwks_url: str | None = Field(None, description="identity provider JWKS URL for RS256")
    jwt_issuer: str = "egov-dev"
    jwt_audience: str = "egov"
    jwt_max_lifetime_s: int | None = Field(
        None,
        gt=0,
        description="longest validity (exp - iat) accepted for a person's token; required in "
        "prod (at most a day); unset accepts any (development)",
    )

    # Service-to-service calls (shared/service_tokens.py): each service signs with its own key.
    service_key_file: str | None = Field(
        None,
        description="this service's private key (PEM, RSA or EC) for the tokens it sends to other "
        "services; `{service}` in the path is replaced by the service name; unset in "
        "development signs with the HS256 key instead; required in prod",
    )
    service_jwks_file: str | None = Field(
        None,
        description="JWKS (JSON) of every service's public key, key id egov-<service>: whose "
        "tokens this service accepts; required in prod",
    )
    service_token_ttl_s: int = Field(
        300, gt=0, le=3600, description="validity of the tokens a service sends"
    )

    event_id_key: SecretStr = Field(
        SecretStr(DEV_EVENT_ID_KEY),
        description="key of the ids of derived events (HMAC-SHA-256), the same in every process "
        f"of a deployment, at least {MIN_EVENT_ID_KEY_CHARS} characters; a Secret in k8s; the "
        "published default is refused in prod",
    )
    audit_key: SecretStr = Field(
        SecretStr(DEV_AUDIT_KEY),
        description="key of the audit chains and their checkpoints (HMAC-SHA-256), the same in "
        f"every process of a deployment, at least {MIN_AUDIT_KEY_CHARS} characters; several "
        "separated by spaces: the first signs, the others still verify (rotation); a Secret in "
        "k8s; the published default is refused in prod",
    )

    log_level: str = "INFO"
    log_json: bool = True

    @model_validator(mode="after")
    def _production_keys(self) -> ServiceSettings:
        if self.environment == "prod":
            problems = self.production_problems()
            if problems:
                raise ValueError(
                    "refusing to run in prod: " + "; ".join(problems) + " (docs/security.md)"
                )
        return self

    def production_problems(self) -> list[str]:
        """What stops these settings from running in production, one sentence per setting
        (services add their own by extending this)."""
        problems = []
        key = self.event_id_key.get_secret_value()
        if key == DEV_EVENT_ID_KEY or len(key) < MIN_EVENT_ID_KEY_CHARS:
            problems.append(
                "EGOV_EVENT_ID_KEY must be a key of its own of at least "
                f"{MIN_EVENT_ID_KEY_CHARS} characters (the default is published, so event ids "
                "derived with it can be guessed)"
            )
        if not self.jwt_algorithm.upper().startswith(("RS", "ES", "PS")):
            problems.append(
                f"EGOV_JWT_ALGORITHM={self.jwt_algorithm} is a shared-key algorithm; production "
                "verifies the identity provider's signatures (RS256)"
            )
        if not self.jwt_jwks_url:
            problems.append("EGOV_JWT_JWKS_URL (the identity provider's keys) is not set")
        if self.jwt_max_lifetime_s is None or self.jwt_max_lifetime_s > 86_400:
            problems.append("EGOV_JWT_MAX_LIFETIME_S must be set, at most 86400 (a day)")
        if self.mongo_uri == DEFAULT_MONGO_URI:
            problems.append("EGOV_MONGO_URI is the development default (a database on localhost)")
        if not self.service_key_file:
            problems.append("EGOV_SERVICE_KEY_FILE (this service's signing key) is not set")
        if not self.service_jwks_file:
            problems.append("EGOV_SERVICE_JWKS_FILE (the services' public keys) is not set")
        if (why := refused_in_production(self.audit_key.get_secret_value())) is not None:
            problems.append(
                f"EGOV_AUDIT_KEY must be keys of its own of at least {MIN_AUDIT_KEY_CHARS} "
                f"characters, not {why} (whoever knows the key can rewrite the audit chains)"
            )
        return problems

    @property
    def database_name(self) -> str:
        return self.mongo_db or f"egov_{self.service_name}"

    def warning_policy(self) -> WarningPolicy:
        """The light rule's margins, the same for every view of a stage's clock."""
        return WarningPolicy(
            margin_working_days=self.warning_margin_working_days,
            margin_fraction=self.warning_margin_fraction,
        )
