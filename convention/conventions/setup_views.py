"""The Bureau national's conventions page and the new-convention wizard.

Every step is saved as soon as it is valid (the convention is a draft until « Publier »), and a
draft is resumed from the conventions page. Views are thin: load, check, validate, one operation,
commit, redirect.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from convention.conventions import setup
from convention.conventions.models import PHASE_LABELS, Convention
from convention.conventions.setup_forms import (
    ConfirmForm,
    ConfirmTextForm,
    GroupForm,
    IdentityForm,
    MemberChoiceForm,
    PersonForm,
    PhasesForm,
    PublishConventionForm,
)
from convention.core.permissions import require
from convention.domain.phases import PHASE_ORDER
from convention.domain.textimport import parsed_from_dict, parsed_to_dict
from convention.extensions import db
from convention.groups.models import SteeringRole, WorkingGroup, WorkingGroupAnimator

bp = Blueprint("conventions_setup", __name__, url_prefix="/administration/conventions")

STEPS = (
    ("identite", _l("Titre et description")),
    ("phases", _l("Phases et dates")),
    ("equipes", _l("Comité et groupes")),
    ("texte", _l("Projet de texte")),
    ("publication", _l("Résumé et publication")),
)
STEP_ENDPOINTS = {
    "identite": "conventions_setup.identity",
    "phases": "conventions_setup.phases",
    "equipes": "conventions_setup.teams",
    "texte": "conventions_setup.text",
    "publication": "conventions_setup.publication",
}
STATE_LABELS = {
    "draft": _l("Brouillon (invisible des adhérent·es)"),
    "featured": _l("En avant sur l'accueil"),
    "archived": _l("Archive"),
    "published": _l("Publiée"),
}


@bp.before_request
@login_required
def _only_the_national_bureau() -> None:
    require(setup.can_set_up(current_user))


def _today() -> dt.date:
    return dt.date.today()


def _draft(convention_id: int) -> Convention:
    """The convention being set up; a published one goes back to the conventions page."""
    convention = db.session.get(Convention, convention_id)
    if convention is None:
        abort(404)
    return convention


def _published_redirect(convention: Convention):
    if convention.is_published:
        flash(
            _(
                "La convention « %(title)s » est publiée : l'assistant ne la modifie plus.",
                title=convention.short_title,
            ),
            "info",
        )
        return redirect(url_for("conventions_setup.index"))
    return None


def _wizard(template: str, convention: Convention | None, step: str, status: int = 200, **context):
    done = _done_steps(convention)
    return render_template(
        template, draft=convention, steps=STEPS, step=step, step_endpoints=STEP_ENDPOINTS, done=done, **context
    ), status


def _done_steps(convention: Convention | None) -> set[str]:
    if convention is None:
        return set()
    done = {"identite"}
    if convention.phases:
        done.add("phases")
    groups = setup.groups_of(convention)
    if groups and all(g.animators for g in groups):
        done.add("equipes")
    text = setup.draft_text(convention)
    if text is not None and text.versions:
        done.add("texte")
    return done


# --- the conventions page --------------------------------------------------------------------------


@bp.get("/")
def index():
    """Every convention (featured, published, archived, drafts) with its actions."""
    today = _today()
    conventions = setup.list_conventions()
    return render_template(
        "conventions/index.html",
        conventions=conventions,
        states={c.id: setup.state_of(c, today) for c in conventions},
        state_labels=STATE_LABELS,
        current_phases={c.id: c.current_phase(today) for c in conventions},
    )


@bp.route("/<int:convention_id>/mettre-en-avant", methods=["GET", "POST"])
def feature(convention_id: int):
    """Confirm, then make this convention the one the home page shows (exactly one at a time)."""
    convention = _draft(convention_id)
    if not convention.is_published:
        abort(409)
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        setup.feature_convention(current_user, convention)
        db.session.commit()
        flash(
            _("« %(title)s » est désormais la convention mise en avant sur l'accueil.", title=convention.short_title),
            "success",
        )
        return redirect(url_for("conventions_setup.index"))
    current = db.session.scalars(db.select(Convention).where(Convention.is_featured.is_(True))).first()
    return render_template("conventions/feature_confirm.html", target=convention, current=current, form=form)


@bp.get("/<int:convention_id>/")
def resume(convention_id: int):
    """« Reprendre la configuration »: the first step still to do."""
    convention = _draft(convention_id)
    if (response := _published_redirect(convention)) is not None:
        return response
    return redirect(url_for(STEP_ENDPOINTS[setup.next_step(convention)], convention_id=convention.id))


# --- step a -------------------------------------------------------------------------------------------


@bp.route("/nouvelle", methods=["GET", "POST"])
def create():
    """Step 1 of a new convention: saving it creates the draft."""
    return _identity_step(None)


@bp.route("/<int:convention_id>/identite", methods=["GET", "POST"])
def identity(convention_id: int):
    convention = _draft(convention_id)
    if (response := _published_redirect(convention)) is not None:
        return response
    return _identity_step(convention)


def _identity_step(convention: Convention | None):
    """Title, short title, address and description: a new draft (``convention`` None) or its update."""
    form = IdentityForm(obj=convention)
    if form.validate_on_submit():
        fields = {
            "title": form.title.data,
            "short_title": form.short_title.data,
            "slug": form.slug.data or "",
            "description": form.description.data or "",
        }
        try:
            if convention is None:
                convention = setup.create_draft(current_user, **fields)
                message = _("Brouillon enregistré : personne d'autre que le Bureau national ne le voit.")
            else:
                setup.update_identity(current_user, convention, **fields)
                message = _("Titre et description enregistrés.")
        except setup.SetupError as error:
            db.session.rollback()
            form.form_errors.extend(error.messages)
            return _wizard("conventions/identity.html", convention, "identite", 422, form=form)
        db.session.commit()
        flash(message, "success")
        return redirect(url_for("conventions_setup.phases", convention_id=convention.id))
    status = 422 if form.errors else 200
    return _wizard("conventions/identity.html", convention, "identite", status, form=form)


# --- step b -------------------------------------------------------------------------------------------


@bp.route("/<int:convention_id>/phases", methods=["GET", "POST"])
def phases(convention_id: int):
    convention = _draft(convention_id)
    if (response := _published_redirect(convention)) is not None:
        return response
    form = PhasesForm()
    if request.method == "GET":
        for phase in convention.phases:
            form.start(phase.kind).data = phase.starts_on
            form.end(phase.kind).data = phase.ends_on
    if form.validate_on_submit():
        rows = [setup.PhaseDates(kind, form.start(kind).data, form.end(kind).data) for kind in PHASE_ORDER]
        try:
            setup.save_phases(current_user, convention, rows)
        except setup.SetupError as error:
            db.session.rollback()
            form.form_errors.extend(error.messages)
            return _wizard(
                "conventions/phases.html", convention, "phases", 422, form=form, kinds=PHASE_ORDER, labels=PHASE_LABELS
            )
        db.session.commit()
        flash(_("Phases enregistrées."), "success")
        return redirect(url_for("conventions_setup.teams", convention_id=convention.id))
    status = 422 if form.errors else 200
    return _wizard(
        "conventions/phases.html", convention, "phases", status, form=form, kinds=PHASE_ORDER, labels=PHASE_LABELS
    )


# --- step c -------------------------------------------------------------------------------------------


def _teams_page(convention: Convention, status: int = 200, **forms):
    query = (request.args.get("q") or "").strip()[:100]
    target = request.args.get("pour") or "comite"
    group_for_search = None
    if target.startswith("groupe-") and target[7:].isdigit():
        group_for_search = db.session.get(WorkingGroup, int(target[7:]))
        if group_for_search is None or group_for_search.convention_id != convention.id:
            group_for_search, target = None, "comite"
    elif target != "comite":
        target = "comite"
    results = setup.search_members(query) if query else []
    groups = setup.groups_of(convention)
    next_number = max((g.number for g in groups), default=0) + 1
    person_forms = {None: PersonForm(formdata=None, prefix="comite")}
    person_forms.update({g.id: PersonForm(formdata=None, prefix=f"groupe{g.id}") for g in groups})
    if forms.get("person_form") is not None:
        person_forms[forms.get("person_group_id")] = forms["person_form"]
    return _wizard(
        "conventions/teams.html",
        convention,
        "equipes",
        status,
        committee=setup.committee_of(convention),
        groups=groups,
        query=query,
        target=target,
        group_for_search=group_for_search,
        results=results,
        choice_form=MemberChoiceForm(formdata=None),
        person_forms=person_forms,
        group_form=forms.get("group_form") or GroupForm(formdata=None, number=next_number),
        confirm_form=ConfirmForm(formdata=None),
        problems=forms.get("problems") or [],
    )


@bp.get("/<int:convention_id>/equipes")
def teams(convention_id: int):
    convention = _draft(convention_id)
    if (response := _published_redirect(convention)) is not None:
        return response
    return _teams_page(convention)


def _teams_redirect(convention: Convention, anchor: str = ""):
    return redirect(url_for("conventions_setup.teams", convention_id=convention.id) + (f"#{anchor}" if anchor else ""))


def _group(convention: Convention, group_id: int) -> WorkingGroup:
    group = db.session.get(WorkingGroup, group_id)
    if group is None or group.convention_id != convention.id:
        abort(404)
    return group


def _add_person(convention: Convention, group: WorkingGroup | None):
    """Add a member (chosen in the search) or a non-member (free name) to the committee or a group."""
    if request.form.get("member_id"):
        form = MemberChoiceForm()
        if not form.validate_on_submit():
            abort(400)
        try:
            member_id = int(form.member_id.data)
        except ValueError:
            abort(400)
        kwargs = {"member_id": member_id}
        person_form = None
    else:
        person_form = PersonForm(prefix="comite" if group is None else f"groupe{group.id}")
        if not person_form.validate_on_submit():
            if "csrf_token" in person_form.errors:
                abort(400)
            return _teams_page(convention, 422, person_form=person_form, person_group_id=group.id if group else None)
        kwargs = {"full_name": person_form.full_name.data, "quality": person_form.quality.data or ""}
    try:
        if group is None:
            role = setup.add_committee_member(current_user, convention, **kwargs)
            name = role.person.display_name
        else:
            animator = setup.add_animator(current_user, convention, group, **kwargs)
            name = animator.person.display_name
    except setup.SetupError as error:
        db.session.rollback()
        return _teams_page(
            convention,
            422,
            person_form=person_form,
            problems=error.messages,
            person_group_id=group.id if group else None,
        )
    db.session.commit()
    if group is None:
        flash(_("%(name)s est au comité de pilotage.", name=name), "success")
        return _teams_redirect(convention, "comite")
    flash(_("%(name)s anime le groupe n° %(number)s.", name=name, number=group.number), "success")
    return _teams_redirect(convention, f"groupe-{group.id}")


@bp.post("/<int:convention_id>/equipes/comite")
def add_committee(convention_id: int):
    convention = _draft(convention_id)
    if (response := _published_redirect(convention)) is not None:
        return response
    return _add_person(convention, None)


@bp.post("/<int:convention_id>/equipes/comite/<int:role_id>/retirer")
def remove_committee(convention_id: int, role_id: int):
    convention = _draft(convention_id)
    if (response := _published_redirect(convention)) is not None:
        return response
    if not ConfirmForm().validate_on_submit():
        abort(400)
    role = db.session.get(SteeringRole, role_id)
    if role is None or role.convention_id != convention.id:
        abort(404)
    name = role.person.display_name
    setup.remove_committee_member(current_user, convention, role)
    db.session.commit()
    flash(_("%(name)s n'est plus au comité de pilotage.", name=name), "success")
    return _teams_redirect(convention, "comite")


@bp.post("/<int:convention_id>/equipes/groupes")
def add_group(convention_id: int):
    convention = _draft(convention_id)
    if (response := _published_redirect(convention)) is not None:
        return response
    form = GroupForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return _teams_page(convention, 422, group_form=form)
    try:
        group = setup.add_working_group(
            current_user,
            convention,
            number=form.number.data,
            title=form.title.data,
            description=form.description.data or "",
        )
    except setup.SetupError as error:
        db.session.rollback()
        form.form_errors.extend(error.messages)
        return _teams_page(convention, 422, group_form=form)
    db.session.commit()
    flash(_("Groupe de travail n° %(number)s ajouté : nommez ses animateur·rices.", number=group.number), "success")
    return _teams_redirect(convention, f"groupe-{group.id}")


@bp.route("/<int:convention_id>/equipes/groupes/<int:group_id>", methods=["GET", "POST"])
def edit_group(convention_id: int, group_id: int):
    convention = _draft(convention_id)
    if (response := _published_redirect(convention)) is not None:
        return response
    group = _group(convention, group_id)
    form = GroupForm(obj=group)
    if form.validate_on_submit():
        try:
            setup.update_working_group(
                current_user,
                convention,
                group,
                number=form.number.data,
                title=form.title.data,
                description=form.description.data or "",
            )
        except setup.SetupError as error:
            db.session.rollback()
            form.form_errors.extend(error.messages)
            return _wizard("conventions/group_edit.html", convention, "equipes", 422, form=form, group=group)
        db.session.commit()
        flash(_("Groupe de travail n° %(number)s enregistré.", number=group.number), "success")
        return _teams_redirect(convention, f"groupe-{group.id}")
    status = 422 if form.errors else 200
    return _wizard("conventions/group_edit.html", convention, "equipes", status, form=form, group=group)


@bp.route("/<int:convention_id>/equipes/groupes/<int:group_id>/supprimer", methods=["GET", "POST"])
def remove_group(convention_id: int, group_id: int):
    """Confirm, then delete a group of the draft with its animators."""
    convention = _draft(convention_id)
    if (response := _published_redirect(convention)) is not None:
        return response
    group = _group(convention, group_id)
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        number = group.number
        setup.remove_working_group(current_user, convention, group)
        db.session.commit()
        flash(_("Groupe de travail n° %(number)s supprimé.", number=number), "success")
        return _teams_redirect(convention, "groupes")
    return _wizard("conventions/group_delete.html", convention, "equipes", form=form, group=group)


@bp.post("/<int:convention_id>/equipes/groupes/<int:group_id>/animateurs")
def add_group_animator(convention_id: int, group_id: int):
    convention = _draft(convention_id)
    if (response := _published_redirect(convention)) is not None:
        return response
    return _add_person(convention, _group(convention, group_id))


@bp.post("/<int:convention_id>/equipes/animateurs/<int:animator_id>/retirer")
def remove_group_animator(convention_id: int, animator_id: int):
    convention = _draft(convention_id)
    if (response := _published_redirect(convention)) is not None:
        return response
    if not ConfirmForm().validate_on_submit():
        abort(400)
    animator = db.session.get(WorkingGroupAnimator, animator_id)
    if animator is None or animator.working_group.convention_id != convention.id:
        abort(404)
    group, name = animator.working_group, animator.person.display_name
    setup.remove_animator(current_user, convention, animator)
    db.session.commit()
    flash(_("%(name)s n'anime plus le groupe n° %(number)s.", name=name, number=group.number), "success")
    return _teams_redirect(convention, f"groupe-{group.id}")


# --- step d -------------------------------------------------------------------------------------------


@bp.route("/<int:convention_id>/texte", methods=["GET", "POST"])
def text(convention_id: int):
    """Upload the draft text; its structure and the importer's warnings are shown before it is confirmed."""
    from convention.versions import operations as version_operations
    from convention.versions.forms import TextFileForm, Upload, form_memory_limit, sign_upload

    convention = _draft(convention_id)
    if (response := _published_redirect(convention)) is not None:
        return response
    current = setup.draft_text(convention)
    form = TextFileForm()
    form.submit.label.text = _("Voir la structure du fichier")
    context = {"form": form, "current": current, "preview": None, "confirm_form": None}
    if form.validate_on_submit() and form.upload is not None:
        filename, data = form.upload
        # No base: the preview shows the file's own structure (it becomes version 1, not a change).
        preview = version_operations.preview_text_file(None, data, filename, form.format.data)
        context["preview"] = preview
        if not preview.ok:
            return _wizard("conventions/text.html", convention, "texte", 422, **context)
        upload = Upload(
            filename, preview.format, None, hashlib.sha256(data).hexdigest(),
            document=parsed_to_dict(preview.parsed), convention_id=convention.id,
        )
        token = sign_upload(upload)
        if len(token) > form_memory_limit() - 10_000:
            form.file.errors = [
                *form.file.errors,
                _("Fichier refusé : trop volumineux pour être montré avant son enregistrement."),
            ]
            context["preview"] = None
            return _wizard("conventions/text.html", convention, "texte", 413, **context)
        context["confirm_form"] = ConfirmTextForm(formdata=None, upload=token)
        return _wizard("conventions/text.html", convention, "texte", **context)
    status = 422 if form.errors else 200
    return _wizard("conventions/text.html", convention, "texte", status, **context)


