"""Views of the Bureau national's administration: phases, current phase, roles, the member file."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from convention.admin.forms import (
    FOLLOW_DATES,
    AssignRoleForm,
    ConventionChoiceForm,
    MemberFileForm,
    PhaseDatesForm,
    PhaseOverrideForm,
    RevokeRoleForm,
)
from convention.auth.operations import get_user_by_email
from convention.conventions import operations as convention_operations
from convention.conventions.models import PHASE_LABELS, Convention, Phase
from convention.conventions.queries import get_convention_by_slug, list_conventions
from convention.core.permissions import can_administer, can_manage_phases, require
from convention.core.templating import current_convention, is_featured
from convention.domain.errors import DomainError
from convention.domain.phases import PhaseKind
from convention.domain.roles import ROLE_SCOPES, Role
from convention.extensions import db
from convention.groups.models import WorkingGroup
from convention.jobs import queries as job_queries
from convention.jobs.models import JobKind
from convention.members import operations as member_operations
from convention.members import queries as member_queries
from convention.members.jobs import start_member_import
from convention.members.models import Federation, RoleAssignment, Section

bp = Blueprint("admin", __name__, url_prefix="/administration")


@bp.before_request
@login_required
def _only_the_national_bureau() -> None:
    """Every page here is the Bureau national's (anonymous visitors go to the login page)."""
    require(can_administer(current_user))


def _override_form(convention, **kwargs) -> PhaseOverrideForm:
    form = PhaseOverrideForm(**kwargs)
    form.set_choices([p.kind for p in convention.phases])
    return form


# --- Phases: those of the convention chosen (``?convention=<slug>``), the featured one by default ----


def _chosen_convention(draft_step: str = "phases") -> Convention | None:
    """The convention the page is about: ``?convention=<slug>``, else the featured one.

    An unknown slug is a 404; a draft is set up in the wizard (its ``draft_step`` step: the
    phases, or the teams for the roles).
    """
    slug = request.args.get("convention", "").strip()
    if not slug:
        return current_convention()
    convention = get_convention_by_slug(slug[:200])
    if convention is None:
        abort(404, description=_("Convention introuvable."))
    if not convention.is_published:
        flash(_("Un brouillon se règle dans l'assistant de configuration, jusqu'à sa publication."), "info")
        abort(redirect(url_for(f"conventions_setup.{draft_step}", convention_id=convention.id)))
    return convention


def _chooser(convention: Convention | None, today: dt.date) -> ConventionChoiceForm | None:
    """The selector of the published conventions (none when there is only one)."""
    conventions = list_conventions()
    if len(conventions) < 2:
        return None
    featured_ids = {c.id for c in conventions if is_featured(c)}
    archived_ids = {c.id for c in conventions if c.is_archived(today)}
    chooser = ConventionChoiceForm(formdata=None, convention=convention.slug if convention else None)
    chooser.set_choices(conventions, featured_ids, archived_ids)
    return chooser


def _index_url(convention: Convention | None) -> str:
    """The phases page of ``convention`` (the short one for the featured convention)."""
    if convention is None or is_featured(convention):
        return url_for("admin.index")
    return url_for("admin.index", convention=convention.slug)


def _render_index(convention, override_form: PhaseOverrideForm | None = None, status: int = 200):
    today = dt.date.today()
    if override_form is None and convention is not None:
        current = convention.phase_override.value if convention.phase_override else FOLLOW_DATES
        override_form = _override_form(convention, phase=current)
    return (
        render_template(
            "admin/index.html",
            selected=convention,
            selected_is_featured=convention is not None and is_featured(convention),
            chooser=_chooser(convention, today),
            phases=convention.phases if convention else [],
            current_kind=convention.current_phase_kind(today) if convention else None,
            phase_labels=PHASE_LABELS,
            override_form=override_form,
            override_action=url_for(
                "admin.set_phase_override",
                convention=None if convention is None or is_featured(convention) else convention.slug,
            ),
        ),
        status,
    )


@bp.route("/")
def index():
    return _render_index(_chosen_convention())


@bp.route("/phase-en-cours", methods=["POST"])
def set_phase_override():
    convention = _chosen_convention() or abort(404)
    require(can_manage_phases(current_user, convention))
    form = _override_form(convention)
    if not form.validate_on_submit():
        return _render_index(convention, form, status=400)
    kind = PhaseKind(form.phase.data) if form.phase.data != FOLLOW_DATES else None
    old = convention.phase_override
    try:
        convention_operations.set_phase_override(current_user, convention, kind)
    except DomainError as error:
        db.session.rollback()
        form.phase.errors.append(str(error))
        return _render_index(convention, form, status=400)
    db.session.commit()
    if old == kind:
        flash(_("Aucun changement : la phase en cours était déjà celle-ci."), "info")
    elif kind is None:
        flash(_("La phase en cours suit de nouveau les dates du calendrier."), "success")
    else:
        flash(
            _("La phase « %(label)s » est désormais imposée.", label=PHASE_LABELS[kind]),
            "success",
        )
    return redirect(_index_url(convention))


