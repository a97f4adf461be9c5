"""Entry point: `python -m services.monitor` or `egov serve monitor` starts one faust worker."""

from __future__ import annotations

import asyncio

import faust

from services.monitor.bootstrap import build
from services.monitor.faust_app import prepare_changelogs
from services.monitor.jobs import MonitorLoops
from shared.observability.logging import configure_logging


def main() -> None:
    service = build()
    s = service.settings
    configure_logging(s.service_name, s.log_level, s.log_json)
    asyncio.run(prepare_changelogs(s, [service.stream.cases, service.stream.stats]))
    worker = faust.Worker(
        service.stream.app,
        MonitorLoops(service),
        loglevel=s.log_level.lower(),
        quiet=True,
        override_logging=False,
        redirect_stdouts=False,
    )
    worker.execute_from_commandline()


if __name__ == "__main__":
    main()
