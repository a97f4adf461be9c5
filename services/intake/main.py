"""Entry point: `python -m services.intake` or `egov serve intake`."""

from __future__ import annotations

from services.intake.bootstrap import build
from shared.runtime import serve


def main() -> None:
    service = build()
    serve(service.app, service.settings)


if __name__ == "__main__":
    main()
