from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from incometrack import downloads, policy
from incometrack.admin.forms import (
    AuditFilterForm,
    CategoryForm,
    ConfirmForm,
    NewUserForm,
    ResetPasswordForm,
    RoleForm,
    ServiceForm,
    SiteForm,
)
from incometrack.auth.access import roles_required
from incometrack.extensions import db
from incometrack.forms import (
    arg_int,
    choices,
    commit_or_show,
    confirm_page,
    form_status,
    optional_int,
    version_of,
)
from incometrack.models import AuditEvent, CipfaLine, IncomeCategory, Service, Site, SiteKind, User
from incometrack.reports import audit as audit_reports
from incometrack.reports import listings
from incometrack.services import MissingVersion, ServiceError, StaleEdit, users
from incometrack.services import reference as reference_service

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users")
@roles_required(policy.ADMINS)
def users_list():
    """List every account with its role and state."""
    people = db.session.scalars(select(User).order_by(User.active.desc(), User.name)).all()
    break_glass = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "break-glass login")
        .order_by(AuditEvent.id.desc())
        .limit(50)
    ).all()
    return render_template("admin/users.html", users=people, break_glass=break_glass)


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(policy.ADMINS)
def user_new():
    """Create an account."""
    form = NewUserForm()
    if form.validate_on_submit():
        user = commit_or_show(
            form,
            lambda: users.create_user(
                db.session,
                email=form.email.data,
                name=form.name.data,
                role=form.role.data,
                password=form.password.data,
                actor=current_user,
            ),
        )
        if user is not None:
            flash(f"{user.name} can now sign in as {user.role.label.lower()}.")
            return redirect(url_for("admin.users_list"))
    return render_template("admin/user_new.html", form=form), form_status(form)


@bp.route("/users/<int:user_id>", methods=["GET"])
@roles_required(policy.ADMINS)
def user_detail(user_id: int):
    """Show an account with its role, password and access actions."""
    user = db.get_or_404(User, user_id)
    return render_template(
        "admin/user_detail.html",
        user=user,
        role_form=RoleForm(role=user.role, version=user.version),
        password_form=ResetPasswordForm(),
        confirm_form=ConfirmForm(version=user.version),
    )


