"""Connection options shared by producers, consumers and the admin client: one place that turns
the security settings (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL) into client options."""

from __future__ import annotations

import ssl
from typing import Any

from pydantic import SecretStr

from shared.settings import ServiceSettings


def secret(value: SecretStr | None) -> str | None:
    """The plain value of an optional secret setting, for a client library that wants a str."""
    return None if value is None else value.get_secret_value()


TLS_PROTOCOLS = ("SSL", "SASL_SSL")


def ssl_context(settings: ServiceSettings) -> ssl.SSLContext | None:
    """The TLS context for SSL and SASL_SSL (CA, optional client certificate); None otherwise."""
    if settings.kafka_security_protocol.upper() not in TLS_PROTOCOLS:
        return None
    context = ssl.create_default_context(cafile=settings.kafka_ssl_cafile)
    if settings.kafka_ssl_certfile:
        context.load_cert_chain(settings.kafka_ssl_certfile, settings.kafka_ssl_keyfile)
    context.check_hostname = settings.kafka_ssl_check_hostname
    return context


def connection_kwargs(settings: ServiceSettings) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap,
        "client_id": settings.kafka_client_id or f"egov-{settings.service_name}",
        "security_protocol": settings.kafka_security_protocol.upper(),
    }
    context = ssl_context(settings)
    if context is not None:
        kwargs["ssl_context"] = context
    if settings.kafka_sasl_mechanism:
        kwargs.update(
            sasl_mechanism=settings.kafka_sasl_mechanism,
            sasl_plain_username=settings.kafka_sasl_username,
            sasl_plain_password=secret(settings.kafka_sasl_password),
        )
    return kwargs
