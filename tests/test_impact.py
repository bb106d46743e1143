"""Issue 29: impact evidence. A project with measures, targets, quarterly results (some imported)
and consented evidence in the Q2 pack in all four formats, with percentages worked by hand;
consent that does not cover committee papers, has expired or was withdrawn; photos without
EXIF; locked quarters; the import; the demo's activity report opened by LibreOffice."""

from __future__ import annotations

import io
import re
import subprocess
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import func, select

from incometrack import periods
from incometrack.exports.html import write_html
from incometrack.exports.pdf import write_pdf
from incometrack.exports.xlsx import write_workbook
from incometrack.models import (
    AuditEvent,
    ConsentGiver,
    ConsentUse,
    Evidence,
    EvidenceKind,
    EvidenceUse,
    MeasureKind,
    MeasureResult,
    MeasureUnit,
    Outcome,
    Role,
)
from incometrack.rag import Rag
from incometrack.reports.impact import WITHHELD
from incometrack.reports.returns import build_return, load_return, return_for
from incometrack.services import AS_READ, NotAllowed, ValidationErrors, impact, imports, locks
from incometrack.services import returns as return_service
from tests.conftest import needs
from tests.factories import make_project

Q2 = periods.FinancialYear(2026).quarter(2)
#: the pack is produced on 15 October 2026: consents are read for that day
PRODUCED = datetime(2026, 10, 15, 9, 0, tzinfo=UTC)
META = {"council": "Kent County Council", "service_name": "Libraries, Registration and Archives"}


def _outcome(session, name: str) -> int:
    return session.scalar(select(Outcome.id).where(Outcome.name == name))


def _photo(fmt: str = "JPEG", *, gps: bool = True) -> bytes:
    """A small picture carrying a camera's EXIF with a GPS position (and a comment)."""
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 12"  # Model
    if gps:
        exif[0x8825] = {1: "N", 2: (51.0, 4.0, 52.0), 3: "E", 4: (1.0, 10.0, 0.0)}  # GPSInfo: Folkestone
    image.save(out, fmt, exif=exif.tobytes())
    return out.getvalue()


@pytest.fixture
def world(session, make_user):
    """Makerspaces from 1 April 2026: attendances (0 to 2,000) and confidence (40% to 80%) by
    31 March 2027; Q1 recorded on the screen's service, Q2 imported; five items of evidence."""
    finance, lead = make_user(Role.FINANCE), make_user(Role.LEAD)
    project = make_project(session, finance, lead=lead, name="Makerspaces")
    project.starts_on = date(2026, 4, 1)
    digital = _outcome(session, "Improved digital access and literacy")
    creative = _outcome(session, "Cultural and creative enrichment")
    attendances = impact.create_measure(
        session,
        impact.MeasureInput("Attendances", MeasureUnit.ATTENDANCES, MeasureKind.OUTPUT, creative),
        actor=None,
    )
    confidence = impact.create_measure(
        session,
        impact.MeasureInput(
            "More confident online", MeasureUnit.PERCENTAGE, MeasureKind.OUTCOME, digital, offer=None
        ),
        actor=None,
    )
    targets = {}
    for measure, baseline, target in ((attendances, "0", "2000"), (confidence, "40", "80")):
        targets[measure.name] = impact.set_target(
            session,
            project,
            impact.TargetInput(measure.id, Decimal(baseline), Decimal(target), date(2027, 3, 31)),
            actor=lead,
            expected_version=AS_READ,
        )
    for name, value in (("Attendances", "300"), ("More confident online", "50")):
        impact.record_result(
            session, targets[name], Q2.previous(), Decimal(value), actor=lead, expected_version=AS_READ,
            today=date(2026, 10, 1),
        )  # fmt: skip
    session.commit()
    result = imports.import_results(
        session,
        b"project,measure,year,quarter,value,site,source\n"
        b"Makerspaces,Attendances,2026-27,2,500,,register\n"
        b"Makerspaces,More confident online,2026-27,Q2,60,,survey\n",
        "q2.csv",
        actor=lead,
        today=date(2026, 10, 1),
    )
    assert result.ok and result.summary() == "imported 2, skipped 0 duplicates", result.errors
    session.commit()
    items = {}

    def add(title, kind, day, uses, *, body="", upload=None, alt="", approve=True, given=date(2026, 5, 1)):
        evidence = impact.add_evidence(
            session,
            project,
            impact.EvidenceInput(
                kind, title, day, body=body, attribution="Makerspace member, Ashford", alt_text=alt
            ),
            upload,
            actor=lead,
            today=date(2026, 10, 1),
        )
        if uses is not None:
            impact.record_consent(
                session,
                evidence,
                impact.ConsentInput(ConsentGiver.PERSON, given, frozenset(uses)),
                actor=lead,
                today=date(2026, 10, 1),
            )
        if approve:
            impact.approve(session, evidence, actor=finance, expected_version=AS_READ)
        items[title] = evidence

    add(
        "From bike repair to apprenticeship",
        EvidenceKind.CASE_STUDY,
        date(2026, 6, 1),
        ConsentUse,
        body="He came to fix his bike and stayed to learn CAD.",
    )
    add(
        "First print",
        EvidenceKind.QUOTE,
        date(2026, 7, 1),
        {ConsentUse.COMMITTEE_PAPERS},
        body="I never thought I'd hold something I designed.",
    )
    add(
        "Funder only",
        EvidenceKind.QUOTE,
        date(2026, 8, 1),
        {ConsentUse.FUNDER_REPORTS},
        body="Words for the funder alone.",
    )
    add(
        "Not approved",
        EvidenceKind.QUOTE,
        date(2026, 9, 1),
        ConsentUse,
        body="Not yet approved words.",
        approve=False,
    )
    add("Laser cutter", EvidenceKind.PHOTO, date(2026, 9, 2), ConsentUse, upload=impact.Upload(_photo(), "x.jpg"),
        alt="A pattern cut from card on a blue workbench")  # fmt: skip
    session.commit()
    return {"project": project, "lead": lead, "finance": finance, "targets": targets, "items": items}


