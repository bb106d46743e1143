"""User text as IncomeTrack keeps it: one rule for forms, imports and the command line.

Word and Outlook paste line breaks as control characters (U+000B, U+000C, U+2028) that an XLSX
file cannot hold, and PostgreSQL refuses NUL. Text coming in has its line breaks normalised to
``\\n`` and every other control character removed, so what is stored can be written anywhere.
"""

from __future__ import annotations

import re

#: Line and paragraph separators of every kind become one newline.
_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
#: Control characters (but tab and newline), DEL, the C1 block and the two non-characters XML
#: cannot hold; lone surrogates too (no encoding can write them).
_UNWANTED = re.compile("[\x00-\x08\x0e-\x1b\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
#: What an XML 1.0 document (an XLSX part) cannot hold at all.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def clean_text(value: str | None) -> str:
    """``value`` with line breaks as ``\\n`` and no other control characters."""
    if not value:
        return ""
    if value.isprintable():  # the common case: one pass in C, nothing to change
        return value
    return _UNWANTED.sub("", _LINE_BREAKS.sub("\n", value))


def xml_safe(value: str) -> str:
    """``value`` with anything XML cannot hold replaced by U+FFFD, for text stored before
    :func:`clean_text` existed (old entries, submitted snapshots)."""
    return _NOT_XML.sub("\ufffd", value) if not value.isprintable() else value
