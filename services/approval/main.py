"""Entry point: `python -m services.approval` or `egov serve approval`."""

from __future__ import annotations

from services.approval.bootstrap import build
from shared.runtime import serve


def main() -> None:
    service = build()
    serve(service.app, service.settings)


if __name__ == "__main__":
    main()
