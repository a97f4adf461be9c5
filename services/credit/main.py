"""Entry point: `python -m services.credit` or `egov serve credit`."""

from __future__ import annotations

from services.credit.bootstrap import build
from shared.runtime import serve


def main() -> None:
    service = build()
    serve(service.app, service.settings)


if __name__ == "__main__":
    main()
