"""Operator commands that need only ``shared``: topics, contracts, calendar, dead letters, audit
chains (whose sources the services register).

The full ``egov`` console script (``services/cli.py``) mounts this app and adds per-service
commands. ``python -m shared.cli ...`` works on its own too.
"""

from __future__ import annotations

import asyncio
import difflib
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from shared.audit.cli import audit_app
from shared.calendar.cli import calendar_app
from shared.contracts import TOPICS
from shared.dlq import dlq_app
from shared.settings import ServiceSettings

if TYPE_CHECKING:
    from shared.identity import RealName

app = typer.Typer(
    no_args_is_help=True, help="egov platform operator CLI", pretty_exceptions_enable=False
)
topics_app = typer.Typer(no_args_is_help=True, help="Kafka topics from the contracts registry")
contracts_app = typer.Typer(no_args_is_help=True, help="event contracts: JSON Schema and AsyncAPI")
app.add_typer(topics_app, name="topics")
app.add_typer(contracts_app, name="contracts")
app.add_typer(calendar_app, name="calendar")
app.add_typer(dlq_app, name="dlq")
app.add_typer(audit_app, name="audit")


@topics_app.command("ensure")
def topics_ensure() -> None:
    """Create every registry topic with its partition count (idempotent)."""
    from shared.kafka.admin import ensure_topics

    settings = ServiceSettings(service_name="cli")
    result = asyncio.run(ensure_topics(settings))
    for name in result.created:
        typer.echo(f"created  {name} ({TOPICS[name].partitions} partitions)")
    for name in result.existing:
        typer.echo(f"exists   {name}")
    if result.mismatched:
        for line in result.mismatched:
            typer.echo(f"MISMATCH {line}", err=True)
        raise typer.Exit(1)


@topics_app.command("list")
def topics_list() -> None:
    """Print the registry's topics with partitions, key and retention."""
    for spec in TOPICS.values():
        days = spec.retention_ms // 86_400_000
        typer.echo(
            f"{spec.name:28} {spec.partitions:>2}p key={spec.key:16} {days}d  {spec.description}"
        )


@contracts_app.command("export")
def contracts_export(directory: Path = typer.Argument(Path("docs/contracts"))) -> None:
    """Write one JSON Schema per event type and asyncapi.json into DIRECTORY."""
    from shared.contracts.export import export

    for path in export(directory):
        typer.echo(str(path))


@contracts_app.command("check")
def contracts_check(directory: Path = typer.Argument(Path("docs/contracts"))) -> None:
    """Exit 1 when the committed export differs from what the code generates."""
    from shared.contracts.export import render_all

    drift = 0
    for rel, content in render_all().items():
        path = directory / rel
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != content:
            drift += 1
            diff = difflib.unified_diff(
                current.splitlines(), content.splitlines(), str(path), "generated", lineterm=""
            )
            typer.echo("\n".join(list(diff)[:40]), err=True)
    if drift:
        typer.echo(f"{drift} contract file(s) out of date: run `make contracts`", err=True)
        raise typer.Exit(1)
    typer.echo("contracts up to date")


@contracts_app.command("picture")
def contracts_picture(
    files: list[Path] | None = typer.Argument(
        None,
        help="Markdown files with the marked section (default README.md, docs/architecture.md)",
    ),
    check: bool = typer.Option(False, "--check", help="exit 1 when a file is out of date"),
) -> None:
    """Redraw the marked topic-flow section (Mermaid, from the registry) in each Markdown file."""
    from shared.contracts.flow import with_flow_section, write_flow_sections

    paths = files or [Path("README.md"), Path("docs/architecture.md")]
    if check:
        stale = [
            p
            for p in paths
            if with_flow_section(p.read_text(encoding="utf-8")) != p.read_text(encoding="utf-8")
        ]
        for path in stale:
            typer.echo(f"{path}: the topic flow is out of date: run `make contracts`", err=True)
        if stale:
            raise typer.Exit(1)
        typer.echo("topic flow up to date")
        return
    for path in write_flow_sections(paths):
        typer.echo(str(path))


@app.command("token")
def token(
    subject: str = typer.Option(
        ..., "--sub", help="officer id, applicant id number or system name"
    ),
    roles: str = typer.Option("handler", help="comma-separated roles"),
    name: str = typer.Option("", help="display name"),
    department: str | None = typer.Option(None, help="department code"),
    region: str | None = typer.Option(None, help="six-digit region code"),
    hours: float = typer.Option(12.0, help="validity in hours"),
    id_number: str | None = typer.Option(
        None, help="an applicant's real-name ID number or credit code (adds the real-name claims)"
    ),
    id_kind: str = typer.Option("person", help="person or entity (a company's account)"),
    acr: str = typer.Option("real_person", help="assurance: basic, real_name or real_person"),
    phone: str | None = typer.Option(None, help="a phone the identity provider verified"),
    email: str | None = typer.Option(None, help="an email the identity provider verified"),
) -> None:
    """Mint a development JWT (HS256, EGOV_JWT_SECRET); refused with EGOV_ENVIRONMENT=prod.
    With --id-number: an applicant's real-name token (the identity provider's claims)."""
    from datetime import UTC, datetime, timedelta

    from shared.auth import mint_token

    settings = _development_settings()
    real_name = None if id_number is None else _real_name(id_number, id_kind, name, acr)
    typer.echo(
        mint_token(
            settings,
            subject=subject,
            now=datetime.now(UTC),
            roles=[r.strip() for r in roles.split(",") if r.strip()],
            name=name,
            department=department,
            region=region,
            ttl=timedelta(hours=hours),
            real_name=real_name,
            phone=phone,
            email=email,
        )
    )


def _development_settings() -> ServiceSettings:
    """The settings egov token signs with; production refuses development tokens."""
    from pydantic import ValidationError

    try:
        settings = ServiceSettings(service_name="cli")
    except ValidationError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    if settings.environment == "prod":
        typer.echo(
            "egov token mints development tokens only; in production people's tokens come from "
            "the identity provider and services sign their own (docs/security.md)",
            err=True,
        )
        raise typer.Exit(2)
    return settings


def _real_name(id_number: str, id_kind: str, name: str, acr: str) -> RealName:
    """The identity provider's real-name claims of a development applicant token."""
    from shared.contracts import ApplicantKind
    from shared.identity import RealName
    from shared.roles import Assurance

    try:
        return RealName(
            kind=ApplicantKind(id_kind),
            id_number=id_number.strip().upper(),
            name=name,
            assurance=Assurance[acr.upper()],
        )
    except (KeyError, ValueError) as exc:
        typer.echo(f"--id-kind or --acr: {exc}", err=True)
        raise typer.Exit(2) from exc


@app.command("service-keys")
def service_keys(
    out: Path = typer.Argument(..., help="folder for <service>.pem and jwks.json"),
) -> None:
    """Make a signing key per service (kept if present) and the JWKS of their public keys."""
    from shared.contracts.access import SERVICES
    from shared.service_tokens import generate

    jwks = generate(SERVICES, out)
    typer.echo(f"keys of {', '.join(SERVICES)} in {out}; public keys in {jwks}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
