"""Email over SMTP (aiosmtplib)."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib

from services.notify.domain import ChannelName, SendResult, classify_smtp_code
from services.notify.ports import Message
from services.notify.settings import NotifySettings


class EmailChannel:
    name = ChannelName.EMAIL

    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings

    def build(self, message: Message) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.settings.smtp_from
        mail["To"] = message.address
        mail["Subject"] = message.subject or message.template
        mail["Date"] = formatdate(localtime=False)
        # The same Message-ID on every attempt: receivers can drop a copy resent after a crash.
        mail["Message-ID"] = f"<{message.delivery_id}@notify.egov>"
        mail["X-Egov-Delivery"] = message.delivery_id
        mail["X-Egov-Event"] = message.event_id
        mail["X-Egov-Template"] = message.template
        if message.case_id:
            mail["X-Egov-Case"] = message.case_id
        mail.set_content(message.body)
        return mail

    async def send(self, message: Message) -> SendResult:
        s = self.settings
        try:
            await aiosmtplib.send(
                self.build(message),
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_username,
                password=None if s.smtp_password is None else s.smtp_password.get_secret_value(),
                start_tls=s.smtp_start_tls,
                use_tls=False,
                timeout=s.smtp_timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients[0] if exc.recipients else None
            if refused is None:
                return SendResult.permanent("smtp recipient refused")
            return classify_smtp_code(refused.code, refused.message)
        except aiosmtplib.SMTPResponseException as exc:
            return classify_smtp_code(exc.code, exc.message)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            return SendResult.retry(f"smtp unreachable: {type(exc).__name__}: {exc}"[:300])
        return SendResult.sent()
