"""Entry point: `python -m services.notify` or `egov serve notify`."""

from __future__ import annotations

from services.notify.bootstrap import build
from shared.runtime import serve


def main() -> None:
    service = build()
    serve(service.app, service.settings)


if __name__ == "__main__":
    main()
