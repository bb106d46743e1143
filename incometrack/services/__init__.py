"""Write-side rules. Every function takes a Session, flushes and never commits: the request or
CLI command that called it owns the transaction."""

#: The version a form carries when it was drawn for a record that did not exist yet. Saving it
#: when someone else has created the record since is refused as stale (a real version is 1 or
#: more). Every change names the version it was drawn from: none at all is refused.
NO_RECORD = 0


class _AsRead:
    def __repr__(self) -> str:
        return "AS_READ"


#: What code that is no form passes as the expected version (an import, the demo, a command, a
#: test): it read the record in its own transaction, so there is no older version to compare
#: with. No request can send it: a form's version is a number or missing, and missing is refused.
AS_READ = _AsRead()


class ServiceError(ValueError):
    """A rule refused the change; ``field`` names the form field the message belongs beside."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationErrors(ServiceError):
    """Several fields refused at once; ``errors`` maps a field name to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(next(iter(errors.values())), field=next(iter(errors)))
        self.errors = errors


class NotAllowed(ServiceError):
    """The user's role or relation to the record does not permit the change (HTTP 403)."""


class MissingVersion(ServiceError):
    """A change that did not say which version of the record it was drawn from (HTTP 400): a
    form from an old page, or a hand-made request. Nothing is saved."""


class StaleEdit(ServiceError):
    """The record changed since the form was drawn (HTTP 409); ``current`` holds today's values."""

    def __init__(self, message: str, current: dict | None = None, submitted: dict | None = None) -> None:
        super().__init__(message)
        self.current = current or {}
        self.submitted = submitted or {}


def within(text: str | None, limit: int, *, field: str, label: str) -> str:
    """``text`` stripped, when it fits its column; never cut short without a word.

    :raises ValidationErrors: naming ``field`` when it is longer than ``limit`` characters.
    """
    text = (text or "").strip()
    if len(text) > limit:
        raise ValidationErrors({field: f"{label} must be {limit} characters or fewer"})
    return text


def check_version(obj, expected: int | None, submitted: dict | None = None) -> None:
    """Refuse a save drawn from another version of ``obj`` (None: there is no record yet, whose
    version is :data:`NO_RECORD`), or one that names no version at all.

    :raises MissingVersion: when ``expected`` is None.
    :raises StaleEdit: carrying the record's current values and what the user submitted, so the
        409 page can show what changed.
    """
    if expected is AS_READ:
        return
    if expected is None:
        raise MissingVersion(
            "This change did not say which version of the record it was made from, so it was not saved. "
            "Open the page again and make the change there."
        )
    if (obj.version if obj is not None else NO_RECORD) == expected:
        return
    from incometrack.services.audit import snapshot

    raise StaleEdit(
        "This record was changed by someone else after you opened it. Nothing of yours has been saved.",
        current=snapshot(obj) if obj is not None else {},
        submitted=submitted or {},
    )