def _detail_with_errors(user: User, **forms):
    defaults = {
        "role_form": RoleForm(role=user.role, version=user.version),
        "password_form": ResetPasswordForm(),
        "confirm_form": ConfirmForm(version=user.version),
    }
    defaults.update(forms)
    return render_template("admin/user_detail.html", user=user, **defaults), 400


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@roles_required(policy.ADMINS)
def user_role(user_id: int):
    """Change an account's role."""
    user = db.get_or_404(User, user_id)
    form = RoleForm()
    if form.validate_on_submit() and commit_or_show(
        form,
        lambda: users.change_role(
            db.session, user, form.role.data, actor=current_user, expected_version=form.version.data
        ),
    ):
        flash(f"{user.name} is now {user.role.label.lower()}.")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    return _detail_with_errors(user, role_form=form)


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@roles_required(policy.ADMINS)
def user_password(user_id: int):
    """Set a new password and sign the person out everywhere."""
    user = db.get_or_404(User, user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit() and commit_or_show(
        form, lambda: users.reset_password(db.session, user, form.password.data, actor=current_user)
    ):
        flash(f"The password of {user.name} has been reset.")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    return _detail_with_errors(user, password_form=form)


@bp.route("/users/<int:user_id>/<any(disable, enable):action>", methods=["GET", "POST"])
@roles_required(policy.ADMINS)
def user_active(user_id: int, action: str):
    """Ask, then disable (ending every session) or re-enable an account."""
    user = db.get_or_404(User, user_id)
    if request.method == "GET":
        disable = action == "disable"
        return confirm_page(
            f"{action.capitalize()} {user.name}?",
            rows=[
                {"key": {"text": "Email"}, "value": {"text": user.email}},
                {"key": {"text": "Role"}, "value": {"text": user.role.value.capitalize()}},
            ],
            consequences=[
                f"{user.name} is signed out at once and can no longer sign in. Their records and history"
                " stay."
                if disable
                else f"{user.name} can sign in again with their password, in the role shown."
            ],
            button=f"{action.capitalize()} this user",
            back=url_for("admin.user_detail", user_id=user.id),
            form=ConfirmForm(version=user.version),
            warning=disable,
        )
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _detail_with_errors(user)
    try:
        users.set_active(
            db.session, user, action == "enable", actor=current_user, expected_version=form.version.data
        )
    except MissingVersion as error:
        abort(400, error.message)
    except StaleEdit:
        raise  # the 409 page: the account changed since this page was drawn
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    db.session.commit()
    flash(f"{user.name} is {'enabled' if user.active else 'disabled'}.")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/audit")
@roles_required(policy.MANAGERS)
def audit():
    """Browse the audit log: who changed what, when, with old and new values."""
    form = AuditFilterForm(request.args)
    entities, actions = audit_reports.distinct_values(db.session)
    form.entity.choices = [SelectChoice("", "Any record type")] + [
        SelectChoice(e, audit_reports.NOUNS.get(e, e.replace("_", " "))) for e in entities
    ]
    form.action.choices = [SelectChoice("", "Any action")] + [
        SelectChoice(a, audit_reports.action_label(a)) for a in actions
    ]
    people = db.session.scalars(select(User).order_by(User.name)).all()
    form.user.choices = [SelectChoice("", "Anyone")] + [SelectChoice(str(u.id), u.name) for u in people]
    form.validate()
    entity_id = optional_int(form.entity_id.data)
    if form.entity_id.data and entity_id is None:
        form.entity_id.errors = ["Record number must be a whole number, like 42"]
    filters = audit_reports.AuditFilters(
        entity=form.entity.data or "",
        action=form.action.data or "",
        user_id=optional_int(form.user.data),
        entity_id=entity_id,
        date_from=None if form.date_from.errors else form.date_from.data,
        date_to=None if form.date_to.errors else form.date_to.data,
        sign_ins=bool(form.sign_ins.data),
    )
    if (fmt := downloads.wanted()) and not form.errors:
        return downloads.send(listings.audit(db.session, filters, described=downloads.described(form)), fmt)
    page = audit_reports.list_events(db.session, filters, page=arg_int("page", 1))
    events = audit_reports.describe(db.session, page.items)
    query = {k: v for k, v in request.args.items() if k in form and v}
    status = 400 if form.errors else 200
    return render_template("admin/audit.html", page=page, events=events, form=form, query=query), status


# Reference data ------------------------------------------------------------------------------


@bp.route("/reference")
@roles_required(policy.ADMINS)
def reference():
    """List the services, sites and income categories, with their CIPFA lines."""
    return render_template(
        "admin/reference.html",
        services=db.session.scalars(select(Service).order_by(Service.name)).all(),
        sites=db.session.scalars(select(Site).order_by(Site.name)).all(),
        categories=db.session.scalars(select(IncomeCategory).order_by(IncomeCategory.name)).all(),
    )


def _reference_form(kind: str, record, form, save):
    """Show or save one reference-data form; ``save`` calls the service with the form's data."""
    if form.validate_on_submit():
        saved = commit_or_show(form, save)
        if saved is not None:
            flash(f"{saved.name} saved.")
            return redirect(url_for("admin.reference"))
    return render_template("admin/reference_form.html", form=form, kind=kind, record=record), form_status(
        form
    )


@bp.route("/services/new", methods=["GET", "POST"])
@bp.route("/services/<int:record_id>/edit", methods=["GET", "POST"])
@roles_required(policy.ADMINS)
def service_form(record_id: int | None = None):
    """Add or rename a service."""
    service = db.get_or_404(Service, record_id) if record_id else None
    form = ServiceForm(obj=service, version=version_of(service)) if request.method == "GET" else ServiceForm()
    return _reference_form(
        "service",
        service,
        form,
        lambda: (
            reference_service.update_service(
                db.session,
                service,
                name=form.name.data,
                active=form.active.data,
                actor=current_user,
                expected_version=form.version.data,
            )
            if service is not None
            else reference_service.create_service(
                db.session, name=form.name.data, active=form.active.data, actor=current_user
            )
        ),
    )


@bp.route("/sites/new", methods=["GET", "POST"])
@bp.route("/sites/<int:record_id>/edit", methods=["GET", "POST"])
@roles_required(policy.ADMINS)
def site_form(record_id: int | None = None):
    """Add or change a site."""
    site = db.get_or_404(Site, record_id) if record_id else None
    form = SiteForm(obj=site, version=version_of(site)) if request.method == "GET" else SiteForm()
    form.service_id.choices = choices(
        db.session.scalars(select(Service).order_by(Service.name)), "Choose a service"
    )

    def values() -> dict:
        return {
            "name": form.name.data,
            "kind": SiteKind(form.kind.data),
            "service_id": form.service_id.data or 0,
            "active": form.active.data,
            "postcode": form.postcode.data or "",
            "actor": current_user,
        }

    return _reference_form(
        "site",
        site,
        form,
        lambda: (
            reference_service.update_site(db.session, site, **values(), expected_version=form.version.data)
            if site is not None
            else reference_service.create_site(db.session, **values())
        ),
    )


@bp.route("/categories/new", methods=["GET", "POST"])
@bp.route("/categories/<int:record_id>/edit", methods=["GET", "POST"])
@roles_required(policy.ADMINS)
def category_form(record_id: int | None = None):
    """Add or change an income category and its CIPFA line."""
    category = db.get_or_404(IncomeCategory, record_id) if record_id else None
    form = (
        CategoryForm(obj=category, version=version_of(category))
        if request.method == "GET"
        else CategoryForm()
    )
    lines = db.session.scalars(select(CipfaLine).order_by(CipfaLine.position))
    form.cipfa_line_id.choices = choices(lines, "None (outside CIPFA library statistics)")

    def values() -> dict:
        return {
            "name": form.name.data,
            "cipfa_line_id": form.cipfa_line_id.data,
            "cipfa_note": form.cipfa_note.data or "",
            "active": form.active.data,
            "actor": current_user,
        }

    return _reference_form(
        "income category",
        category,
        form,
        lambda: (
            reference_service.update_category(
                db.session, category, **values(), expected_version=form.version.data
            )
            if category is not None
            else reference_service.create_category(db.session, **values())
        ),
    )
