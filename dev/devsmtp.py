"""A local SMTP server for development: every message it receives is stored in a maildir.

    python -m dev.devsmtp --host 127.0.0.1 --port 8025 --maildir .dev/local/mail

Read the mails with any maildir reader (``mutt -f .dev/local/mail``) or as plain files under
``.dev/local/mail/new/``. With ``--sms-port N`` the same process also plays the SMS gateway:
signed requests (docs/notify.md) are stored in the maildir as mails to ``<phone>@sms.local``.
Never use it in production: it accepts anything from anyone.
"""

from __future__ import annotations

import argparse
import json
import logging
import mailbox
import signal
import threading
import time
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from services.notify.signing import DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

log = logging.getLogger("notify.devsmtp")
_UTF8 = default_policy.clone(utf8=True)


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
        self.store(readable(parsed))
        log.info("stored a mail for %d recipient(s)", len(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def store(self, raw: bytes) -> None:
        with self._lock:
            self.box.add(mailbox.MaildirMessage(raw))


def readable(mail: EmailMessage) -> bytes:
    """The mail with UTF-8 headers and an 8-bit body, so the maildir file reads as plain text."""
    if not mail.is_multipart() and mail.get_content_type() == "text/plain":
        mail.set_content(mail.get_content(), cte="8bit")
    for name in ("Subject", "From", "To"):
        if name in mail:
            value = str(mail[name])
            del mail[name]
            mail[name] = value
    return mail.as_bytes(policy=_UTF8)


def sms_gateway(host: str, port: int, key: str, handler: MaildirHandler) -> ThreadingHTTPServer:
    """A development SMS gateway: checks the signature, stores the text as a mail."""

    class Gateway(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            signed = verify(
                key,
                self.headers.get(TIMESTAMP_HEADER, ""),
                body,
                self.headers.get(SIGNATURE_HEADER, ""),
                now=time.time(),
            )
            try:
                doc = json.loads(body)
                phone, text = str(doc["phone"]), str(doc["text"])
            except (ValueError, KeyError, TypeError):
                return self._answer(400, "BAD_REQUEST")
            if not signed:
                return self._answer(401, "SIGNATURE_INVALID")
            mail = EmailMessage()
            mail["From"] = "sms-gateway@sms.local"
            mail["To"] = f"{phone}@sms.local"
            mail["Subject"] = f"SMS to {phone}"
            mail["X-Egov-Delivery"] = self.headers.get(DELIVERY_HEADER, "")
            mail.set_content(text)
            handler.store(readable(mail))
            log.info("stored an SMS")
            self._answer(200, "OK")

        def _answer(self, status: int, code: str) -> None:
            payload = json.dumps({"code": code}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return None

    server = ThreadingHTTPServer((host, port), Gateway)
    threading.Thread(target=server.serve_forever, name="dev-sms-gateway", daemon=True).start()
    return server


def start(host: str, port: int, maildir: str | Path) -> Controller:
    controller = Controller(MaildirHandler(maildir), hostname=host, port=port)
    controller.start()
    return controller


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--maildir", default=".dev/local/mail")
    # Off by default: `make run` starts its own SMS stand-in (dev.devsms) on 8026.
    parser.add_argument("--sms-port", type=int, default=0, help="dev SMS gateway port; 0 = off")
    parser.add_argument("--sms-key", default="dev-only-sms-hmac-key", help="its HMAC key")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    controller = start(args.host, args.port, args.maildir)
    log.info("dev SMTP on %s:%d, storing mail in %s", args.host, args.port, args.maildir)
    gateway = None
    if args.sms_port:
        gateway = sms_gateway(args.host, args.sms_port, args.sms_key, controller.handler)
        log.info("dev SMS gateway on http://%s:%d/sms", args.host, args.sms_port)
    try:
        stop.wait()
    finally:
        if gateway is not None:
            gateway.shutdown()
        controller.stop()


if __name__ == "__main__":
    main()
