"""The contributions: list, page, submission, edit, withdrawal, review queue and decisions."""

from __future__ import annotations

import datetime as dt

from flask import (
    Blueprint,
    abort,
    flash,
    has_request_context,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required

from convention.contributions import attachments, operations, queries
from convention.contributions.forms import (
    WHOLE_CONVENTION,
    ContributionForm,
    DecisionForm,
    ReviewForm,
    WithdrawForm,
    unit_key,
)
from convention.contributions.models import (
    CHANNEL_LABELS,
    STATUS_LABELS,
    Channel,
    Contribution,
    can_submit,
    secretary_units,
    submissions_open,
)
from convention.conventions.scoping import found_in_convention, moderates_in
from convention.conventions.web import with_convention
from convention.core.markdown import render_markdown
from convention.core.pagination import page_arg
from convention.core.permissions import require
from convention.core.routing import int_arg
from convention.core.templating import current_convention
from convention.domain.lifecycle import ContributionStatus
from convention.domain.phases import PhaseKind
from convention.extensions import db
from convention.provenance import queries as provenance_queries

bp = Blueprint("contributions", __name__, url_prefix="/contributions")


@bp.app_context_processor
def inject_moderation() -> dict:
    """``moderates_contributions``: show « À examiner » in the navigation (in this convention)."""
    if not has_request_context():
        return {"moderates_contributions": False}
    return {"moderates_contributions": moderates_in(current_user, current_convention())}


@bp.app_template_global("contribution_submissions_open")
def contribution_submissions_open() -> bool:
    """Are contributions received today (for the « Déposer » links of other pages)?"""
    return submissions_open(current_convention(), _today())


def _today() -> dt.date:
    return dt.date.today()


def _enum_arg(name: str, enum_type):
    value = request.args.get(name, "")
    return enum_type(value) if value in enum_type._value2member_map_ else None


def _contribution_or_404(convention, contribution_id: int):
    return found_in_convention(
        queries.get_contribution(convention.id, contribution_id), Contribution, contribution_id, convention
    )


def _closed_page(convention):
    phase = convention.phase(PhaseKind.CONTRIBUTIONS)
    return render_template("contributions/closed.html", phase=phase), 403


@bp.get("/")
@with_convention
def index(convention):
    channel = _enum_arg("canal", Channel)
    status = _enum_arg("statut", ContributionStatus)
    page = page_arg()
    pagination = queries.paginate_contributions(
        convention.id, channel=channel, status=status, page=page
    )
    filters = {}
    if channel is not None:
        filters["canal"] = channel.value
    if status is not None:
        filters["statut"] = status.value
    return render_template(
        "contributions/index.html",
        pagination=pagination,
        channel=channel,
        status=status,
        filters=filters,
        channel_labels=CHANNEL_LABELS,
        status_labels=STATUS_LABELS,
    )


@bp.get("/<int:contribution_id>")
@with_convention
def detail(convention, contribution_id: int):
    contribution = _contribution_or_404(convention, contribution_id)
    can_view = contribution.can_view_content(current_user)
    return render_template(
        "contributions/detail.html",
        contribution=contribution,
        can_view=can_view,
        body_html=render_markdown(contribution.body) if can_view else None,
        answer_html=render_markdown(contribution.answer),
        places=provenance_queries.places_of_contribution(contribution.id),
        can_edit=contribution.can_edit(current_user) and submissions_open(convention, _today()),
        can_withdraw=contribution.can_withdraw(current_user),
        can_moderate=contribution.can_moderate(current_user),
        review_form=ReviewForm(),
        attachment_size=attachments.format_size(contribution.attachment_size or 0),
    )


def _form_data(form: ContributionForm, groups, units) -> operations.ContributionData:
    group_id = form.working_group.data
    group = next((g for g in groups if g.id == group_id), None)
    unit = None
    if "on_behalf" in form._fields and form.on_behalf.data:
        unit = next((u for u in units if unit_key(u) == form.on_behalf.data), None)
    return operations.ContributionData(
        title=form.title.data or "",
        body=form.body.data or "",
        working_group=group,
        unit=unit,
        adopted_on=form.adopted_on.data if "adopted_on" in form._fields else None,
    )


@bp.route("/deposer", methods=["GET", "POST"])
@login_required
@with_convention
def new(convention):
    today = _today()
    if not submissions_open(convention, today):
        return _closed_page(convention)
    require(can_submit(current_user, convention, today))
    groups = queries.list_groups(convention.id)
    units = secretary_units(current_user)
    form = ContributionForm(groups=groups, units=units)
    if request.method == "GET":
        number = int_arg("groupe")
        form.working_group.data = next(
            (g.id for g in groups if g.number == number), WHOLE_CONVENTION
        )
    if form.validate_on_submit():
        contribution = operations.submit_contribution(
            current_user,
            convention,
            _form_data(form, groups, units),
            today=today,
            upload=form.upload,
        )
        db.session.commit()
        flash(
            "Votre contribution a été déposée. Vous pouvez la modifier tant que son examen "
            "n’a pas commencé.",
            "success",
        )
        return redirect(url_for(".detail", contribution_id=contribution.id))
    return render_template("contributions/form.html", form=form, contribution=None)


@bp.route("/<int:contribution_id>/modifier", methods=["GET", "POST"])
@login_required
@with_convention
def edit(convention, contribution_id: int):
    contribution = _contribution_or_404(convention, contribution_id)
    require(contribution.can_edit(current_user))
    today = _today()
    if not submissions_open(convention, today):
        return _closed_page(convention)
    groups = queries.list_groups(convention.id)
    form = ContributionForm(
        obj=contribution if request.method == "GET" else None,
        groups=groups,
        editing=True,
        has_attachment=contribution.has_attachment,
        unit_contribution=contribution.section_id is not None
        or contribution.federation_id is not None,
    )
    if request.method == "GET":
        form.working_group.data = contribution.working_group_id or WHOLE_CONVENTION
    if form.validate_on_submit():
        data = _form_data(form, groups, [])
        operations.update_contribution(
            current_user,
            contribution,
            data,
            today=today,
            upload=form.upload,
            remove_attachment=bool(
                "remove_attachment" in form._fields and form.remove_attachment.data
            ),
        )
        db.session.commit()
        flash("La contribution a été modifiée.", "success")
        return redirect(url_for(".detail", contribution_id=contribution.id))
    return render_template("contributions/form.html", form=form, contribution=contribution)


@bp.route("/<int:contribution_id>/retirer", methods=["GET", "POST"])
@login_required
@with_convention
def withdraw(convention, contribution_id: int):
    contribution = _contribution_or_404(convention, contribution_id)
    require(contribution.is_author_side(current_user))
    form = WithdrawForm()
    if form.validate_on_submit():
        operations.withdraw_contribution(current_user, contribution)
        db.session.commit()
        flash("La contribution a été retirée.", "success")
        return redirect(url_for(".detail", contribution_id=contribution.id))
    if not contribution.can_withdraw(current_user) and request.method == "GET":
        abort(409)
    return render_template("contributions/withdraw.html", form=form, contribution=contribution)


@bp.post("/<int:contribution_id>/examen")
@login_required
@with_convention
def review(convention, contribution_id: int):
    contribution = _contribution_or_404(convention, contribution_id)
    require(contribution.can_moderate(current_user))
    form = ReviewForm()
    if not form.validate_on_submit():
        abort(400)
    operations.start_review(current_user, contribution)
    db.session.commit()
    flash(
        "L’examen de la contribution a commencé : son auteur ne peut plus la modifier.", "success"
    )
    return redirect(url_for(".decide", contribution_id=contribution.id))


@bp.route("/<int:contribution_id>/decision", methods=["GET", "POST"])
@login_required
@with_convention
def decide(convention, contribution_id: int):
    contribution = _contribution_or_404(convention, contribution_id)
    require(contribution.can_moderate(current_user))
    form = DecisionForm()
    if form.validate_on_submit():
        status = ContributionStatus(form.status.data)
        operations.decide_contribution(current_user, contribution, status, form.answer.data)
        db.session.commit()
        flash("La décision a été enregistrée et l’auteur en a été informé.", "success")
        if contribution.is_integrated:
            return redirect(url_for("provenance.contribution", contribution_id=contribution.id))
        return redirect(url_for(".detail", contribution_id=contribution.id))
    if request.method == "GET" and contribution.status != ContributionStatus.UNDER_REVIEW:
        abort(409)
    return render_template(
        "contributions/decide.html",
        form=form,
        contribution=contribution,
        body_html=render_markdown(contribution.body),
    )


@bp.get("/a-examiner")
@login_required
@with_convention
def queue(convention):
    require(moderates_in(current_user, convention))
    return render_template(
        "contributions/queue.html",
        contributions=queries.list_review_queue(current_user, convention),
        review_form=ReviewForm(),
    )


@bp.get("/<int:contribution_id>/piece-jointe")
@with_convention
def attachment(convention, contribution_id: int):
    """The attachment, for everyone while the contribution is visible (see can_view_content)."""
    contribution = _contribution_or_404(convention, contribution_id)
    if not contribution.has_attachment:
        abort(404)
    require(contribution.can_view_content(current_user))
    kind = attachments.AttachmentKind(contribution.attachment_kind)
    try:
        path = attachments.path_of(contribution.attachment_storage)
    except ValueError:
        abort(404)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=attachments.MIMETYPES[kind], max_age=0, conditional=True)
    response.headers["Content-Disposition"] = attachments.content_disposition(
        contribution.attachment_name, kind
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