@bp.route("/phases/<int:phase_id>", methods=["GET", "POST"])
def edit_phase(phase_id: int):
    phase = db.session.get(Phase, phase_id) or abort(404)
    require(can_manage_phases(current_user, phase.convention))
    form = PhaseDatesForm(obj=phase)
    if form.validate_on_submit():
        try:
            convention_operations.update_phase_dates(
                current_user, phase, form.starts_on.data, form.ends_on.data
            )
        except DomainError as error:
            db.session.rollback()
            form.ends_on.errors.append(str(error))
        else:
            db.session.commit()
            flash(
                _("Les dates de la phase « %(label)s » sont enregistrées.", label=phase.label),
                "success",
            )
            return redirect(_phases_of(phase.convention))
    status = 400 if form.errors else 200
    return (
        render_template("admin/phase_edit.html", phase=phase, form=form, back_url=_phases_of(phase.convention)),
        status,
    )


def _phases_of(convention: Convention) -> str:
    """Where a phase's page goes back to: its convention's phases (the wizard's step for a draft)."""
    if not convention.is_published:
        return url_for("conventions_setup.phases", convention_id=convention.id)
    return _index_url(convention)


# --- Roles -----------------------------------------------------------------------------------


def _role_form(convention) -> AssignRoleForm:
    form = AssignRoleForm()
    none = [SelectChoice("", _("—"))]
    groups = (
        db.session.scalars(
            db.select(WorkingGroup)
            .where(WorkingGroup.convention_id == convention.id)
            .order_by(WorkingGroup.number)
        ).all()
        if convention
        else []
    )
    form.working_group_id.choices = none + [
        SelectChoice(str(g.id), f"{g.number}. {g.title}") for g in groups
    ]
    form.section_id.choices = none + [
        SelectChoice(str(s.id), f"{s.name} ({s.federation.name})")
        for s in member_queries.list_sections()
    ]
    form.federation_id.choices = none + [
        SelectChoice(str(f.id), f.title) for f in member_queries.list_federations()
    ]
    return form


def _role_scope(form: AssignRoleForm, role: Role, convention):
    kind = ROLE_SCOPES[role]
    if kind is None:
        return None
    if kind == "convention":
        return convention
    model, value = {
        "working_group": (WorkingGroup, form.working_group_id.data),
        "section": (Section, form.section_id.data),
        "federation": (Federation, form.federation_id.data),
    }[kind]
    return db.session.get(model, int(value)) if value else None


@bp.route("/roles", methods=["GET", "POST"])
def roles():
    """The roles; a pilot's group and the steering committee are those of the convention chosen."""
    convention = _chosen_convention(draft_step="teams")
    form = _role_form(convention)
    status = 200
    if form.validate_on_submit():
        role = Role(form.role.data)
        user = get_user_by_email(form.email.data)
        if user is None:
            form.email.errors.append(_("Aucun compte n'a cette adresse électronique."))
        else:
            try:
                member_operations.assign_role(
                    current_user, user, role, _role_scope(form, role, convention)
                )
            except DomainError as error:
                db.session.rollback()
                form.role.errors.append(str(error))
            else:
                db.session.commit()
                flash(_("Rôle attribué à %(name)s.", name=user.display_name), "success")
                return redirect(_roles_url(convention))
    if form.errors:
        status = 400
    return (
        render_template(
            "admin/roles.html",
            form=form,
            assignments=member_queries.list_role_assignments(),
            revoke_form=RevokeRoleForm(),
            selected=convention,
            chooser=_chooser(convention, dt.date.today()),
        ),
        status,
    )


def _roles_url(convention: Convention | None) -> str:
    if convention is None or is_featured(convention):
        return url_for("admin.roles")
    return url_for("admin.roles", convention=convention.slug)


@bp.route("/roles/<int:assignment_id>/retrait", methods=["POST"])
def revoke_role(assignment_id: int):
    assignment = db.session.get(RoleAssignment, assignment_id) or abort(404)
    form = RevokeRoleForm()
    if not form.validate_on_submit():
        abort(400)
    name, label = assignment.user.display_name, assignment.label
    try:
        member_operations.revoke_role(current_user, assignment)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        db.session.commit()
        flash(_("Rôle « %(label)s » retiré à %(name)s.", label=label, name=name), "success")
    # Back to the roles page as it was (the convention chosen there, if any; checked by that page).
    return redirect(url_for("admin.roles", convention=request.args.get("convention", "").strip()[:200] or None))


# --- The member file ---------------------------------------------------------------------------


@bp.route("/fichier-des-adherents", methods=["GET", "POST"])
def member_file():
    """Upload the members file: checked at once (type, size, header), then imported by a job."""
    form = MemberFileForm()
    if form.validate_on_submit() and form.upload is not None:
        filename, data = form.upload
        job = start_member_import(
            current_user, filename, data, create_sections=bool(form.create_sections.data)
        )
        db.session.commit()
        flash(_("Fichier « %(name)s » reçu : l'import est lancé.", name=filename), "info")
        return redirect(url_for("jobs.show", job_id=job.id))
    return (
        render_template(
            "admin/member_file.html",
            form=form,
            recent_imports=job_queries.list_recent(JobKind.MEMBER_IMPORT),
        ),
        400 if form.errors else 200,
    )
