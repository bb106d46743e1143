"""API tokens: a person's own at ``/account/api-tokens`` (make, list, revoke) and everyone's for
administrators at ``/admin/api-tokens``."""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_login import current_user
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovSubmitInput, GovTextInput
from sqlalchemy import select
from wtforms import IntegerField, SelectChoice, SelectMultipleField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, NumberRange

from incometrack import policy
from incometrack.account.views import bp
from incometrack.auth.access import roles_required
from incometrack.extensions import db
from incometrack.forms import AppForm, act_and_redirect, commit_or_show, form_status
from incometrack.models import ApiToken
from incometrack.services import api_tokens


class TokenForm(AppForm):
    name = StringField(
        "Name",
        description="What it is for, such as Power BI income dashboard",
        widget=GovTextInput(),
        validators=[InputRequired("Enter a name for the token"), Length(max=120)],
    )
    scopes = SelectMultipleField("What it may read", widget=GovCheckboxesInput())
    days = IntegerField(
        "Days it lasts",
        description=f"1 to {api_tokens.MAX_DAYS}",
        default=90,
        widget=GovTextInput(),
        validators=[InputRequired("Enter how many days it lasts"), NumberRange(1, api_tokens.MAX_DAYS)],
    )
    submit = SubmitField("Make token", widget=GovSubmitInput())


class RevokeForm(AppForm):
    submit = SubmitField("Revoke", widget=GovSubmitInput())


@bp.route("/account/api-tokens", methods=["GET", "POST"])
@roles_required(policy.EVERYONE)
def api_tokens_page():
    """Your API tokens: make one (shown once), see when each was last used, revoke."""
    form = TokenForm()
    form.scopes.choices = [SelectChoice(s, s) for s in api_tokens.scopes_for(current_user.role)]
    shown = None
    if form.validate_on_submit():
        made = commit_or_show(
            form,
            lambda: api_tokens.create_token(
                db.session,
                current_user,
                name=form.name.data,
                scopes=form.scopes.data or [],
                days=form.days.data,
                actor=current_user,
            ),
        )
        if made is not None:
            shown = made.plaintext
            form = TokenForm(formdata=None)
            form.scopes.choices = [SelectChoice(s, s) for s in api_tokens.scopes_for(current_user.role)]
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id.desc())
    ).all()
    return render_template(
        "account/api_tokens.html", form=form, tokens=tokens, shown=shown, revoke=RevokeForm(), everyone=False
    ), form_status(form)


@bp.route("/account/api-tokens/<int:token_id>/revoke", methods=["POST"])
@roles_required(policy.EVERYONE)
def api_token_revoke(token_id: int):
    """Revoke a token (its owner, or an administrator)."""
    token = db.get_or_404(ApiToken, token_id)
    if token.user_id != current_user.id and not policy.can_administer(current_user):
        abort(404)
    if not RevokeForm().validate_on_submit():
        abort(400)
    back = (
        request.referrer
        if request.referrer and "/api-tokens" in request.referrer
        else url_for("account.api_tokens_page")
    )
    return act_and_redirect(
        lambda: api_tokens.revoke(db.session, token, actor=current_user),
        then=back,
        done=f"Token {token.name} revoked: it no longer works.",
        back=back,
    )


@bp.route("/admin/api-tokens")
@roles_required(policy.ADMINS)
def api_tokens_admin():
    """Every API token, whose it is, what it reads, when it was last used; revoke any."""
    tokens = db.session.scalars(select(ApiToken).order_by(ApiToken.id.desc())).all()
    return render_template(
        "account/api_tokens.html", form=None, tokens=tokens, shown=None, revoke=RevokeForm(), everyone=True
    )
