"""The development mail sink `make run` starts: mails and SMS end up in a maildir to read."""

from __future__ import annotations

import asyncio
import mailbox
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from services.notify.channels import EmailChannel, SmsChannel
from services.notify.domain import ChannelName, RecipientKind
from services.notify.ports import Message
from services.notify.settings import NotifySettings
from tests.integration.notify.notify_receivers import free_port, until

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]


def message(channel: ChannelName, address: str) -> Message:
    return Message(
        delivery_id=f"d-{channel.value}",
        channel=channel,
        address=address,
        recipient_key="k",
        recipient_kind=RecipientKind.APPLICANT,
        template="case_received",
        subject="办件已登记",
        body="您申请的食品经营许可已登记。",
        event_id="e1",
        event_type="t",
        case_id="C1",
    )


def start_devsmtp(smtp_port: int, sms_port: int, maildir: Path) -> subprocess.Popen[bytes]:
    argv = [
        sys.executable,
        "-m",
        "dev.devsmtp",
        "--port",
        str(smtp_port),
        "--sms-port",
        str(sms_port),
        "--maildir",
        str(maildir),
    ]
    return subprocess.Popen(argv, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def test_devsmtp_keeps_mails_and_sms_in_a_maildir(tmp_path: Path) -> None:
    smtp_port, sms_port = free_port(), free_port()
    maildir = tmp_path / "mail"
    proc = start_devsmtp(smtp_port, sms_port, maildir)
    try:
        settings = NotifySettings(
            smtp_port=smtp_port, sms_gateway_url=f"http://127.0.0.1:{sms_port}/sms"
        )

        async def listening() -> bool:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", sms_port)
            except OSError:
                return False
            writer.close()
            return True

        await until(listening, timeout=30, what="devsmtp to listen")
        email = await EmailChannel(settings).send(message(ChannelName.EMAIL, "a@example.cn"))
        async with httpx.AsyncClient() as client:
            sms = await SmsChannel(settings, client).send(message(ChannelName.SMS, "13912345678"))
            forged = await SmsChannel(
                settings.model_copy(update={"sms_hmac_key": SecretStr("wrong")}), client
            ).send(message(ChannelName.SMS, "13912345678"))
        assert email.ok and sms.ok
        assert not forged.ok and not forged.retryable  # SIGNATURE_INVALID gives up
        box = mailbox.Maildir(str(maildir))
        stored = {str(m["To"]): m for m in box}
        assert set(stored) == {"a@example.cn", "13912345678@sms.local"}
        assert str(stored["a@example.cn"]["Message-ID"]) == "<d-email@notify.egov>"
        # Readable as plain files: UTF-8 headers and body, no base64.
        files = {p.read_text(encoding="utf-8") for p in (maildir / "new").iterdir()}
        assert any("Subject: 办件已登记" in f and "您申请的食品经营许可已登记" in f for f in files)
        assert any("To: 13912345678@sms.local" in f and "您申请的" in f for f in files)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
