"""A local SMTP server for development: every message it receives is stored in a maildir.

    python -m services.notify.devsmtp --host 127.0.0.1 --port 8025 --maildir .dev/local/mail

Read the mails with any maildir reader (``mutt -f .dev/local/mail``) or as plain files under
``.dev/local/mail/new/``. Never use it in production: it accepts mail for anyone, unauthenticated.
"""

from __future__ import annotations

import argparse
import logging
import mailbox
import signal
import threading
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

log = logging.getLogger("notify.devsmtp")


class MaildirHandler:
    """aiosmtpd handler: one maildir message per received mail, with the envelope recipients."""

    def __init__(self, maildir: str | Path) -> None:
        self.path = Path(maildir)
        for sub in ("tmp", "new", "cur"):  # a maildir, even when the folder already existed
            (self.path / sub).mkdir(parents=True, exist_ok=True)
        self.box = mailbox.Maildir(str(self.path), create=True)
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        parsed = message_from_bytes(raw, policy=default_policy)
        if "X-Envelope-To" not in parsed:
            parsed["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self._lock:
            self.box.add(mailbox.MaildirMessage(parsed.as_bytes()))
        log.info("stored a mail for %d recipient(s)", len(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


def start(host: str, port: int, maildir: str | Path) -> Controller:
    controller = Controller(MaildirHandler(maildir), hostname=host, port=port)
    controller.start()
    return controller


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--maildir", default=".dev/local/mail")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    controller = start(args.host, args.port, args.maildir)
    log.info("dev SMTP on %s:%d, storing mail in %s", args.host, args.port, args.maildir)
    try:
        stop.wait()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
