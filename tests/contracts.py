"""Names that users and their scripts rely on, written out here by hand (README, DOMAIN.md), so a
test compares the app against the published contract instead of against its own constants."""

#: The return workbook's sheets, in order.
SHEET_NAMES = (
    "Streams rated Red or Amber",
    "Summary",
    "Income by stream",
    "Grants",
    "Milestones",
    "Outcomes",
    "CIPFA lines",
    "Impact and outcomes",
    "Income entries",
)

#: The "Income by stream" sheet's columns, as DOMAIN.md lists them.
STREAM_COLUMNS = (
    "Stream code",
    "Stream",
    "Service",
    "Category",
    "Annual budget",
    "Q1 actual",
    "Q2 actual",
    "Q3 actual",
    "Q4 actual",
    "Profiled budget to date",
    "Actual to date",
    "Variance to date",
    "Variance to date %",
    "Previous forecast",
    "Forecast outturn",
    "Movement",
    "Forecast variance",
    "Forecast variance %",
    "RAG",
    "Commentary",
)

#: Each import kind's CSV template: its header and its example line, as a person downloads them.
IMPORT_TEMPLATES = {
    "bids": (
        "title,funder,service,lead_email,amount_requested,created_on,programme,outcomes,probability",
        'Digital makerspace,Arts Council England,Libraries,lead@example.gov.uk,"50,000.00",01/04/2026,,'
        "Improved digital access and literacy,50",
    ),
    "budgets": (
        "year,stream_code,annual_budget,q1,q2,q3,q4",
        '2026-27,LIB-ROOM,"12,000.00","3,000.00","3,000.00","3,000.00","3,000.00"',
    ),
    "income": (
        "date,stream_code,amount,reference,site,description",
        '03/11/2026,LIB-ROOM,45.00,INV-1042,,"Meeting room, half day"',
    ),
    "milestones": (
        "project,milestone,owner_email,baseline_due,forecast_due,completed_on,status",
        "Digital makerspace,Kit bought,lead@example.gov.uk,01/12/2026,01/12/2026,,not started",
    ),
    "streams": (
        "code,name,service,category,site,owner_email,status,description,ledger_codes",
        "LIB-ROOM,Room hire,Libraries,Room and venue hire,,,active,,LIB01-9100",
    ),
}


def latest_month_ended(today):
    """What the live screens say they are as at, worked out with plain calendar dates rather than
    with ``periods``: the month before today's, as ("to 31 Oct 2026 (P7)", "2026-27", 7)."""
    from datetime import timedelta

    end = today.replace(day=1) - timedelta(days=1)
    number = (end.month - 4) % 12 + 1  # April is P1
    start = end.year if end.month >= 4 else end.year - 1
    return f"to {end.day} {end:%b %Y} (P{number})", f"{start}-{(start + 1) % 100:02d}", number