def _pack(session):
    return build_return(session, Q2, now=PRODUCED, **META)


def test_the_q2_pack_has_each_measure_worked_by_hand(world, session):
    report = _pack(session)
    lines = {m.measure: m for m in report.impact.measures}
    # Attendances: 300 + 500 = 800 of 2,000 from 0: 40.0%; 182 of 364 days from 1 Apr 2026 to
    # 31 Mar 2027 have passed at 30 Sep 2026 (50.0%): 40.0 is within 10 points below: Amber.
    a = lines["Attendances"]
    assert (a.baseline, a.target, a.this_quarter, a.year_to_date) == (0, 2000, 500, 800)
    assert a.percent_of_target == Decimal("40.0") and a.rag is Rag.AMBER
    # Confidence: a percentage's year to date is its latest quarter, 60 (never 50 + 60);
    # (60 - 40) / (80 - 40) = 50.0%, at least the 50.0% elapsed: Green.
    c = lines["More confident online"]
    assert (c.this_quarter, c.year_to_date, c.percent_of_target, c.rag) == (
        60,
        60,
        Decimal("50.0"),
        Rag.GREEN,
    )
    # The roll-up counts the project once though it reports two measures of two outcomes.
    total = report.impact.total
    assert (total.projects, total.measures, total.green, total.amber, total.red) == (1, 2, 1, 1, 0)
    by_outcome = {r.name: r for r in report.impact.by_outcome}
    assert by_outcome["Cultural and creative enrichment"].projects == 1
    assert by_outcome["Improved digital access and literacy"].measures == 1
    assert by_outcome["Greater prosperity"].projects == 0
    # Evidence: the case study, the quote consented for committee papers, the other quote withheld
    # (its consent covers funder reports only), the photo; the unapproved quote nowhere.
    shown = [(e.kind, e.title, e.withheld) for e in report.impact.evidence]
    assert shown == [
        ("Case study", "From bike repair to apprenticeship", False),
        ("Quote", WITHHELD, True),
        ("Quote", "First print", False),
        ("Photo", "Laser cutter", False),
    ]
    withheld = next(e for e in report.impact.evidence if e.withheld)
    assert withheld.text == WITHHELD and withheld.attribution == "" and "funder" not in withheld.text
    assert set(report.impact.shown_evidence_ids) == {
        world["items"][t].id for t in ("From bike repair to apprenticeship", "First print", "Laser cutter")
    }


