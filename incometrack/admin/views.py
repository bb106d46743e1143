from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from incometrack.admin.forms import AuditFilterForm, ConfirmForm, NewUserForm, ResetPasswordForm, RoleForm
from incometrack.auth.access import roles_required
from incometrack.extensions import db
from incometrack.forms import apply_service_error
from incometrack.models import Role, User
from incometrack.reports import audit as audit_reports
from incometrack.services import ServiceError, users

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users")
@roles_required(Role.ADMIN)
def users_list():
    """List every account with its role and state."""
    people = db.session.scalars(select(User).order_by(User.active.desc(), User.name)).all()
    return render_template("admin/users.html", users=people)


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def user_new():
    """Create an account."""
    form = NewUserForm()
    if form.validate_on_submit():
        try:
            user = users.create_user(
                db.session,
                email=form.email.data,
                name=form.name.data,
                role=Role(form.role.data),
                password=form.password.data,
                actor=current_user,
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            db.session.commit()
            flash(f"{user.name} can now sign in as {user.role.label.lower()}.")
            return redirect(url_for("admin.users_list"))
    return render_template("admin/user_new.html", form=form), 400 if form.errors else 200


@bp.route("/users/<int:user_id>", methods=["GET"])
@roles_required(Role.ADMIN)
def user_detail(user_id: int):
    """Show an account with its role, password and access actions."""
    user = db.get_or_404(User, user_id)
    return render_template(
        "admin/user_detail.html",
        user=user,
        role_form=RoleForm(role=user.role.value),
        password_form=ResetPasswordForm(),
        confirm_form=ConfirmForm(),
    )


def _detail_with_errors(user: User, **forms):
    defaults = {
        "role_form": RoleForm(role=user.role.value),
        "password_form": ResetPasswordForm(),
        "confirm_form": ConfirmForm(),
    }
    defaults.update(forms)
    return render_template("admin/user_detail.html", user=user, **defaults), 400


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@roles_required(Role.ADMIN)
def user_role(user_id: int):
    """Change an account's role."""
    user = db.get_or_404(User, user_id)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            users.change_role(db.session, user, Role(form.role.data), actor=current_user)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            db.session.commit()
            flash(f"{user.name} is now {user.role.label.lower()}.")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return _detail_with_errors(user, role_form=form)


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@roles_required(Role.ADMIN)
def user_password(user_id: int):
    """Set a new password and sign the person out everywhere."""
    user = db.get_or_404(User, user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            users.reset_password(db.session, user, form.password.data, actor=current_user)
        except ServiceError as error:
            apply_service_error(form, error, default_field="password")
        else:
            db.session.commit()
            flash(f"The password of {user.name} has been reset.")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return _detail_with_errors(user, password_form=form)


@bp.route("/users/<int:user_id>/<any(disable, enable):action>", methods=["POST"])
@roles_required(Role.ADMIN)
def user_active(user_id: int, action: str):
    """Disable (ending every session) or re-enable an account."""
    user = db.get_or_404(User, user_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _detail_with_errors(user)
    try:
        users.set_active(db.session, user, action == "enable", actor=current_user)
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    db.session.commit()
    flash(f"{user.name} is {'enabled' if user.active else 'disabled'}.")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/audit")
@roles_required(Role.ADMIN, Role.FINANCE)
def audit():
    """Browse the audit log: who changed what, when, with old and new values."""
    form = AuditFilterForm(request.args)
    entities, actions = audit_reports.distinct_values(db.session)
    form.entity.choices = [SelectChoice("", "Any record type")] + [
        SelectChoice(e, e.replace("_", " ")) for e in entities
    ]
    form.action.choices = [SelectChoice("", "Any action")] + [SelectChoice(a, a) for a in actions]
    people = db.session.scalars(select(User).order_by(User.name)).all()
    form.user.choices = [SelectChoice("", "Anyone")] + [SelectChoice(str(u.id), u.name) for u in people]
    form.validate()
    entity_id = (form.entity_id.data or "").strip()
    if entity_id and not entity_id.isdigit():
        form.entity_id.errors = ["Record number must be a whole number, like 42"]
    filters = audit_reports.AuditFilters(
        entity=form.entity.data or "",
        action=form.action.data or "",
        user_id=int(form.user.data) if (form.user.data or "").isdigit() else None,
        entity_id=int(entity_id) if entity_id.isdigit() else None,
        date_from=None if form.date_from.errors else form.date_from.data,
        date_to=None if form.date_to.errors else form.date_to.data,
    )
    page = audit_reports.list_events(db.session, filters, page=request.args.get("page", 1, type=int))
    query = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("admin/audit.html", page=page, form=form, query=query), 400 if form.errors else 200