@bp.post("/<int:convention_id>/texte/confirmer")
def confirm_text(convention_id: int):
    from convention.versions.forms import UploadExpired, read_upload

    convention = _draft(convention_id)
    if (response := _published_redirect(convention)) is not None:
        return response
    form = ConfirmTextForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        upload = read_upload(form.upload.data, convention_id=convention.id)  # this draft's preview only
        if upload.document is None:
            raise UploadExpired(_("Le fichier de l'aperçu n'est pas lisible : envoyez-le de nouveau."))
        parsed = parsed_from_dict(upload.document)
    except (UploadExpired, ValueError, KeyError, TypeError) as error:
        message = (
            str(error)
            if isinstance(error, UploadExpired)
            else _("Le fichier de l'aperçu n'est pas lisible : envoyez-le de nouveau.")
        )
        flash(message, "warning")
        return redirect(url_for("conventions_setup.text", convention_id=convention.id))
    try:
        version = setup.confirm_draft_text(current_user, convention, parsed, upload.filename, checksum=upload.checksum)
    except setup.SetupError as error:
        db.session.rollback()
        for message in error.messages:
            flash(message, "danger")
        return redirect(url_for("conventions_setup.text", convention_id=convention.id))
    db.session.commit()
    flash(
        _(
            "« %(name)s » est enregistré comme version %(number)s du projet de texte.",
            name=upload.filename,
            number=version.number,
        ),
        "success",
    )
    return redirect(url_for("conventions_setup.publication", convention_id=convention.id))


