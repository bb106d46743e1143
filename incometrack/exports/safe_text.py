"""Making user text harmless where it is read by a spreadsheet or by reportlab's markup parser.

The one place that knows the dangerous forms: every spreadsheet, CSV and PDF renderer goes through
these functions for every piece of user text.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from incometrack.text import xml_safe

#: A cell starting with one of these is read as a formula (or a DDE trigger) by Excel, LibreOffice
#: or Google Sheets, when typed, pasted, re-edited or opened from CSV. The full-width forms are
#: normalised to ASCII by some spreadsheet locales, so they are treated the same.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_SUSPECT_FIRST = frozenset(FORMULA_TRIGGERS) | {" "}


def spreadsheet_text(value: object) -> str:
    """Text for a spreadsheet or CSV cell: a leading apostrophe defuses a formula trigger, which
    Excel and LibreOffice show as plain text (OWASP's CSV injection advice); characters a
    workbook cannot hold (text stored before inputs were cleaned) become U+FFFD."""
    text = "" if value is None else str(value)
    if text.isprintable():  # the common case: two checks in C, no call
        if text[:1] not in _SUSPECT_FIRST:
            return text
    else:
        text = xml_safe(text)
    if text.startswith(FORMULA_TRIGGERS) or text.lstrip(" ").startswith(FORMULA_TRIGGERS[:4]):
        return "'" + text
    return text


def pdf_text(value: object) -> str:
    """Text for a reportlab Paragraph: &, < and > escaped so that tags such as <font>, <img> or
    <unichar> in user text are shown, never interpreted; line breaks kept as <br/>."""
    text = "" if value is None else str(value)
    return escape(text).replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br/>")