@needs("pdftotext")
def test_the_pack_shows_impact_in_the_workbook_the_pdf_and_the_html(world, session, tmp_path):
    report = _pack(session)
    data = io.BytesIO()
    write_workbook(report, data)
    sheet = load_workbook(io.BytesIO(data.getvalue()))["Impact and outcomes"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    attendances = next(r for r in rows if r[1] == "Attendances")
    # Project, Measure, Unit, Baseline, Target, Target date, This quarter, Year to date, % of target, RAG
    assert attendances[:5] == ["Makerspaces", "Attendances", "attendances", 0, 2000]
    assert attendances[6:10] == [500, 800, Decimal("0.4"), "Amber"] or attendances[6:10] == [
        500,
        800,
        0.4,
        "Amber",
    ]
    words = " ".join(str(v) for r in rows for v in r if v)
    assert "Evidence" in words and "Withheld: consent" in words and "I never thought" in words
    assert "Words for the funder alone" not in words and "Not yet approved" not in words
    assert len(sheet._images) == 1  # the photo, beside its row

    pdf = io.BytesIO()
    write_pdf(report, pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf.getvalue(), capture_output=True
    ).stdout
    text = text.decode()
    assert "Impact and outcomes" in text and "40.0%" in text and "50.0%" in text
    assert "Withheld: consent" in text and "I never thought" in text and "Words for the funder" not in text
    (tmp_path / "pack.pdf").write_bytes(pdf.getvalue())
    images = subprocess.run(
        ["pdfimages", "-list", str(tmp_path / "pack.pdf")], capture_output=True, text=True
    )
    assert len(images.stdout.strip().splitlines()) - 2 >= 1  # the photo is drawn

    html = io.BytesIO()
    write_html(report, html)
    page = html.getvalue().decode()
    assert 'id="impact"' in page and "40.0%" in page and "Withheld: consent" in page
    assert 'alt="A pattern cut from card on a blue workbench"' in page and "data:image/jpeg;base64," in page
    assert "Words for the funder alone" not in page


def test_the_page_shows_impact_and_outcomes(world, login_as):
    client = login_as(Role.FINANCE).client
    page = client.get("/returns/2026-27/2").get_data(as_text=True)
    assert 'id="impact"' in page and "Projects and their measures by Libraries Deliver outcome" in page
    assert "Withheld: consent" in page


def test_a_submitted_return_freezes_impact_and_locks_the_quarter(world, session, make_user):
    finance = world["finance"]
    snapshot = return_service.submit(session, Q2, actor=finance, today=date(2026, 10, 15), **META)
    session.commit()
    frozen = load_return(snapshot.data).impact
    assert [m.year_to_date for m in frozen.measures] == [800, 60]
    assert frozen.evidence[-1].image  # the photo is kept with the figures
    # The quarter is locked: its results refuse changes, on the service and on the screen.
    target = world["targets"]["Attendances"]
    with pytest.raises(locks.PeriodLocked, match="locked"):
        impact.record_result(
            session,
            target,
            Q2,
            Decimal(900),
            actor=world["lead"],
            expected_version=AS_READ,
            today=date(2026, 10, 20),
        )
    session.rollback()
    # Later evidence and results change nothing in the submitted return.
    withdrawn = world["items"]["First print"]
    impact.withdraw_consent(session, withdrawn, on=date(2026, 10, 16), reason="", actor=None,
                            expected_version=AS_READ, today=date(2026, 10, 16))  # fmt: skip
    session.commit()
    again = return_for(session, Q2, **META)
    assert again.impact == frozen


def test_a_locked_quarter_refuses_a_result_on_the_screen_until_an_admin_reopens_it(world, session, login_as):
    locks.lock(session, Q2, actor=world["finance"])
    session.commit()
    lead = login_as(Role.LEAD)
    project, target = world["project"], world["targets"]["Attendances"]
    project.lead_id = lead.user.id
    session.commit()
    url = f"/projects/{project.id}/impact/targets/{target.id}/2026-27/q2"
    page = lead.client.get(url).get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    response = lead.client.post(url, data={"value": "900", "site_id": "", "source": "", "version": version})
    assert response.status_code == 400 and "is locked" in response.get_data(as_text=True)
    assert session.scalar(select(func.sum(MeasureResult.value))) == Decimal("910")  # 300+500+50+60
    admin = login_as(Role.ADMIN).user
    lock = locks.lock_for(session, Q2)
    locks.reopen(session, Q2, actor=admin, reason="Late register", expected_version=lock.version)
    session.commit()
    response = lead.client.post(url, data={"value": "900", "site_id": "", "source": "", "version": version})
    assert response.status_code == 302
    session.reread()
    assert target.results[-1].value == 900


def test_a_stale_result_edit_is_409_and_saving_unchanged_changes_nothing(world, session, login_as):
    finance = login_as(Role.FINANCE).client
    project, target = world["project"], world["targets"]["Attendances"]
    url = f"/projects/{project.id}/impact/targets/{target.id}/2026-27/q2"
    page = finance.get(url).get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    value = re.search(r'<input[^>]*name="value"[^>]*value="([^"]*)"', page).group(1)
    assert value == "500"
    audit_before = session.scalar(select(func.count()).select_from(AuditEvent))
    form = {"value": value, "site_id": "", "source": "register", "version": version}
    assert finance.post(url, data=form).status_code == 302
    session.reread()
    result = target.results[-1]
    assert (result.value, result.version) == (500, int(version))  # nothing changed, no new version
    audit_after = session.scalar(select(func.count()).select_from(AuditEvent))
    assert audit_after == audit_before
    impact.record_result(
        session, target, Q2, Decimal(501), actor=None, expected_version=AS_READ, today=date(2026, 10, 20)
    )
    session.commit()
    response = finance.post(url, data={**form, "value": "650"})
    assert response.status_code == 409
    session.reread()
    assert target.results[-1].value == 501


def test_consent_expired_or_withdrawn_withholds_and_withdrawal_lists_the_files(world, session, tmp_path):
    quote = world["items"]["First print"]
    # Exported on 15 October: the file shows the quote.
    files = return_service.export(session, _pack(session), ("pdf",), tmp_path, actor=world["finance"])
    session.commit()
    uses = impact.withdraw_consent(session, quote, on=date(2026, 10, 20), reason="Asked by phone", actor=None,
                                   expected_version=AS_READ, today=date(2026, 10, 20))  # fmt: skip
    session.commit()
    assert [u.filename for u in uses] == [files[0].path.name]
    assert uses[0].output.endswith("(PDF)")
    # A pack produced before the withdrawal showed it; one produced after withholds it.
    assert impact.consent_covers(quote.consent, ConsentUse.COMMITTEE_PAPERS, date(2026, 10, 19))
    late = build_return(session, Q2, now=datetime(2026, 10, 21, tzinfo=UTC), **META)
    assert "First print" not in [e.title for e in late.impact.evidence]
    assert sum(e.withheld for e in late.impact.evidence) == 2
    # Consent lasts five years by default: given 1 May 2026, it covers 30 April 2031, not 1 May 2031.
    case = world["items"]["From bike repair to apprenticeship"].consent
    assert case.expires_on == date(2031, 5, 1)
    assert impact.consent_covers(case, ConsentUse.COMMITTEE_PAPERS, date(2031, 4, 30))
    assert not impact.consent_covers(case, ConsentUse.COMMITTEE_PAPERS, date(2031, 5, 1))
    expired = build_return(session, Q2, now=datetime(2031, 5, 2, tzinfo=UTC), **META)
    assert all(e.withheld for e in expired.impact.evidence)


def test_a_withdrawal_through_the_screen_lists_the_files(world, session, login_as, tmp_path):
    finance = login_as(Role.FINANCE)
    quote = world["items"]["First print"]
    return_service.export(session, _pack(session), ("xlsx",), tmp_path, actor=finance.user)
    session.commit()
    page = finance.client.get(f"/evidence/{quote.id}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page.split("withdraw", 1)[1]).group(1)
    response = finance.client.post(
        f"/evidence/{quote.id}/withdraw",
        data={"withdrawn_on": date.today().strftime("%d/%m/%Y"), "reason": "", "version": version},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Consent withdrawn" in body
    assert "financial-resilience-return-2026-27-Q2-DRAFT.xlsx" in body


def test_a_photo_comes_back_without_exif_or_location(world, session):
    photo = world["items"]["Laser cutter"]
    assert b"PhoneMaker" in _photo() and b"PhoneMaker" not in photo.content
    with Image.open(io.BytesIO(photo.content)) as image:
        assert image.format == "JPEG" and image.size == (64, 48)
        assert dict(image.getexif()) == {} and "exif" not in image.info
    png = impact.clean_photo(_photo("PNG"))
    assert png[1] == "image/png" and b"PhoneMaker" not in png[0]
    with Image.open(io.BytesIO(png[0])) as image:
        assert dict(image.getexif()) == {} and not {"exif", "XML:com.adobe.xmp"} & set(image.info)


@pytest.mark.parametrize(
    "data",
    [
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
        b"%PDF-1.4 not a photo",
        b"\xff\xd8\xff\xe0 truncated jpeg",
        b"",
    ],
    ids=["gif", "pdf", "broken-jpeg", "empty"],
)
def test_a_file_that_is_not_really_a_jpeg_or_png_is_refused_by_what_it_holds(world, session, data):
    with pytest.raises(ValidationErrors) as refused:
        impact.add_evidence(
            session,
            world["project"],
            impact.EvidenceInput(EvidenceKind.PHOTO, "Fake", date(2026, 9, 1), attribution="A", alt_text="B"),
            impact.Upload(data, "holiday.jpg"),
            actor=None,
        )
    assert refused.value.errors.get("upload") in (
        "The photo must be a JPEG or PNG image",
        "Choose the photo",
    )


def test_the_evidence_form_refuses_a_fake_photo_beside_the_field_and_a_big_one_with_413(
    world, session, login_as, app
):
    finance = login_as(Role.FINANCE).client
    url = f"/projects/{world['project'].id}/evidence/new"
    form = {"kind": "photo", "title": "Fake", "occurred_on": "01/09/2026", "attribution": "A", "alt_text": "B",
            "given_by": "", "body": "", "url": ""}  # fmt: skip
    response = finance.post(url, data={**form, "upload": (io.BytesIO(b"MZ not an image"), "photo.jpg")},
                            content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 400
    assert "The photo must be a JPEG or PNG image" in response.get_data(as_text=True)
    count = session.scalar(select(func.count()).select_from(Evidence))
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024  # MAX_UPLOAD_MB=1
    big = finance.post(url, data={**form, "upload": (io.BytesIO(b"\xff" * (1024 * 1024 + 10)), "big.jpg")},
                       content_type="multipart/form-data")  # fmt: skip
    assert big.status_code == 413
    assert session.scalar(select(func.count()).select_from(Evidence)) == count


def test_a_lead_adds_a_photo_with_consent_on_the_screen_and_finance_approves_it(world, session, login_as):
    lead = login_as(Role.LEAD)
    project = world["project"]
    project.lead_id = lead.user.id
    session.commit()
    response = lead.client.post(
        f"/projects/{project.id}/evidence/new",
        data={"kind": "photo", "title": "Open day", "occurred_on": "02/09/2026", "attribution": "Visitors, Ashford",
              "alt_text": "People at the makerspace's open day", "given_by": "the person", "uses": ["committee papers"],
              "given_on": "02/09/2026", "expires_on": "", "body": "", "url": "",
              "upload": (io.BytesIO(_photo()), "open-day.jpg")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)
    evidence = session.scalar(select(Evidence).where(Evidence.title == "Open day"))
    assert evidence.consent.committee_papers and not evidence.consent.funder_reports
    assert evidence.consent.expires_on == date(2031, 9, 2) and evidence.approved_at is None
    assert b"PhoneMaker" not in evidence.content
    assert lead.client.get(f"/evidence/{evidence.id}/file").data == evidence.content
    # a lead cannot approve; finance can
    assert (
        lead.client.post(f"/evidence/{evidence.id}/approve", data={"version": evidence.version}).status_code
        == 403
    )
    finance = login_as(Role.FINANCE).client
    assert (
        finance.post(f"/evidence/{evidence.id}/approve", data={"version": evidence.version}).status_code
        == 302
    )
    session.reread()
    assert evidence.approved_at is not None


def test_consent_for_a_child_is_given_by_a_parent_or_guardian(world, session):
    item = world["items"]["Not approved"]
    impact_item = impact.add_evidence(
        session,
        world["project"],
        impact.EvidenceInput(
            EvidenceKind.QUOTE, "Child", date(2026, 9, 1), body="Fun!", attribution="Child, 8"
        ),
        actor=None,
    )
    with pytest.raises(ValidationErrors) as refused:
        impact.record_consent(
            session,
            impact_item,
            impact.ConsentInput(ConsentGiver.PERSON, date(2026, 9, 1), frozenset(ConsentUse), child=True),
            actor=None,
        )
    assert refused.value.errors == {"given_by": "A child's consent is given by a parent or guardian"}
    assert item.consent is not None


def test_import_results_reports_rows_and_duplicates(world, session, runner, tmp_path):
    file = tmp_path / "results.csv"
    file.write_text(
        "project,measure,year,quarter,value\n"
        "Makerspaces,Attendances,2026-27,2,500\n"  # already recorded, same value: a duplicate
        "Makerspaces,Attendances,2026-27,1,301\n"  # already recorded as 300
        "Makerspaces,Sessions,2026-27,1,5\n"
        "Nowhere,Attendances,2026-27,5,1.25\n"
    )
    result = runner.invoke(args=["import-results", str(file)])
    assert result.exit_code == 1
    assert result.output.splitlines()[:5] == [
        'row 3: value: 2026-27 Q1 is already recorded as 300: correct it on the project\'s impact page (the file has "301")',
        'row 4: measure: No measure is called this (the file has "Sessions")',
        'row 5: project: No project is called this (the file has "Nowhere")',
        'row 5: quarter: Quarter must be 1, 2, 3 or 4 (or Q1 to Q4) (the file has "5")',
        'row 5: value: Value can have one decimal place at most (the file has "1.25")',
    ]
    file.write_text("project,measure,year,quarter,value\nMakerspaces,Attendances,2026-27,2,500\n")
    result = runner.invoke(args=["import-results", str(file)])
    assert result.exit_code == 0 and "imported 0, skipped 1 duplicates" in result.output


def test_a_lead_may_not_import_results_for_another_leads_project(world, session, make_user):
    other = make_user(Role.LEAD)
    result = imports.import_results(
        session, b"project,measure,year,quarter,value\nMakerspaces,Attendances,2026-27,3,1\n", "x.csv",
        actor=other, today=date(2026, 10, 1),
    )  # fmt: skip
    assert [str(e) for e in result.errors] == [
        'row 2: project: You can only record results for projects you lead (the file has "Makerspaces")'
    ]


def test_targets_belong_to_the_projects_lead(world, session, make_user):
    with pytest.raises(NotAllowed):
        impact.set_target(
            session,
            world["project"],
            impact.TargetInput(
                world["targets"]["Attendances"].measure_id, Decimal(0), Decimal(5), date(2027, 1, 1)
            ),
            actor=make_user(Role.LEAD),
            expected_version=AS_READ,
        )
    with pytest.raises(ValidationErrors) as refused:
        impact.set_target(
            session,
            world["project"],
            impact.TargetInput(
                world["targets"]["Attendances"].measure_id, Decimal(5), Decimal(5), date(2026, 3, 1)
            ),
            actor=None,
            expected_version=AS_READ,
        )
    assert set(refused.value.errors) == {"target", "target_on"}


def test_an_admin_keeps_the_measures_on_the_screen(world, session, login_as):
    admin = login_as(Role.ADMIN).client
    outcome = _outcome(session, "Healthier and happier lives")
    response = admin.post(
        "/admin/measures/new",
        data={"name": "Wellbeing score", "unit": "score", "kind": "outcome", "outcome_id": str(outcome),
              "offer": "health", "definition": "WEMWBS, mean", "active": "y"},
    )  # fmt: skip
    assert response.status_code == 302
    page = admin.get("/admin/measures").get_data(as_text=True)
    assert "Wellbeing score" in page and "Health and Wellbeing" in page
    duplicate = admin.post(
        "/admin/measures/new",
        data={"name": "Attendances", "unit": "attendances", "kind": "output", "outcome_id": str(outcome)},
    )
    assert (
        duplicate.status_code == 400
        and "A measure called Attendances already exists" in duplicate.get_data(as_text=True)
    )


def test_the_demo_pack_shows_the_makerspaces_impact_with_a_case_study_withheld(session):
    """README: the demo's pack has the makerspaces' measures and evidence, one case study withheld."""
    from incometrack import demo

    demo.load(session, today=date(2026, 12, 8))
    session.commit()
    report = build_return(session, Q2, now=datetime(2026, 12, 8, tzinfo=UTC), **META)
    lines = {m.measure: m for m in report.impact.measures}
    # Q1 50 + Q2 70 sessions of 240 (50.0%), 430 + 575 attendances of 2,400 (41.9%) at 30 Sep
    assert (lines["Makerspace sessions"].year_to_date, lines["Makerspace sessions"].percent_of_target) == (
        120,
        Decimal("50.0"),
    )
    assert lines["Makerspace attendances"].percent_of_target == Decimal("41.9")
    assert [(e.kind, e.withheld) for e in report.impact.evidence] == [
        ("Case study", True),
        ("Quote", False),
        ("Photo", False),
    ]


@needs("soffice")
def test_the_demo_digital_playground_activity_report_opens_in_libreoffice(session, runner, tmp_path):
    from incometrack import demo
    from incometrack.models import GrantBid
    from incometrack.reports.activity import build_activity_report

    demo.load(session, today=date(2026, 12, 8))
    session.commit()
    bid = session.scalar(select(GrantBid).where(GrantBid.title == "Kent's Digital Playground"))
    result = runner.invoke(args=["export-activity-report", "--bid", str(bid.id), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    docx = tmp_path / "activity-report-kent-s-digital-playground.docx"
    assert result.output.strip() == str(docx)
    subprocess.run(["soffice", "--headless", "--convert-to", "txt:Text", "--outdir", str(tmp_path), str(docx)],
                   check=True, capture_output=True, timeout=180)  # fmt: skip
    text = (tmp_path / docx.with_suffix(".txt").name).read_text(encoding="utf-8-sig")
    report = build_activity_report(session, bid.id, today=date.today())
    # The figures as the app computes them, and as worked by hand from the demo's results.
    lines = {m.measure: m for m in report.measures}
    assert lines["Unique participants"].year_to_date == 1230  # 210 + 340 + 380 + 300
    assert lines["Unique participants"].percent_of_target == Decimal("102.5")  # 1,230 / 1,200
    assert lines["Participants more confident online"].year_to_date == Decimal("72.5")  # the latest
    assert lines["Participants more confident online"].percent_of_target == Decimal("92.9")  # 32.5 / 35
    for figure in ("1,230", "102.5%", "72.5", "92.9%", "3,110", "103.7%", "144", "100.0%",
                   "£80,000.00", "£20,000.00", "£100,000.00", "CT20 1HD", "CT9 1RE"):  # fmt: skip
        assert figure in text, figure
    assert "Three generations learning to code" in text and "I made the robot go round the library!" in text
    assert "Families came back when sessions ran at the same time each week" in text
    assert text.count("Withheld: consent") == 0  # every Playground item's consent covers funder reports
    session.reread()
    uses = session.scalars(select(EvidenceUse.filename)).all()
    assert set(uses) == {docx.name}


def test_an_activity_report_is_for_an_awarded_grant(session, login_as):
    from tests.factories import make_bid

    finance = login_as(Role.FINANCE)
    bid = make_bid(session, finance.user)
    response = finance.client.post(f"/grants/bids/{bid.id}/activity-report/docx")
    assert response.status_code == 409 and "awarded grant" in response.get_data(as_text=True)


def test_the_upload_screen_previews_and_imports_results(world, session, login_as):
    from tests.web.test_import_pages import token_of, upload

    finance = login_as(Role.FINANCE).client
    data = (
        b"project,measure,year,quarter,value,site,source\nMakerspaces,Attendances,2026-27,3,410,,register\n"
    )
    preview = upload(finance, data, name="q3.csv", kind="results")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "410" in html
    assert finance.post("/income/import/confirm", data={"token": token_of(html)}).status_code == 302
    session.reread()
    assert world["targets"]["Attendances"].results[-1].value == 410
    bad = upload(finance, data.replace(b"410", b"4x"), name="bad.csv", kind="results")
    assert bad.status_code == 400
    problems = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", bad.get_data(as_text=True)))
    assert "2 value Value must be a number, like 120 or 72.5 (the file has 4x )" in problems