# --- step e -------------------------------------------------------------------------------------------


def _summary(convention: Convention) -> dict:
    from convention.texts.models import Block, Proposal

    text = setup.draft_text(convention)
    version = text.current_version if text is not None else None
    counts = {}
    if version is not None:
        counts = {
            "parts": len(version.parts),
            "chapters": sum(len(p.chapters) for p in version.parts),
            "blocks": db.session.scalar(
                db.select(db.func.count()).select_from(Block).where(Block.version_id == version.id)
            )
            or 0,
            "proposals": db.session.scalar(
                db.select(db.func.count()).select_from(Proposal).where(Proposal.version_id == version.id)
            )
            or 0,
        }
    return {
        "committee": setup.committee_of(convention),
        "groups": setup.groups_of(convention),
        "version": version,
        "counts": counts,
        "missing": setup.missing_for_publication(convention),
    }


@bp.route("/<int:convention_id>/publication", methods=["GET", "POST"])
def publication(convention_id: int):
    """The summary; « Publier la convention » once confirmed, refused with what is missing."""
    convention = _draft(convention_id)
    if (response := _published_redirect(convention)) is not None:
        return response
    form = PublishConventionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            if "csrf_token" in form.errors:
                abort(400)
            return _wizard(
                "conventions/publication.html", convention, "publication", 422, form=form, **_summary(convention)
            )
        try:
            setup.publish_convention(current_user, convention)
        except setup.SetupError as error:
            db.session.rollback()
            form.form_errors.extend(error.messages)
            return _wizard(
                "conventions/publication.html", convention, "publication", 422, form=form, **_summary(convention)
            )
        db.session.commit()
        flash(
            _(
                "La convention « %(title)s » est publiée. Mettez-la en avant pour que l'accueil la montre.",
                title=convention.short_title,
            ),
            "success",
        )
        return redirect(url_for("conventions_setup.index"))
    return _wizard("conventions/publication.html", convention, "publication", form=form, **_summary(convention))
