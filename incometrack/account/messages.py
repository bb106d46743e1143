"""A reminder digest as an email: plain text and HTML, each item linked to its page at APP_URL."""

from __future__ import annotations

from email.message import EmailMessage

from flask import current_app, url_for

from incometrack import mail
from incometrack.filters import count_of
from incometrack.models import ReminderFrequency
from incometrack.services.reminders import Digest

FREQUENCY_WORDS = {
    ReminderFrequency.DAILY: "every day there is something due",
    ReminderFrequency.WEEKLY: "on Mondays",
    ReminderFrequency.NONE: "never",
}


def external_urls(*targets: tuple[str, dict]) -> list[str]:
    """Absolute links to pages (``(endpoint, arguments)`` each), at the address people open the app
    at (APP_URL), built in one request context however many there are."""
    with current_app.test_request_context(base_url=current_app.config["APP_URL"]):
        return [url_for(endpoint, _external=True, **args) for endpoint, args in targets]


def external_url(endpoint: str, **args) -> str:
    return external_urls((endpoint, args))[0]


def subject(digest: Digest) -> str:
    overdue = sum(1 for item in digest.items if item.overdue)
    count = count_of(len(digest.items), "thing")
    late = f", {overdue} overdue" if overdue else ""
    return f"{current_app.config['SERVICE_NAME']}: {count} due{late} (IncomeTrack)"


def _render(name: str, context: dict) -> str:
    """A template without the page's context processors (no request, no one signed in); the
    HTML part is autoescaped, the plain-text part is not (it is no markup)."""
    return current_app.jinja_env.get_template(name).render(**context)


def compose(digest: Digest) -> EmailMessage:
    targets = [(item.endpoint, item.url_args) for item in digest.items]
    *links, account_url = external_urls(*targets, ("account.index", {}))
    context = {
        "person": digest.person,
        "items": digest.items,
        "links": links,
        "subject": subject(digest),
        "intro": "These are yours, overdue or due in the next 14 days:",
        "frequency": FREQUENCY_WORDS[digest.person.reminder_frequency],
        "account_url": account_url,
    }
    return mail.message(
        to=digest.person.email,
        subject=context["subject"],
        text=_render("email/reminders.txt", context),
        html=_render("email/reminders.html", context),
    )
