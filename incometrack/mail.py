"""Outgoing email: SMTP from the MAIL_* settings, or the log where no MAIL_SERVER is set (so
``make run`` shows what would be sent)."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

log = logging.getLogger("incometrack.mail")


class MailError(Exception):
    """A message that was not accepted: the server is down, or it refused the recipient."""


def message(*, to: str, subject: str, text: str, html: str) -> EmailMessage:
    """A message with a plain-text part and an HTML alternative."""
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_FROM"]
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


def send(msg: EmailMessage) -> None:
    """Hand ``msg`` to the mail server (one connection a message, so one failure stays one).

    :raises MailError: when it was not accepted; nothing may then be recorded as sent.
    """
    config = current_app.config
    if not config["MAIL_SERVER"]:
        log.info(
            "Email (no MAIL_SERVER set, so not sent) to %s: %s\n%s",
            msg["To"],
            msg["Subject"],
            msg.get_body(("plain",)).get_content(),
        )
        return
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as server:
            if config["MAIL_USE_TLS"]:
                server.starttls()
            if config["MAIL_USERNAME"]:
                server.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            server.send_message(msg)
    except (smtplib.SMTPException, OSError) as error:
        raise MailError(f"{type(error).__name__}: {error}") from error
