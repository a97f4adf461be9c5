"""The ``egov`` console script: shared commands plus per-service ones."""

from __future__ import annotations

import importlib

import typer

from shared.cli import app

SERVICES = ("intake", "approval", "monitor", "notify", "credit")


@app.command("serve")
def serve(name: str = typer.Argument(..., help="one of: " + ", ".join(SERVICES))) -> None:
    """Run one service in the foreground (same as `python -m services.NAME`)."""
    if name not in SERVICES:
        typer.echo(f"unknown service {name!r}; choose one of {', '.join(SERVICES)}", err=True)
        raise typer.Exit(2)
    importlib.import_module(f"services.{name}.main").main()


def _mount_service_commands() -> None:
    # Each service may offer a typer app in services/<name>/cli.py exposing `commands`.
    for name in SERVICES:
        try:
            module = importlib.import_module(f"services.{name}.cli")
        except ModuleNotFoundError as exc:
            if exc.name != f"services.{name}.cli":
                raise
            continue
        for sub_name, sub_app in getattr(module, "commands", {}).items():
            app.add_typer(sub_app, name=sub_name)
        for fn in getattr(module, "top_level_commands", []):
            app.command()(fn)


_mount_service_commands()
