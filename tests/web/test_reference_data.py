"""Administrators keep services, sites and income categories; imports and forms then find them."""

from sqlalchemy import select

from incometrack.models import AuditEvent, IncomeCategory, Role, Site


def test_admin_adds_a_site_and_a_category(login_as, session):
    admin = login_as(Role.ADMIN).client
    assert admin.get("/admin/reference").status_code == 200
    bad = admin.post("/admin/sites/new", data={"name": "", "kind": "hub", "service_id": ""})
    assert bad.status_code == 400 and "Enter a name" in bad.get_data(as_text=True)
    ok = admin.post(
        "/admin/sites/new", data={"name": "Ashford Gateway", "kind": "hub", "service_id": "1", "active": "y"}
    )
    assert ok.status_code == 302
    site = session.scalar(select(Site).where(Site.name == "Ashford Gateway"))
    assert site.service.name == "Libraries" and site.active
    dup = admin.post("/admin/sites/new", data={"name": "ashford gateway", "kind": "hub", "service_id": "1"})
    assert dup.status_code == 400 and "already exists" in dup.get_data(as_text=True)
    ok = admin.post(
        "/admin/categories/new", data={"name": "Filming and photography", "cipfa_line_id": "3", "active": "y"}
    )
    assert ok.status_code == 302
    category = session.scalar(select(IncomeCategory).where(IncomeCategory.name == "Filming and photography"))
    assert category.cipfa_line.name == "Lettings"
    renamed = admin.post(
        f"/admin/categories/{category.id}/edit",
        data={"name": "Filming", "cipfa_line_id": "", "cipfa_note": "Corporate", "version": "1"},
    )
    assert renamed.status_code == 302
    session.reread()
    assert (category.name, category.cipfa_line_id, category.active) == ("Filming", None, False)
    assert session.scalar(select(AuditEvent).where(AuditEvent.entity == "sites")) is not None
    # Drawn from version 1, which the rename replaced: refused, and nothing saved.
    stale = admin.post(
        f"/admin/categories/{category.id}/edit", data={"name": "Film", "cipfa_line_id": "", "version": "1"}
    )
    assert stale.status_code == 409
    missing = admin.post(f"/admin/categories/{category.id}/edit", data={"name": "Film", "cipfa_line_id": ""})
    assert missing.status_code == 400
    assert "did not say which version" in missing.get_data(as_text=True)
    session.reread()
    assert category.name == "Filming"


def test_only_admins_keep_reference_data(login_as):
    finance = login_as(Role.FINANCE).client
    assert finance.get("/admin/reference").status_code == 403
    assert finance.post("/admin/services/new", data={"name": "Museums"}).status_code == 403
