"""More than fifty hostile strings entered through forms and imports come out as plain text in
pages, the workbook, the CSV-like text cells and the PDF: no formula cells, no live markup."""

import subprocess
from datetime import date

import pytest
from openpyxl import load_workbook

from incometrack.models import Role
from incometrack.periods import FinancialYear
from incometrack.reports.returns import build_return
from incometrack.services import returns as return_service
from tests.conftest import needs
from tests.factories import make_budget, make_stream
from tests.injection_payloads import PAYLOADS

Q2 = FinancialYear(2026).quarter(2)


@pytest.fixture
def hostile(login_as, session):
    """Enter every payload through the forms (references, descriptions, commentary) and an import."""
    finance = login_as(Role.FINANCE)
    stream = make_stream(session, "LIB-X", name="<script>window.__pwned=1</script> =1+1 stream")
    make_budget(session, stream, 1_000_000_00)
    client = finance.client
    for n, payload in enumerate(PAYLOADS):
        response = client.post(
            "/income/entries/new",
            data={
                "date_received": f"{1 + n % 28:02d}/0{4 + n % 6}/2026",
                "stream_id": stream.id,
                "amount": f"{n + 1}.00",
                "reference": payload[:120],
                "description": payload,
            },
        )
        assert response.status_code == 302, (payload, response.get_data(as_text=True)[:500])
    csv_lines = ["date,stream_code,amount,reference,description"]
    for n, payload in enumerate(PAYLOADS):
        quoted = payload.replace('"', '""')
        csv_lines.append(f'0{1 + n % 9}/07/2026,LIB-X,{n + 100}.00,"IMP-{n}","{quoted}"')
    from incometrack.services import imports

    result = imports.import_income(
        session, ("\n".join(csv_lines) + "\n").encode(), "hostile.csv", actor=finance.user
    )
    assert result.ok, result.errors
    session.commit()
    forecast = client.post(
        f"/income/streams/{stream.id}/forecast/2026-27/2",
        data={"outturn": "1", "commentary": " | ".join(PAYLOADS), "version": "0", "submit": "Save"},
    )
    assert forecast.status_code == 302
    return finance


def test_pages_show_the_payloads_as_text(hostile):
    client = hostile.client
    for path in ("/income/entries?year=2026-27&per_page=200", "/returns/2026-27/2", "/income/streams", "/"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>window.__pwned" not in html and "<script>alert(1)" not in html, path
        assert 'onerror="window' not in html and '<iframe src="http://evil' not in html, path
    html = client.get("/income/entries?year=2026-27&per_page=200").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "{{ 7*7 }}" in html and ">49<" not in html  # never evaluated as a template


def test_the_workbook_has_no_formula_cells_but_its_totals(hostile, session, tmp_path):
    report = build_return(session, Q2, council="C", service_name="S")
    [file] = return_service.export(session, report, ("xlsx",), tmp_path, actor=None)
    book = load_workbook(file.path)
    formulas, texts = [], []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    formulas.append(str(cell.value))
                elif isinstance(cell.value, str):
                    texts.append(cell.value)
    assert formulas and all(f.startswith(("=SUM(", "=IF(")) for f in formulas)
    for payload in PAYLOADS:
        stored = payload.strip()  # the app trims surrounding white space on the way in
        if stored.startswith(("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")):
            assert "'" + stored in texts, repr(payload)  # defused with a leading apostrophe
        else:
            assert stored in texts, repr(payload)


@needs("pdftotext")
def test_the_pdf_prints_the_markup_as_text(hostile, session, tmp_path):
    report = build_return(session, Q2, council="C", service_name="S")
    [file] = return_service.export(session, report, ("pdf",), tmp_path, actor=None)
    text = " ".join(
        subprocess.run(
            ["pdftotext", str(file.path), "-"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    for fragment in (
        "<font color=red size=40>big",
        '<img src="http://evil.example/x.png"',
        "<unichar name=",
        "<script>alert(1)</script>",
        "<b>bold</b><i>italic</i>",
        "&amp; &lt; &#60;",
    ):
        assert fragment in text, fragment
    images = subprocess.run(
        ["pdfimages", "-list", str(file.path)], capture_output=True, text=True, check=True
    ).stdout
    assert len(images.strip().splitlines()) <= 2  # header lines only: no image was fetched or embedded
    _ = date


def test_the_published_html_shows_the_markup_as_text(hostile, session, tmp_path):
    report = build_return(session, Q2, council="C", service_name="S")
    [file] = return_service.export(session, report, ("html",), tmp_path, actor=None)
    html = file.path.read_text()
    assert "<script" not in html.lower().replace("&lt;script", "")
    assert 'onerror="window' not in html and "<iframe" not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt; =1+1 stream" in html  # the stream's name
    assert "&lt;b&gt;bold&lt;/b&gt;" in html  # commentary, escaped once: shown as typed
