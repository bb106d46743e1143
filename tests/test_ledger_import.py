"""Ledger extracts as the ledger writes them, through saved import profiles (issue 17).

The files are written here with each quirk of real published extracts: title rows above the header,
a leading empty column, header names with trailing spaces, bracketed, trailing-minus and CR/DR
amounts, three date forms in one column, a totals row with only an amount, comma-only rows after
the data, Windows-1252, UTF-16 and a doubled byte-order mark, and in XLSX Excel's own dates and a
formula's binary noise.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from incometrack.models import AuditEvent, ImportProfile, IncomeEntry, LedgerCode, Role, UnmappedLines
from incometrack.services import AS_READ, StaleEdit, ValidationErrors, imports, profiles
from incometrack.services import income as income_service
from tests.factories import make_site, make_stream

TODAY = date(2026, 11, 30)
TITLE = [
    "Kent County Council",
    "Income transactions report: Libraries, Registration and Archives",
    "Period: November 2026",
    "",
    "Printed 30/11/2026 09:14",
]
HEADER = ["", "Trans Date ", "Cost Centre", "Account ", "Amount", "Our Ref", "Narrative"]
LINES = [
    ["", "03/11/2026", "LIB01", "9100", "(1,234.50)", "INV-1", "Hall hire: Friends of the library"],
    ["", "04-Nov-2026", "lib01", "9100", "468.60-", "INV-2", "Room hire"],
    ["", "05 Nov  2026", "LIB01", "9200", "1,000.00 CR", "INV-3", "Printing \u00a3 takings"],
    ["", "03-NOV-2026", "ARC07", "9100", "12.00 CR", "ARC-1", "Copying"],
    ["", "06/11/2026", "LIB01", "9100", " 5.00- ", "TILL", "Tea"],
    ["", "06/11/2026", "LIB01", "9100", " 5.00- ", "TILL", "Tea"],
    ["", "07/11/2026", "LIB01", "9200", "20.00 DR", "REF-1", "Refund of a printing overcharge"],
    ["", "", "", "", "(2,705.10)", "", ""],
]


def extract(lines=LINES, *, encoding="utf-8", prefix=b"", ghosts=2000) -> bytes:
    rows = [[*([""] * 1), title] for title in TITLE] + [HEADER, *lines]
    text = "\r\n".join(",".join(f'"{c}"' if "," in c else c for c in row) for row in rows)
    text += "\r\n" + ",,,,,,\r\n" * ghosts
    return prefix + text.encode(encoding)


@pytest.fixture
def ledger(session):
    room = make_stream(session, "LIB-ROOM", name="Room hire")
    printing = make_stream(session, "LIB-PRINT", name="Printing")
    income_service.update_stream(
        session, room, _input(room, ("LIB01-9100",)), actor=None, expected_version=room.version
    )
    income_service.update_stream(
        session, printing, _input(printing, ("lib01 - 9200",)), actor=None, expected_version=printing.version
    )
    profile = profiles.save_profile(
        session,
        profiles.ProfileInput(
            name="Oracle monthly",
            date_column="trans date",
            amount_column="AMOUNT",
            code_columns=("Cost Centre", "Account"),
            reference_column="Our Ref",
            description_column="Narrative",
            income_negative=True,
        ),
        actor=None,
        expected_version=AS_READ,
    )
    session.commit()
    return profile


def _input(stream, codes):
    return income_service.StreamInput(
        code=stream.code,
        name=stream.name,
        service_id=stream.service_id,
        category_id=stream.category_id,
        ledger_codes=codes,
    )


def run(session, data, profile, name="extract.csv", **options):
    result = imports.import_ledger(session, data, name, actor=None, profile=profile, today=TODAY, **options)
    if result.ok and not result.dry_run:
        session.commit()
    else:
        session.rollback()
    return result


def entries(session):
    session.reread()
    return sorted(
        session.execute(
            select(IncomeEntry.date_received, IncomeEntry.amount, IncomeEntry.reference).order_by(
                IncomeEntry.id
            )
        ).all()
    )


EXPECTED = sorted(
    [
        (date(2026, 11, 3), 1234_50, "INV-1"),
        (date(2026, 11, 4), 468_60, "INV-2"),
        (date(2026, 11, 5), 1000_00, "INV-3"),
        (date(2026, 11, 6), 5_00, "TILL"),
        (date(2026, 11, 6), 5_00, "TILL"),
        (date(2026, 11, 7), -20_00, "REF-1"),
    ]
)


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [
        ("utf-8", b""),
        ("utf-8", b"\xef\xbb\xbf"),
        ("utf-8", b"\xef\xbb\xbf\xef\xbb\xbf"),  # a doubled byte-order mark
        ("cp1252", b""),  # £ as 0xA3, non-breaking spaces as 0xA0
        ("utf-16", b""),  # with its byte-order mark
    ],
)
def test_an_extract_as_the_ledger_writes_it(session, ledger, encoding, prefix):
    result = run(session, extract(encoding=encoding, prefix=prefix), ledger)
    assert result.ok, [str(e) for e in result.errors]
    assert result.summary() == "imported 6, skipped 0 duplicates, skipped 1 unmapped lines (£12.00)"
    assert entries(session) == EXPECTED
    printing = session.scalar(select(IncomeEntry.description).where(IncomeEntry.reference == "INV-3"))
    assert printing == "Printing £ takings"
    # The preview reconciles: per stream, unmapped, and the totals row the ledger printed.
    assert {k: (t.count, t.total) for k, t in result.by_stream.items()} == {
        "LIB-ROOM Room hire": (4, 1713_10),
        "LIB-PRINT Printing": (2, 980_00),
    }
    assert {k: (t.count, t.total) for k, t in result.unmapped.items()} == {"ARC07-9100": (1, 12_00)}
    assert (result.skipped.count, result.skipped.total) == (1, 2705_10)
    assert result.lines_total == result.skipped.total
    assert result.notes[0] == "unmapped ARC07-9100: 1 line (£12.00)"


def test_the_extract_from_an_xlsx_with_excel_dates_and_formula_noise(session, ledger):
    workbook = Workbook()
    sheet = workbook.active
    for title in TITLE:
        sheet.append([None, title])
    sheet.append(HEADER)
    excel_date = datetime(2026, 11, 3)  # noqa: DTZ001 - a spreadsheet's date has no zone
    sheet.append([None, excel_date, "LIB01", 9100, -3.3000000000000003, "X-1", "Formula"])
    sheet.append([None, "20 Nov  2026", "LIB01", 9200.0, "(1,545.22)", "X-2", None])
    sheet.append([None, None, None, None, -1548.52])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = run(session, buffer.getvalue(), ledger, name="extract.xlsx")
    assert result.ok, [str(e) for e in result.errors]
    assert entries(session) == [(date(2026, 11, 3), 3_30, "X-1"), (date(2026, 11, 20), 1545_22, "X-2")]
    assert result.skipped.total == result.lines_total == 1548_52


def test_a_reimport_adds_nothing_and_a_longer_extract_only_its_new_lines(session, ledger):
    assert run(session, extract(), ledger).imported == 6
    again = run(session, extract(), ledger)
    assert again.summary() == "imported 0, skipped 6 duplicates, skipped 1 unmapped lines (£12.00)"
    assert again.duplicate_total == 2693_10 - 0
    longer = [*LINES[:-1], ["", "06/11/2026", "LIB01", "9100", " 5.00- ", "TILL", "Tea"], LINES[-1]]
    later = run(session, extract(longer), ledger)
    assert (later.imported, later.duplicates) == (1, 6)
    assert len(entries(session)) == 7


def test_unmapped_lines_refuse_the_file_when_the_profile_says_so(session, ledger):
    ledger.unmapped = UnmappedLines.REFUSE
    session.commit()
    result = run(session, extract(), ledger)
    assert [str(e) for e in result.errors] == [
        "row 10: Cost Centre + Account: No stream has this ledger code; the nearest known: LIB01-9100"
        ' (the file has "ARC07-9100")'
    ]
    assert entries(session) == []


def test_row_errors_name_the_files_own_columns_and_values(session, ledger):
    bad = [
        ["", "31/02/2026", "LIB01", "9100", "12.345", "A", ""],
        ["", "12/01/2027", "LIB01", "9100", "1", "B", ""],
    ]
    result = run(session, extract(bad), ledger)
    assert [str(e) for e in result.errors] == [
        'row 7: Trans Date: Date must be a real date, day then month (like 31/03/2027) (the file has "31/02/2026")',
        'row 7: Amount: Amount must not have more than 2 decimal places (the file has "12.345")',
        "row 8: Trans Date: Date received must be today or in the past",
    ]


def test_a_profile_naming_columns_the_file_lacks(session, ledger):
    ledger.reference_column = "Invoice No"
    session.commit()
    result = run(session, extract(), ledger)
    assert [str(e) for e in result.errors] == [
        "row 6: Invoice No: this required column is missing from the header (looked for in the first 30 rows)"
    ]


def test_a_site_column_names_sites(session, ledger):
    make_site(session, "Maidstone Library")
    ledger.site_column = "Site"
    session.commit()
    header = "Trans Date,Cost Centre,Account,Amount,Our Ref,Site\n"
    data = (
        header + "03/11/2026,LIB01,9100,-5.00,S-1,maidstone library\n03/11/2026,LIB01,9100,-5,S-2,Atlantis\n"
    )
    result = run(session, data.encode(), ledger)
    assert [str(e) for e in result.errors] == [
        'row 3: Site: No site is called this (the file has "Atlantis")'
    ]


class TestLedgerCodes:
    def test_codes_are_unique_across_streams(self, session, ledger):
        other = make_stream(session, "REG-CERT")
        with pytest.raises(ValidationErrors) as error:
            income_service.update_stream(
                session, other, _input(other, ("LIB01 -9100",)), actor=None, expected_version=other.version
            )
        assert error.value.errors == {
            "ledger_codes": "Ledger code LIB01-9100 already belongs to stream LIB-ROOM"
        }

    def test_changes_are_audited_on_the_stream(self, session, ledger):
        session.reread()
        summaries = session.scalars(
            select(AuditEvent.changes).where(AuditEvent.summary == "LIB-ROOM ledger codes")
        ).all()
        assert summaries == [{"ledger_codes": [None, "LIB01-9100"]}]

    def test_import_streams_takes_ledger_codes(self, runner, session, tmp_path):
        path = tmp_path / "streams.csv"
        path.write_text(
            "Code,Name,Service,Category,Ledger codes\n"
            "LIB-CAFE,Cafe,Libraries,Retail and cafe,LIB02-9100; lib02-9101\n"
            "LIB-SHOP,Shop,Libraries,Retail and cafe,LIB02-9100\n"
        )
        refused = runner.invoke(args=["import-streams", str(path)])
        assert refused.exit_code == 1
        assert (
            'row 3: ledger_codes: Ledger code LIB02-9100 is given twice (the file has "LIB02-9100")'
            in refused.stderr
        )
        path.write_text(
            "Code,Name,Service,Category,Ledger codes\nLIB-CAFE,Cafe,Libraries,Retail and cafe,LIB02-9100; lib02-9101\n"
        )
        assert runner.invoke(args=["import-streams", str(path)]).exit_code == 0
        session.reread()
        assert sorted(session.scalars(select(LedgerCode.code))) == ["LIB02-9100", "LIB02-9101"]

    def test_any_printable_code_a_ledger_prints(self, session, ledger):
        stream = make_stream(session, "LIB-ARTS")
        codes = ("LIBRARIES ARTS & HERITAGE-205", "  Cafe (Main),  O'Brien's / 9100 ", "=SUM(A1)")
        income_service.update_stream(
            session, stream, _input(stream, codes), actor=None, expected_version=stream.version
        )
        session.commit()
        session.reread()
        assert sorted(session.scalars(select(LedgerCode.code).where(LedgerCode.stream_id == stream.id))) == [
            "=SUM(A1)", "CAFE (MAIN), O'BRIEN'S / 9100", "LIBRARIES ARTS & HERITAGE-205",
        ]  # fmt: skip
        # matched trimmed and ignoring case and spacing, as an extract prints it
        data = b"Date,Amount,Code,Ref\n03/11/2026,12.00,libraries arts &  heritage - 205 ,A1\n"
        profile = profiles.save_profile(
            session, profiles.ProfileInput("Arts", "Date", "Amount", ("Code",), "Ref"), actor=None,
            expected_version=AS_READ,
        )  # fmt: skip
        result = run(session, data, profile)
        assert result.ok and result.imported == 1, result.problems()

    @pytest.mark.parametrize(
        ("code", "message"),
        [
            ("X" * 101, "Ledger code XXXXXXXXXXXXXXXXXXXX… must be 100 characters or fewer"),
            ("LIB\x07-9100", "Ledger codes must be printable text (no tabs or control characters)"),
        ],
    )
    def test_codes_too_long_or_not_printable_are_refused(self, session, ledger, code, message):
        stream = make_stream(session, "LIB-ARTS")
        with pytest.raises(ValidationErrors) as error:
            income_service.update_stream(
                session, stream, _input(stream, (code,)), actor=None, expected_version=stream.version
            )
        assert error.value.errors == {"ledger_codes": message}

    def test_import_streams_takes_codes_with_commas_and_ampersands(self, runner, session, tmp_path):
        path = tmp_path / "streams.csv"
        path.write_text(
            "Code,Name,Service,Category,Ledger codes\n"
            'LIB-ARTS,Arts,Libraries,Retail and cafe,"LIBRARIES ARTS & HERITAGE-205; Arts, Events (Main)-9100"\n'
        )
        imported = runner.invoke(args=["import-streams", str(path)])
        assert imported.exit_code == 0, imported.output
        session.reread()
        assert sorted(session.scalars(select(LedgerCode.code))) == [
            "ARTS, EVENTS (MAIN)-9100", "LIBRARIES ARTS & HERITAGE-205",
        ]  # fmt: skip


class TestLedgerCodesCommand:
    def test_add_and_list(self, runner, session, ledger):
        make_stream(session, "LIB-ARTS", name="Arts and heritage")
        session.commit()
        added = runner.invoke(
            args=["ledger-codes", "add", "lib-arts", "LIBRARIES ARTS & HERITAGE-205", "Arts (Main), O'Brien"]
        )
        assert added.exit_code == 0, added.output
        assert added.output == "LIB-ARTS: ARTS (MAIN), O'BRIEN; LIBRARIES ARTS & HERITAGE-205\n"
        listed = runner.invoke(args=["ledger-codes", "list"])
        assert listed.output.splitlines() == [
            "ARTS (MAIN), O'BRIEN\tLIB-ARTS\tArts and heritage",
            "LIB01-9100\tLIB-ROOM\tRoom hire",
            "LIB01-9200\tLIB-PRINT\tPrinting",
            "LIBRARIES ARTS & HERITAGE-205\tLIB-ARTS\tArts and heritage",
        ]
        session.reread()
        changes = session.scalars(
            select(AuditEvent.changes).where(AuditEvent.summary == "LIB-ARTS ledger codes")
        ).all()
        assert changes == [{"ledger_codes": [None, "ARTS (MAIN), O'BRIEN; LIBRARIES ARTS & HERITAGE-205"]}]

    def test_a_code_of_another_stream_or_an_unknown_stream_is_refused(self, runner, session, ledger):
        make_stream(session, "LIB-ARTS")
        session.commit()
        taken = runner.invoke(args=["ledger-codes", "add", "LIB-ARTS", "lib01 - 9100"])
        assert taken.exit_code == 1
        assert "Ledger code LIB01-9100 already belongs to stream LIB-ROOM" in taken.output
        unknown = runner.invoke(args=["ledger-codes", "add", "NOPE", "X-1"])
        assert unknown.exit_code == 1 and "No stream has the code NOPE" in unknown.output

    def test_adding_codes_makes_an_open_stream_form_stale(self, session, ledger):
        stream = make_stream(session, "LIB-ARTS")
        session.commit()
        drawn_at = stream.version
        income_service.add_ledger_codes(session, stream, ("ARTS-1",), actor=None)
        session.commit()
        with pytest.raises(StaleEdit):
            income_service.update_stream(
                session, stream, _input(stream, ()), actor=None, expected_version=drawn_at
            )


class TestCommandLine:
    def test_save_and_list_profiles(self, runner, session):
        saved = runner.invoke(
            args=["import-profile", "save", "SAP extract", "--date", "Posting Date", "--amount", "Amount in LC",
                  "--code", "Cost Center", "--code", "G/L Account", "--reference", "Document Number",
                  "--income-negative", "--unmapped", "refuse"]
        )  # fmt: skip
        assert saved.exit_code == 0, saved.output
        assert saved.output == (
            "saved SAP extract: date=Posting Date, amount=Amount in LC, code=Cost Center-G/L Account,"
            " reference=Document Number, income printed negative, unmapped lines: refuse\n"
        )
        runner.invoke(
            args=["import-profile", "save", "Civica", "--date", "Date", "--amount", "Value", "--code", "Fund"]
        )
        listed = runner.invoke(args=["import-profile", "list"])
        assert listed.output.splitlines() == [
            "Civica: date=Date, amount=Value, code=Fund, income printed positive, unmapped lines: skip",
            saved.output.removeprefix("saved ").strip(),
        ]
        # Saving a name again replaces the profile, audited both times.
        runner.invoke(
            args=["import-profile", "save", "civica", "--date", "Date", "--amount", "Net", "--code", "Fund"]
        )
        session.reread()
        assert session.scalar(select(func.count()).select_from(ImportProfile)) == 2
        assert (
            session.scalar(select(ImportProfile.amount_column).where(ImportProfile.name == "Civica")) == "Net"
        )
        assert (
            session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.entity == "import_profiles")
            )
            == 3
        )

    def test_a_profile_must_name_different_columns(self, runner):
        result = runner.invoke(
            args=["import-profile", "save", "Bad", "--date", "Date", "--amount", "date", "--code", "Code"]
        )
        assert result.exit_code == 1
        assert "The column date is already chosen for another field" in result.stderr

    def test_import_ledger_prints_what_it_did_and_the_unmapped_codes(self, runner, session, ledger, tmp_path):
        path = tmp_path / "november.csv"
        path.write_bytes(extract(encoding="cp1252"))
        dry = runner.invoke(args=["import-ledger", str(path), "--profile", "oracle monthly", "--dry-run"])
        assert dry.exit_code == 0, dry.output + dry.stderr
        assert dry.output.splitlines()[:2] == [
            "would import 6, skipped 0 duplicates, skipped 1 unmapped lines (£12.00)",
            "unmapped ARC07-9100: 1 line (£12.00)",
        ]
        assert entries(session) == []
        done = runner.invoke(args=["import-ledger", str(path), "--profile", "Oracle monthly"])
        assert (
            done.output.splitlines()[0]
            == "imported 6, skipped 0 duplicates, skipped 1 unmapped lines (£12.00)"
        )
        assert entries(session) == EXPECTED

    def test_import_ledger_refuses_an_unknown_profile(self, runner, ledger, tmp_path):
        path = tmp_path / "x.csv"
        path.write_bytes(extract())
        result = runner.invoke(args=["import-ledger", str(path), "--profile", "SAP"])
        assert result.exit_code == 1
        assert "No import profile is called SAP (saved profiles: Oracle monthly)" in result.stderr

    def test_import_ledger_row_errors_exit_1(self, runner, session, ledger, tmp_path):
        path = tmp_path / "x.csv"
        path.write_bytes(extract([["", "03/11/2026", "LIB01", "9100", "ten", "A", ""]]))
        result = runner.invoke(args=["import-ledger", str(path), "--profile", "Oracle monthly"])
        assert result.exit_code == 1
        assert result.stderr.splitlines() == [
            'row 7: Amount: Amount must be in pounds and pence, like 1,234.50 (the file has "ten")',
            "1 problem found; nothing was imported.",
        ]


class TestMilestones:
    HEADER = "Project,Milestone,Owner email,Baseline due,Forecast due,Completed on,Status\n"

    def test_import_milestones(self, runner, session, make_user, tmp_path):
        from tests.factories import make_project

        lead = make_user(Role.LEAD, email="lead@example.gov.uk")
        make_project(session, lead, name="Makerspaces")
        path = tmp_path / "milestones.csv"
        path.write_text(
            "Milestone plan,,,,,,\n" + self.HEADER
            + "Makerspaces,Kit bought,lead@example.gov.uk,01/12/2026,15/12/2026,,\n"
            + "Makerspaces,Launch,,2027-02-01,2027-03-01,,in progress\n"
            + "Makerspaces,Room ready,,01/10/2026,01/10/2026,02/10/2026,\n"
            + ",,,,,,\n"
        )  # fmt: skip
        result = runner.invoke(args=["import-milestones", str(path)])
        assert result.exit_code == 0, result.output + result.stderr
        assert result.output.splitlines() == ["imported 3, skipped 0 duplicates"]
        assert runner.invoke(args=["import-milestones", str(path)]).output.splitlines() == [
            "imported 0, skipped 3 duplicates"
        ]
        from incometrack.models import Milestone, MilestoneStatus

        session.reread()
        rows = session.execute(select(Milestone.title, Milestone.status, Milestone.completed_on)).all()
        assert sorted(rows) == [
            ("Kit bought", MilestoneStatus.NOT_STARTED, None),
            ("Launch", MilestoneStatus.IN_PROGRESS, None),
            ("Room ready", MilestoneStatus.COMPLETE, date(2026, 10, 2)),
        ]
        # added through the milestones service: its history starts with the file's figures
        kit = session.scalars(select(Milestone).where(Milestone.title == "Kit bought")).one()
        assert (kit.baseline_due, kit.forecast_due) == (date(2026, 12, 1), date(2026, 12, 15))
        assert [(u.kind, u.note, u.forecast_due, u.baseline_due) for u in kit.updates] == [
            ("created", "Imported from milestones.csv", date(2026, 12, 15), date(2026, 12, 1))
        ]

    def test_milestone_rows_are_checked_by_the_services_rules(self, runner, session, make_user, tmp_path):
        from tests.factories import make_project

        lead = make_user(Role.LEAD, email="lead@example.gov.uk")
        make_project(session, lead, name="Makerspaces")
        path = tmp_path / "milestones.csv"
        path.write_text(
            self.HEADER
            + "Makerspace,Kit,nobody@example.gov.uk,01/12/2026,15/12/2026,,\n"
            + "Makerspaces,Launch,,2027-02-01,2027-03-01,,complete\n"
            + "Makerspaces,,,2027-02-01,2027-03-01,,\n"
        )  # fmt: skip
        result = runner.invoke(args=["import-milestones", str(path)])
        assert result.exit_code == 1
        assert result.stderr.splitlines()[:4] == [
            'row 2: project: No project is called this; the nearest: Makerspaces (the file has "Makerspace")',
            'row 2: owner_email: No user has this email (the file has "nobody@example.gov.uk")',
            "row 3: completed_on: Enter the date it was completed",
            "row 4: milestone: Enter the milestone",
        ]


def test_the_readme_profile_example_end_to_end(runner, session):
    """README, "Ledger extracts and import profiles": the commands and what they print."""
    assert runner.invoke(args=["load-demo", "--today", "2026-12-06"]).exit_code == 0
    saved = runner.invoke(
        args=["import-profile", "save", "Oracle monthly", "--date", "Trans Date", "--amount", "Amount",
              "--code", "Cost Centre", "--code", "Account", "--reference", "Our Ref", "--description", "Narrative",
              "--income-negative"]
    )  # fmt: skip
    assert saved.output.splitlines() == [
        "saved Oracle monthly: date=Trans Date, amount=Amount, code=Cost Centre-Account, reference=Our Ref,"
        " description=Narrative, income printed negative, unmapped lines: skip"
    ]
    args = ["import-ledger", "examples/ledger-november-2026.csv", "--profile", "Oracle monthly"]
    dry = runner.invoke(args=[*args, "--dry-run"])
    assert dry.output.splitlines() == [
        "would import 6, skipped 0 duplicates, skipped 1 unmapped lines (£35.00)",
        "unmapped CORP900-9100: 1 line (£35.00)",
        "skipped 1 row without a date or a code (totals or notes): row 13, holding £2,666.05",
        "1 line repeats another line of this file exactly; each is income in its own right and is imported"
        " (only lines already recorded are duplicates)",
    ]
    assert runner.invoke(args=args).output.splitlines()[0] == (
        "imported 6, skipped 0 duplicates, skipped 1 unmapped lines (£35.00)"
    )
    assert runner.invoke(args=args).output.splitlines()[0] == (
        "imported 0, skipped 6 duplicates, skipped 1 unmapped lines (£35.00)"
    )
    strict = runner.invoke(
        args=["import-profile", "save", "Oracle strict", "--date", "Trans Date", "--amount", "Amount",
              "--code", "Cost Centre", "--code", "Account", "--reference", "Our Ref", "--unmapped", "refuse"]
    )  # fmt: skip
    assert strict.exit_code == 0
    refused = runner.invoke(args=["import-ledger", args[1], "--profile", "Oracle strict"])
    assert refused.exit_code == 1
    assert refused.stderr.startswith("row 12: Cost Centre + Account: No stream has this ledger code")
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for line in (*saved.output.splitlines(), *dry.output.splitlines()):
        assert f"# {line}" in readme, line
