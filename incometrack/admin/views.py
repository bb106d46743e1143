from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from incometrack.admin.forms import ConfirmForm, NewUserForm, ResetPasswordForm, RoleForm
from incometrack.auth.access import roles_required
from incometrack.extensions import db
from incometrack.forms import apply_service_error
from incometrack.models import Role, User
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
