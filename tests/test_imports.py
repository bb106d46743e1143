"""Importing income, streams and budgets from CSV and XLSX, all or nothing, duplicates caught."""

import io
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from incometrack.models import Budget, ImportBatch, IncomeEntry, IncomeStream, Role
from incometrack.periods import FinancialYear
from incometrack.services import AS_READ, ServiceError, imports, locks
from tests.factories import make_entry, make_site, make_stream

HEADER = "date,stream_code,amount,reference,site,description\n"


def csv_bytes(*lines: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return (header + "\n".join(lines) + "\n").encode(encoding)


def xlsx_bytes(rows, sheet_title=None, extra_sheet_first=False) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if extra_sheet_first:
        sheet.title = "Notes"
        sheet.append(["This sheet is not the data"])
        sheet = workbook.create_sheet(sheet_title or "Data")
    elif sheet_title:
        sheet.title = sheet_title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def count(session, model=IncomeEntry) -> int:
    session.reread()
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def stream(session):
    return make_stream(session, "LIB-PRINT")


def run(session, data, name="ledger.csv", **options):
    result = imports.import_income(session, data, name, actor=None, today=date(2026, 11, 28), **options)
    if result.ok and not result.dry_run:
        session.commit()
    else:
        session.rollback()
    return result


class TestEncodingsAndForms:
    @pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
    def test_pound_signs_in_each_encoding(self, session, stream, encoding):
        result = run(
            session, csv_bytes('01/05/2026,LIB-PRINT,"£1,234.56",R1,,Café bookings', encoding=encoding)
        )
        assert result.ok, result.errors
        entry = session.scalar(select(IncomeEntry))
        assert entry.amount == 123_456
        assert entry.description == "Café bookings"

    @pytest.mark.parametrize(
        ("text", "expected"),
        [("01/05/2026", date(2026, 5, 1)), ("1/5/26", date(2026, 5, 1)), ("2026-05-01", date(2026, 5, 1)),
         ("5/1/26", date(2026, 1, 5))],
    )  # fmt: skip
    def test_date_forms_are_day_first_or_iso(self, session, stream, text, expected):
        assert run(session, csv_bytes(f"{text},LIB-PRINT,10.00,R1")).ok
        assert session.scalar(select(IncomeEntry.date_received)) == expected

    @pytest.mark.parametrize(
        ("text", "pence"),
        [
            ("1234.5", 123_450),
            ('"1,234.50"', 123_450),
            ("£12.00", 1200),
            ("-12.00", -1200),
            ("(12.00)", -1200),
        ],
    )
    def test_amount_forms(self, session, stream, text, pence):
        assert run(session, csv_bytes(f"01/05/2026,LIB-PRINT,{text},R1")).ok
        assert session.scalar(select(IncomeEntry.amount)) == pence

    def test_headers_match_without_case_or_spaces_and_site_is_optional(self, session, stream):
        make_site(session, "Maidstone Library")
        data = csv_bytes(
            "01/05/2026, LIB-print ,10.00,R1,maidstone library",
            header=" Date ,STREAM_CODE,Amount,Reference ,Site\n",
        )
        result = run(session, data)
        assert result.ok, result.errors
        assert session.scalar(select(IncomeEntry.site_id)) is not None

    def test_xlsx_with_real_dates_and_numbers(self, session, stream):
        data = xlsx_bytes([["Date", "Stream_code", "Amount", "Reference"],
                           [datetime(2026, 5, 1), "LIB-PRINT", 1234.56, "R1"],  # noqa: DTZ001 - Excel dates are naive
                           [date(2026, 5, 2), "LIB-PRINT", 0.1, "R2"], ["03/05/2026", "LIB-PRINT", "(7.00)", "R3"]])  # fmt: skip
        result = run(session, data, "ledger.xlsx")
        assert result.ok, result.errors
        assert sorted(session.scalars(select(IncomeEntry.amount))) == [-700, 10, 123_456]

    def test_xlsx_formula_results_are_the_nearest_penny(self, session, stream):
        data = xlsx_bytes([["date", "stream_code", "amount", "reference"],
                           ["01/05/2026", "LIB-PRINT", 1.1 * 3, "R1"], ["02/05/2026", "LIB-PRINT", 0.1 + 0.2, "R2"],
                           ["03/05/2026", "LIB-PRINT", 3.305, "R3"]])  # fmt: skip
        result = run(session, data, "ledger.xlsx")
        assert [(e.row, e.column, e.message) for e in result.errors] == [
            (4, "amount", "Amount must not have more than 2 decimal places")
        ]
        good = xlsx_bytes([["date", "stream_code", "amount", "reference"],
                           ["01/05/2026", "LIB-PRINT", 1.1 * 3, "R1"], ["02/05/2026", "LIB-PRINT", 0.1 + 0.2, "R2"]])  # fmt: skip
        assert run(session, good, "ledger.xlsx").ok
        assert sorted(session.scalars(select(IncomeEntry.amount))) == [30, 330]

    def test_xlsx_named_sheet(self, session, stream):
        data = xlsx_bytes([["date", "stream_code", "amount", "reference"], ["01/05/2026", "LIB-PRINT", 5, "R"]],
                          sheet_title="Ledger", extra_sheet_first=True)  # fmt: skip
        assert not run(session, data, "x.xlsx").ok  # the first sheet is not the data
        assert run(session, data, "x.xlsx", sheet="Ledger").ok
        with pytest.raises(imports.ImportRefused, match="no sheet named"):
            run(session, data, "x.xlsx", sheet="Missing")


class TestRejections:
    def test_every_problem_is_listed_and_nothing_is_written(self, session, stream, make_user):
        locks.lock(session, FinancialYear(2026).quarter(1), actor=make_user(Role.FINANCE))
        session.commit()
        data = csv_bytes(
            "01/07/2026,LIB-PRINT,10.00,GOOD",
            "31/02/2026,LIB-PRINT,10.00,BAD-DATE",
            "01/07/2026,LIB-PRNT,10.00,BAD-STREAM",
            "01/07/2026,LIB-PRINT,1.234,BAD-AMOUNT",
            "01/07/2026,LIB-PRINT,ten,NOT-A-NUMBER",
            "01/05/2026,LIB-PRINT,10.00,LOCKED",
            "01/07/2026,LIB-PRINT,10.00,BAD-SITE,Atlantis",
            "01/12/2026,LIB-PRINT,10.00,FUTURE",
            "01/07/2026,LIB-PRINT,0,ZERO",
        )
        result = run(session, data)
        assert [str(e) for e in result.errors] == [
            'row 3: date: Date must be a real date, day then month (like 31/03/2027) (the file has "31/02/2026")',
            'row 4: stream_code: No stream has this code; the nearest known: LIB-PRINT (the file has "LIB-PRNT")',
            'row 5: amount: Amount must not have more than 2 decimal places (the file has "1.234")',
            'row 6: amount: Amount must be in pounds and pence, like 1,234.50 (the file has "ten")',
            "row 7: date: 2026-27 Q1 is locked. Record corrections as a new entry dated in an open period."
            ' (the file has "01/05/2026")',
            'row 8: site: No site is called this (the file has "Atlantis")',
            "row 9: date: Date received must be today or in the past",
            "row 10: amount: Amount cannot be zero: enter what was received, or a negative amount for a refund",
        ]
        assert count(session) == 0
        assert count(session, ImportBatch) == 0

    def test_a_missing_required_column(self, session, stream):
        result = run(session, csv_bytes("01/05/2026,LIB-PRINT,10", header="date,stream_code,amount\n"))
        assert [str(e) for e in result.errors] == [
            "row 1: reference: this required column is missing from the header (looked for in the first 30 rows)"
        ]

    @pytest.mark.parametrize(
        ("data", "name", "message"),
        [
            (b"", "x.csv", "empty"),
            (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "ledger.csv", "binary data"),
            (b"date,amount\n", "ledger.xlsx", "not an Excel workbook"),
            (b"PK\x03\x04garbage", "ledger.xlsx", "not a valid Excel workbook"),
        ],
    )
    def test_files_that_are_not_what_they_say_are_refused(self, session, data, name, message):
        with pytest.raises(imports.ImportRefused, match=message):
            run(session, data, name)

    def test_an_xlsx_that_unpacks_out_of_proportion_is_refused(self, session):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("xl/workbook.xml", "<workbook/>")
            archive.writestr("xl/worksheets/sheet1.xml", "0" * 50_000_000)
        with pytest.raises(imports.ImportRefused, match="unsafe"):
            run(session, buffer.getvalue(), "bomb.xlsx")


class TestDuplicatesAndBatches:
    def test_lines_already_recorded_are_skipped_but_identical_lines_in_one_file_are_all_income(
        self, session, stream
    ):
        """DOMAIN.md: two £10.00 takings on one day with one reference are two takings."""
        make_entry(session, stream, date(2026, 5, 1), 10_00, reference="R1")
        data = csv_bytes(
            "01/05/2026,LIB-PRINT,10.00,R1", "02/05/2026,LIB-PRINT,10.00,R2", "02/05/2026,LIB-PRINT,10,R2"
        )
        result = run(session, data)
        assert (result.imported, result.duplicates, result.repeated) == (2, 1, 1)
        assert result.summary() == "imported 2, skipped 1 duplicates"
        assert result.notes == [
            "1 line repeats another line of this file exactly; each is income in its own right and is"
            " imported (only lines already recorded are duplicates)"
        ]
        assert count(session) == 3

    def test_a_reimport_adds_none_and_a_longer_extract_adds_only_its_new_lines(self, session, stream):
        first = csv_bytes(*["03/05/2026,LIB-PRINT,5.00,TILL"] * 2, "04/05/2026,LIB-PRINT,7.50,TILL")
        assert run(session, first).imported == 3
        again = run(session, first)
        assert (again.imported, again.duplicates) == (0, 3)
        longer = csv_bytes(
            *["03/05/2026,LIB-PRINT,5.00,TILL"] * 3,
            "04/05/2026,LIB-PRINT,7.50,TILL",
            "05/05/2026,LIB-PRINT,1,TILL",
        )
        later = run(session, longer)
        assert (later.imported, later.duplicates) == (2, 3)
        assert {k: (t.count, t.total) for k, t in later.by_stream.items()} == {
            "LIB-PRINT Stream LIB-PRINT": (2, 6_00)
        }
        assert count(session) == 5

    def test_reimporting_the_same_file_adds_nothing(self, session, stream):
        data = csv_bytes("01/05/2026,LIB-PRINT,10.00,R1", "02/05/2026,LIB-PRINT,20.00,R2")
        assert run(session, data).imported == 2
        again = run(session, data)
        assert (again.imported, again.duplicates) == (0, 2)
        assert count(session) == 2

    def test_dry_run_writes_nothing(self, session, stream):
        result = run(session, csv_bytes("01/05/2026,LIB-PRINT,10.00,R1"), dry_run=True)
        assert result.summary() == "would import 1, skipped 0 duplicates"
        assert count(session) == 0

    def test_batch_is_recorded_and_can_be_undone_while_open(self, session, stream, make_user):
        finance = make_user(Role.FINANCE)
        result = run(session, csv_bytes("01/05/2026,LIB-PRINT,10.00,R1", "01/08/2026,LIB-PRINT,20.00,R2"))
        batch = session.get(ImportBatch, result.batch_id)
        assert (batch.kind, batch.filename, batch.rows_imported, batch.rows_skipped) == (
            "income",
            "ledger.csv",
            2,
            0,
        )
        assert batch.checksum == imports.checksum(
            csv_bytes("01/05/2026,LIB-PRINT,10.00,R1", "01/08/2026,LIB-PRINT,20.00,R2")
        )
        locks.lock(session, FinancialYear(2026).quarter(1), actor=finance)
        with pytest.raises(ServiceError, match="locked quarters \\(2026-27 Q1\\)"):
            imports.undo_batch(session, batch, actor=finance)
        locks.reopen(
            session,
            FinancialYear(2026).quarter(1),
            actor=make_user(Role.ADMIN),
            reason="Undo import",
            expected_version=AS_READ,
        )
        assert imports.undo_batch(session, batch, actor=finance) == 2
        session.commit()
        assert count(session) == 0
        with pytest.raises(ServiceError, match="already been undone"):
            imports.undo_batch(session, batch, actor=finance)


class TestFilesRefusedForWhatTheyAre:
    @pytest.mark.parametrize(
        ("kind", "header", "row", "named_twice"),
        [
            ("income", "date,stream_code,amount,reference,Amount", "01/05/2026,LIB-PRINT,1.00,R1,2.00", "amount"),
            ("streams", "code,name,service,category,Name", "LIB-X,X,Libraries,Retail and cafe,Y", "name"),
            ("budgets", "year,stream_code,annual_budget,q1,Q1", "2026-27,LIB-PRINT,100,25,30", "q1"),
            ("bids", "title,funder,service,lead_email,amount_requested,created_on,Title",
             "T,F,Libraries,a@b.example,100,01/04/2026,U", "title"),
            ("milestones", "project,milestone,owner_email,baseline_due,forecast_due,Milestone",
             "P,M,a@b.example,01/04/2026,01/04/2026,N", "milestone"),
        ],
    )  # fmt: skip
    def test_a_header_naming_a_column_it_reads_twice(self, session, stream, kind, header, row, named_twice):
        data = f"{header}\n{row}\n".encode()
        result = imports.run_import(kind, session, data, "file.csv", actor=None, dry_run=True)
        session.rollback()
        last = "EFG"[len(header.split(",")) - 5]
        first = "ABCDEFG"[header.lower().split(",").index(named_twice)]
        assert [str(error) for error in result.errors] == [
            f"row 1: {named_twice}: the header names this column 2 times (columns {first} and {last});"
            " rename or remove all but one"
        ]

    def test_a_row_with_more_cells_than_the_header(self, session, stream):
        data = b"date,stream_code,amount,reference\n01/05/2026,LIB-PRINT,10.00,R1\n02/05/2026,LIB-PRINT,1,250.00,R2\n"
        result = run(session, data)
        assert [str(error) for error in result.errors] == [
            "row 3: row: it has 5 cells filled where the header names 4 columns: a number with a thousands"
            ' comma must be in quotes in a CSV ("1,250.00"), or the row has a cell to the right of the header'
            ' (the file has "02/05/2026,LIB-PRINT,1,250.00,R2")'
        ]
        assert count(session) == 0

    def test_a_row_with_more_cells_in_a_streams_file(self, session):
        data = b"code,name,service,category\nLIB-X,Room, hire,Libraries,Retail and cafe\n"
        result = imports.run_import("streams", session, data, "s.csv", actor=None, dry_run=True)
        session.rollback()
        assert [(error.row, error.column) for error in result.errors] == [(2, "row")]

    def test_budget_problems_quote_the_files_values(self, session, stream):
        data = b"year,stream_code,annual_budget,q1,q2,q3,q4\n2026/27x,LIB-PRNT,ten,25,x,25,25\n"
        result = imports.run_import("budgets", session, data, "b.csv", actor=None, dry_run=True)
        session.rollback()
        assert [str(error) for error in result.errors] == [
            'row 2: year: Enter a financial year like 2026-27 (the file has "2026/27x")',
            'row 2: stream_code: No stream has this code; the nearest known: LIB-PRINT (the file has "LIB-PRNT")',
            'row 2: annual_budget: Annual budget must be in pounds and pence, like 1,234.50 (the file has "ten")',
            "row 2: q2: Q2 must be in pounds and pence, like 1,234.50 (give all four quarters or none)"
            ' (the file has "x")',
        ]


class TestYearToDate:
    """Ledgers export the year to date: after Q1 is locked, its lines come again every month."""

    MAY = ("01/05/2026,LIB-PRINT,10.00,R1", "02/05/2026,LIB-PRINT,5.00,R2")

    @pytest.fixture
    def q1_locked(self, session, stream, make_user):
        assert run(session, csv_bytes(*self.MAY)).imported == 2
        locks.lock(session, FinancialYear(2026).quarter(1), actor=make_user(Role.FINANCE))
        session.commit()

    def test_the_same_extract_again_is_all_duplicates(self, session, q1_locked):
        result = run(session, csv_bytes(*self.MAY))
        assert result.ok and result.summary() == "imported 0, skipped 2 duplicates"

    def test_a_longer_extract_adds_only_its_new_lines(self, session, q1_locked):
        result = run(session, csv_bytes(*self.MAY, "03/07/2026,LIB-PRINT,7.00,R3"))
        assert result.ok and result.summary() == "imported 1, skipped 2 duplicates"
        assert count(session) == 3

    def test_a_late_posting_in_a_locked_quarter_refuses_the_file_with_its_total(self, session, q1_locked):
        data = csv_bytes(*self.MAY, "04/05/2026,LIB-PRINT,3.00,R4", "03/07/2026,LIB-PRINT,7.00,R5")
        result = run(session, data)
        assert [str(error) for error in result.errors] == [
            "row 4: date: 2026-27 Q1 is locked. Record corrections as a new entry dated in an open period."
            ' (the file has "04/05/2026")'
        ]
        assert result.problems() == (
            "1 problem found; 1 new line (£3.00) dated in locked quarters (late postings): leave them out with"
            " --skip-locked, or with 'Leave out lines in locked quarters' on the upload screen"
        )
        assert count(session) == 2

    def test_skip_locked_leaves_late_postings_out_and_says_so(self, session, q1_locked):
        data = csv_bytes(*self.MAY, "04/05/2026,LIB-PRINT,3.00,R4", "03/07/2026,LIB-PRINT,7.00,R5")
        result = run(session, data, skip_locked=True)
        assert result.ok
        assert result.summary() == (
            "imported 1, skipped 2 duplicates, skipped 1 lines in locked quarters (£3.00)"
        )
        assert (result.lines_total, count(session)) == (25_00, 3)

    def test_late_postings_are_listed_beside_the_files_other_problems(self, session, q1_locked):
        data = csv_bytes(*self.MAY, "04/05/2026,LIB-PRINT,3.00,R4", "03/07/2026,NOPE,7.00,R5")
        result = run(session, data)
        assert [(error.row, error.column) for error in result.errors] == [(4, "date"), (5, "stream_code")]

    def test_the_command_line_refuses_then_skips_with_skip_locked(self, runner, session, q1_locked, tmp_path):
        path = tmp_path / "ytd.csv"
        path.write_bytes(csv_bytes(*self.MAY, "04/05/2026,LIB-PRINT,3.00,R4", "03/07/2026,LIB-PRINT,7.00,R5"))
        refused = runner.invoke(args=["import-income", str(path)])
        assert refused.exit_code == 1
        assert refused.stderr.splitlines()[-1] == (
            "1 problem found; 1 new line (£3.00) dated in locked quarters (late postings): leave them out with"
            " --skip-locked, or with 'Leave out lines in locked quarters' on the upload screen; nothing was"
            " imported."
        )
        skipped = runner.invoke(args=["import-income", str(path), "--skip-locked"])
        assert skipped.exit_code == 0, skipped.output
        assert skipped.output.splitlines()[0] == (
            "imported 1, skipped 2 duplicates, skipped 1 lines in locked quarters (£3.00)"
        )

    def test_the_upload_screen_leaves_them_out_when_asked(self, login_as, session, q1_locked):
        client = login_as(Role.FINANCE).client
        data = csv_bytes(*self.MAY, "04/05/2026,LIB-PRINT,3.00,R4", "03/07/2026,LIB-PRINT,7.00,R5")

        def upload(**extra):
            return client.post(
                "/income/import",
                data={"kind": "income", "file": (io.BytesIO(data), "ytd.csv"), **extra},
                content_type="multipart/form-data",
            )

        refused = upload().get_data(as_text=True)
        assert "1 new line (£3.00) is dated in locked quarters" in refused
        preview = upload(skip_locked="y").get_data(as_text=True)
        assert "1 new line in locked quarters (£3.00) will be left out." in preview
        token = preview.split('name="token" value="', 1)[1].split('"', 1)[0]
        assert client.post("/income/import/confirm", data={"token": token}).status_code == 302
        session.reread()
        assert sorted(session.scalars(select(IncomeEntry.reference))) == ["R1", "R2", "R5"]


class TestCommandLine:
    def test_import_income_prints_the_summary(self, runner, session, stream, tmp_path):
        path = tmp_path / "ledger.csv"
        path.write_bytes(csv_bytes("01/05/2026,LIB-PRINT,10.00,R1", "01/05/2026,LIB-PRINT,10.00,R1"))
        result = runner.invoke(args=["import-income", str(path)])
        assert result.exit_code == 0, result.output
        assert result.output.splitlines()[0] == "imported 2, skipped 0 duplicates"
        assert runner.invoke(args=["import-income", str(path)]).output.splitlines() == [
            "imported 0, skipped 2 duplicates"
        ]

    def test_problems_go_to_stderr_one_a_line_and_exit_1(self, runner, session, stream, tmp_path):
        path = tmp_path / "ledger.csv"
        path.write_bytes(csv_bytes("01/05/2026,LIB-PRINT,10.00,R1", "01/05/2026,NOPE,x,R2"))
        result = runner.invoke(args=["import-income", str(path)])
        assert result.exit_code == 1
        assert 'row 3: stream_code: No stream has this code (the file has "NOPE")' in result.stderr
        assert "row 3: amount: Amount must be in pounds and pence, like 1,234.50" in result.stderr
        assert count(session) == 0

    def test_dry_run_flag(self, runner, session, stream, tmp_path):
        path = tmp_path / "ledger.csv"
        path.write_bytes(csv_bytes("01/05/2026,LIB-PRINT,10.00,R1"))
        result = runner.invoke(args=["import-income", str(path), "--dry-run"])
        assert result.exit_code == 0 and "would import 1" in result.output
        assert count(session) == 0

    def test_import_streams_and_budgets(self, runner, session, make_user, tmp_path):
        owner = make_user(Role.FINANCE, email="owner@council.example")
        make_site(session, "Maidstone Library")
        streams = tmp_path / "streams.csv"
        streams.write_text(
            "code,name,service,category,site,owner_email,status,description\n"
            "LIB-ROOM-MAI,Room hire Maidstone,Libraries,Room and venue hire,Maidstone Library,OWNER@council.example,,Hire\n"
            "REG-CERT,Certificates,Registration,Ceremonies and certificates,,,planned,\n"
        )
        result = runner.invoke(args=["import-streams", str(streams)])
        assert result.exit_code == 0, result.output
        assert result.output.strip() == "imported 2, skipped 0 duplicates"
        room = session.scalar(select(IncomeStream).where(IncomeStream.code == "LIB-ROOM-MAI"))
        assert room.owner_id == owner.id and room.status.value == "active"
        assert (
            runner.invoke(args=["import-streams", str(streams)]).output.strip()
            == "imported 0, skipped 2 duplicates"
        )

        budgets = tmp_path / "budgets.csv"
        budgets.write_text(
            "year,stream_code,annual_budget,q1,q2,q3,q4\n"
            '2026-27,LIB-ROOM-MAI,"£48,000.00",,,,\n'
            "2026-27,REG-CERT,1000,100,200,300,400\n"
        )
        result = runner.invoke(args=["import-budgets", str(budgets)])
        assert result.exit_code == 0, result.output
        session.reread()
        profiles = {b.stream.code: b.profile for b in session.scalars(select(Budget))}
        assert profiles == {"LIB-ROOM-MAI": (12_000_00,) * 4, "REG-CERT": (100_00, 200_00, 300_00, 400_00)}
        assert (
            runner.invoke(args=["import-budgets", str(budgets)]).output.strip()
            == "imported 0, skipped 2 duplicates"
        )

    def test_import_budgets_rejects_a_profile_that_does_not_add_up(self, runner, session, stream, tmp_path):
        budgets = tmp_path / "budgets.csv"
        budgets.write_text("year,stream_code,annual_budget,q1,q2,q3,q4\n2026-27,LIB-PRINT,100,25,25,25,\n"
                           "2026-28,LIB-PRINT,100,,,,\n2026-27,LIB-PRINT,100,20,20,20,20\n")  # fmt: skip
        result = runner.invoke(args=["import-budgets", str(budgets)])
        assert result.exit_code == 1
        lines = result.stderr.splitlines()
        assert lines[0].startswith("row 2: q4: Enter Q4")
        assert lines[1].startswith("row 3: year: 2026-28 is not a financial year")
        assert lines[2].startswith(
            "row 4: q4: The quarters add up to £80.00, £20.00 short of the annual budget"
        )
        assert count(session, Budget) == 0

    def test_import_budgets_takes_twelve_months(self, runner, session, stream, tmp_path):
        header = (
            "year,stream_code,annual_budget,q1,q2,q3,q4," + ",".join(f"p{n}" for n in range(1, 13)) + "\n"
        )
        months = "0,0,0,500,2000,500,0,0,1000,0,0,0"
        budgets = tmp_path / "budgets.csv"
        budgets.write_text(header + f"2026-27,LIB-PRINT,4000,,,,,{months}\n")
        result = runner.invoke(args=["import-budgets", str(budgets)])
        assert result.exit_code == 0, result.output + result.stderr
        session.reread()
        budget = session.scalar(select(Budget))
        assert (budget.profile, budget.months[3:6]) == (
            (0, 3_000_00, 1_000_00, 0),
            (500_00, 2_000_00, 500_00),
        )
        assert (
            runner.invoke(args=["import-budgets", str(budgets)]).output.strip()
            == "imported 0, skipped 1 duplicates"
        )
        bad = tmp_path / "bad.csv"
        bad.write_text(header + f"2026-27,LIB-PRINT,4000,0,2000,2000,0,{months}\n"
                       + "2026-27,LIB-PRINT,4000,,,,,0,0,0,500,2000,500,0,0,1000,0,0\n")  # fmt: skip
        refused = runner.invoke(args=["import-budgets", str(bad)])
        assert refused.exit_code == 1
        lines = refused.stderr.splitlines()
        assert lines[0] == ("row 2: q2: P4 to P6 add up to £3,000.00, £1,000.00 over Q2 of £2,000.00. "
                            "They must add up to it exactly.")  # fmt: skip
        assert lines[1].startswith("row 3: p12: Enter P12 (give all twelve months or none)")

    def test_missing_file(self, runner):
        result = runner.invoke(args=["import-income", "/no/such/file.csv"])
        assert result.exit_code == 1 and "Cannot read" in result.output


def test_the_readme_example_files_import_into_the_demo(runner, session):
    assert runner.invoke(args=["load-demo", "--today", "2026-11-28"]).exit_code == 0
    dry_run = runner.invoke(args=["import-bids", "examples/bids.csv", "--dry-run"])
    assert dry_run.output.splitlines() == [  # as the README shows it
        "would import 4, skipped 0 duplicates",
        "would create funders: Green Spaces Trust, Heritage Film Trust",
        "would create programmes: Small grants (Heritage Film Trust)",
    ]
    for kind in ("streams", "budgets", "income", "bids"):
        result = runner.invoke(args=[f"import-{kind}", f"examples/{kind}.csv"])
        assert result.exit_code == 0, result.output + result.stderr
        assert result.output.startswith("imported ")


def test_stream_rows_are_checked_by_the_stream_forms_own_rules(session):
    data = b"code,name,service,category\n=CMD,Room hire,Libraries,Room and venue hire\nLIB-X,,Libraries,Room and venue hire\n"
    result = imports.import_streams(session, data, "streams.csv", actor=None)
    assert [str(e) for e in result.errors] == [
        "row 2: code: Stream code must be up to 40 letters, digits, hyphens, dots, slashes or underscores"
        ' (the file has "=CMD")',
        "row 3: name: Enter the stream name",
    ]
