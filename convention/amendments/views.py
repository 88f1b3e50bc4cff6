"""The amendments: lists, the amendment's page, writing one from the chapter page, co-signing,
withdrawing, and the committee's review (per amendment, per chapter in bulk, syntheses, settings)."""

from __future__ import annotations

import datetime as dt
import hashlib

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from convention.amendments import consolidation, operations, queries
from convention.amendments.forms import (
    AdmissibilityForm,
    AmendmentForm,
    AssignmentForm,
    BulkForm,
    ButtonForm,
    ConfirmForm,
    DecisionForm,
    OpinionForm,
    ReconsiderForm,
    RectificationAnswerForm,
    SynthesisForm,
    unit_key,
)
from convention.amendments.models import (
    Amendment,
    AmendmentCluster,
    amendments_open,
    can_submit_amendment,
    review_open,
)
from convention.amendments.operations import AmendmentData, RequestedKind
from convention.amendments.rendering import shown_amendment, shown_change
from convention.contributions.models import secretary_units
from convention.conventions.scoping import ensure_through, found_in_convention
from convention.conventions.web import with_convention
from convention.core.markdown import render_markdown
from convention.core.pagination import page_arg
from convention.core.permissions import require
from convention.core.routing import int_arg
from convention.domain.amendments import (
    RELATION_LABELS,
    STATUS_LABELS,
    AmendmentStatus,
    Opinion,
)
from convention.domain.errors import DomainError
from convention.domain.phases import PhaseKind
from convention.extensions import db
from convention.members.models import Federation, Section
from convention.texts import queries as text_queries
from convention.texts.models import Text

bp = Blueprint("amendments", __name__, url_prefix="/amendements")


def _today() -> dt.date:
    return dt.date.today()


@bp.app_template_global("amendment_submissions_open")
def amendment_submissions_open() -> bool:
    """Are amendments received today (for the « Amender » buttons of the chapter page)?"""
    from convention.core.templating import current_convention

    return amendments_open(current_convention(), _today())


@bp.app_template_global("reviews_amendments")
def reviews_amendments() -> bool:
    """Show « Examen des amendements » in the navigation to the committee and assigned pilots."""
    from convention.core.templating import current_convention

    if not current_user.is_authenticated:
        return False
    convention = current_convention()
    chapters = queries.reviewable_chapters(current_user, convention)
    return chapters is None or bool(chapters)


def _text(convention):
    text = text_queries.get_main_text(convention.id)
    if text is None or text.current_version is None:
        abort(404)
    return text


def _amendment_or_404(convention, amendment_id: int) -> Amendment:
    return found_in_convention(queries.get_amendment(convention.id, amendment_id), Amendment, amendment_id, convention)


def _int_arg(name: str) -> int | None:
    return int_arg(name, minimum=1)


def _filters(version_id: int | None = None) -> queries.AmendmentFilters:
    status = request.args.get("statut", "")
    anchor_chars = set("IVXLCDM0123456789-pc")
    chapter = request.args.get("chapitre", "")[:40]
    block = request.args.get("alinea", "")[:40]
    return queries.AmendmentFilters(
        version_id=version_id,
        chapter=chapter if chapter and set(chapter) <= anchor_chars else None,
        block=block if block and set(block) <= anchor_chars else None,
        status=AmendmentStatus(status) if status in AmendmentStatus._value2member_map_ else None,
        section_id=_int_arg("section"),
        federation_id=_int_arg("federation"),
        author=(request.args.get("auteur", "").strip()[:100] or None),
        cluster_id=_int_arg("discussion"),
        units_only=request.args.get("unites") == "1",
    )


# --- reading ------------------------------------------------------------------------------------


@bp.get("/")
@with_convention
def index(convention):
    text = _text(convention)
    number = int_arg("version", minimum=1)
    version = next((v for v in text.versions if v.number == number), None)
    filters = _filters(version_id=version.id if version else None)
    pagination = queries.paginate(text.id, filters, page=page_arg())
    chapters = queries.chapters_of_version(text.current_version.id)
    chapter_titles = {c.anchor: c for c in chapters}
    federations = db.session.scalars(db.select(Federation).order_by(Federation.code)).all()
    return render_template(
        "amendments/index.html",
        text=text,
        pagination=pagination,
        filters=filters,
        args={**filters.as_args(), **({"version": str(version.number)} if version else {})},
        version=version,
        chapters=chapters,
        chapter_titles=chapter_titles,
        federations=federations,
        status_labels=STATUS_LABELS,
        section=db.session.get(Section, filters.section_id) if filters.section_id else None,
        cluster=_cluster_of(text, filters.cluster_id),
    )


def _cluster_of(text, cluster_id: int | None) -> AmendmentCluster | None:
    """The « discussion commune » named by the filter, if it is one of this text's."""
    cluster = db.session.get(AmendmentCluster, cluster_id) if cluster_id else None
    return cluster if cluster is not None and cluster.text_id == text.id else None


@bp.get("/<int:amendment_id>")
@with_convention
def detail(convention, amendment_id: int):
    amendment = _amendment_or_404(convention, amendment_id)
    block = queries.find_block_for(amendment)
    today = _today()
    can_review = queries.can_review_chapter(current_user, convention, amendment.chapter_anchor)
    member_id = getattr(current_user, "member_id", None) if current_user.is_authenticated else None
    is_cosigner = queries.is_cosigner(amendment.id, member_id)
    cluster_members = [a for a in amendment.cluster.amendments if a.id != amendment.id] if amendment.cluster else []
    return render_template(
        "amendments/detail.html",
        amendment=amendment,
        block=block,
        shown=shown_amendment(amendment, block.text if block else None),
        rectification_shown=(
            shown_amendment(amendment, block.text if block else None, amendment.rectification)
            if amendment.rectification else None
        ),
        modified_shown=(
            shown_amendment(amendment, block.text if block else None, amendment.modified_replacement)
            if amendment.modified_replacement else None
        ),
        rationale_html=render_markdown(amendment.rationale),
        cluster_members=cluster_members,
        merged=(
            db.session.scalars(db.select(Amendment).where(Amendment.merged_into_id == amendment.id)
                               .order_by(Amendment.number)).all()
            if amendment.is_synthesis else []
        ),
        can_cosign=amendment.can_cosign(current_user, today) and not is_cosigner,
        is_cosigner=is_cosigner,
        can_uncosign=is_cosigner and amendments_open(convention, today),
        can_withdraw=amendment.can_withdraw(current_user),
        can_maintain=amendment.can_maintain(current_user),
        can_answer=amendment.can_answer_rectification(current_user),
        can_review=can_review,
        review_is_open=review_open(convention, today),
        cosigners=queries.cosigners(amendment.id) if can_review else [],
        required=convention.amendment_cosignatures_required,
        button_form=ButtonForm(),
        answer_form=RectificationAnswerForm(),
    )


# --- writing ------------------------------------------------------------------------------------


def _preview_key(block_anchor: str, requested: str, edited: str) -> str:
    """A digest of what was previewed: the deposit is refused if the text changed since."""
    material = "\x1f".join([block_anchor, requested, " ".join((edited or "").split())])
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def _unit_from(form, units):
    if "on_behalf" in form._fields and form.on_behalf.data:
        return next((u for u in units if unit_key(u) == form.on_behalf.data), None)
    return None


PAGE_TITLES = {
    RequestedKind.EDIT: "Amender un paragraphe",
    RequestedKind.INSERT: "Insérer un alinéa",
    RequestedKind.DELETE: "Supprimer un paragraphe",
}

EDITOR_LABELS = {
    RequestedKind.EDIT: ("Le paragraphe, tel que vous proposez de l’écrire",
                         "Modifiez les mots du paragraphe : la plateforme calcule l’amendement "
                         "(mots supprimés et ajoutés) et sa référence de lignes."),
    RequestedKind.INSERT: ("L’alinéa (ou les alinéas) à insérer après ce paragraphe",
                           "Séparez plusieurs alinéas par une ligne vide."),
    RequestedKind.DELETE: ("", ""),
}


@bp.route("/nouveau", methods=["GET", "POST"])
@login_required
@with_convention
def new(convention):
    today = _today()
    if not amendments_open(convention, today):
        phase = convention.phase(PhaseKind.AMENDMENTS)
        return render_template("amendments/closed.html", phase=phase), 403
    require(can_submit_amendment(current_user, convention, today))
    text = _text(convention)
    version = text.current_version
    requested = request.values.get("type", RequestedKind.EDIT)
    if requested not in RequestedKind.ALL:
        abort(404)
    block = queries.find_block(version.id, request.values.get("bloc", "")[:40])
    if block is None:
        abort(404)
    units = secretary_units(current_user)
    label, help_text = EDITOR_LABELS[requested]
    form = AmendmentForm(units=units, edited_label=label or None, edited_help=help_text or None,
                         needs_text=requested != RequestedKind.DELETE)
    if requested == RequestedKind.DELETE:
        del form.edited
    if request.method == "GET" and requested == RequestedKind.EDIT:
        form.edited.data = " ".join(block.text.split())
    preview = None
    if form.validate_on_submit():
        edited = form.edited.data if "edited" in form._fields else ""
        data = AmendmentData(
            requested=requested,
            edited=edited or "",
            rationale=form.rationale.data or "",
            unit=_unit_from(form, units),
            adopted_on=form.adopted_on.data if "adopted_on" in form._fields else None,
        )
        key = _preview_key(block.anchor, requested, edited or "")
        try:
            if form.confirm.data and form.preview_key.data == key:
                duplicate = operations.earlier_submission(current_user, version, block, data)
                if duplicate is not None:
                    flash(f"Vous avez déjà déposé cet amendement : c’est le n° {duplicate.number}.", "info")
                    return redirect(url_for(".detail", amendment_id=duplicate.id))
                amendment = operations.submit_amendment(current_user, convention, version, block, data, today=today)
                db.session.commit()
                flash(
                    f"Votre amendement n° {amendment.number} a été déposé. "
                    "Il est public : d’autres adhérents peuvent le cosigner.",
                    "success",
                )
                return redirect(url_for(".detail", amendment_id=amendment.id))
            preview = operations.preview_amendment(version, block, data)
            form.preview_key.data = key
        except DomainError as error:
            db.session.rollback()
            target = form.edited if "edited" in form._fields else form.rationale
            target.errors = [*target.errors, str(error)]
    return render_template(
        "amendments/new.html",
        form=form,
        block=block,
        chapter=block.chapter,
        version=version,
        requested=requested,
        page_title=PAGE_TITLES[requested],
        preview=preview,
        shown=(
            shown_change(block.text, preview.change.kind, preview.change.start, preview.change.end,
                         preview.change.replacement, preview.change.whole_block)
            if preview else None
        ),
        relation_labels=RELATION_LABELS,
        button_form=ButtonForm(),
    )


@bp.post("/<int:amendment_id>/cosigner")
@login_required
@with_convention
def cosign(convention, amendment_id: int):
    amendment = _amendment_or_404(convention, amendment_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    if queries.is_cosigner(amendment.id, current_user.member_id):
        flash("Vous avez déjà cosigné cet amendement.", "info")
        return redirect(url_for(".detail", amendment_id=amendment.id))
    require(amendment.can_cosign(current_user, _today()))
    operations.cosign_amendment(current_user, amendment, today=_today())
    db.session.commit()
    flash(f"Vous cosignez l’amendement n° {amendment.number}.", "success")
    return redirect(url_for(".detail", amendment_id=amendment.id))


@bp.post("/<int:amendment_id>/retirer-ma-cosignature")
@login_required
@with_convention
def uncosign(convention, amendment_id: int):
    amendment = _amendment_or_404(convention, amendment_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    operations.withdraw_cosignature(current_user, amendment, today=_today())
    db.session.commit()
    flash("Votre cosignature a été retirée.", "success")
    return redirect(url_for(".detail", amendment_id=amendment.id))


def _confirm_page(convention, amendment_id: int, *, allowed, operation, template_title, message, done):
    amendment = _amendment_or_404(convention, amendment_id)
    require(amendment.is_author_side(current_user))
    form = ConfirmForm()
    if form.validate_on_submit():
        operation(current_user, amendment, form.reason.data or "")
        db.session.commit()
        flash(done, "success")
        return redirect(url_for(".detail", amendment_id=amendment.id))
    if request.method == "GET" and not allowed(amendment):
        abort(409)
    return render_template("amendments/confirm.html", form=form, amendment=amendment,
                           page_title=template_title, message=message)


@bp.route("/<int:amendment_id>/retirer", methods=["GET", "POST"])
@login_required
@with_convention
def withdraw(convention, amendment_id: int):
    return _confirm_page(
        convention, amendment_id,
        allowed=lambda a: a.can_withdraw(current_user),
        operation=operations.withdraw_amendment,
        template_title="Retirer l’amendement",
        message="Un amendement retiré n’est plus examiné ; ce retrait est définitif.",
        done="L’amendement a été retiré.",
    )


@bp.route("/<int:amendment_id>/maintenir", methods=["GET", "POST"])
@login_required
@with_convention
def maintain(convention, amendment_id: int):
    return _confirm_page(
        convention, amendment_id,
        allowed=lambda a: a.can_maintain(current_user),
        operation=operations.maintain_amendment,
        template_title="Maintenir l’amendement pour la journée de la convention",
        message="L’amendement rejeté sera présenté à la journée de la convention, selon les règles "
        "qu’elle fixera.",
        done="L’amendement est maintenu pour la journée de la convention.",
    )


@bp.post("/<int:amendment_id>/rectification")
@login_required
@with_convention
def rectification(convention, amendment_id: int):
    amendment = _amendment_or_404(convention, amendment_id)
    require(amendment.is_author_side(current_user))
    form = RectificationAnswerForm()
    if not form.validate_on_submit():
        abort(400)
    operations.answer_rectification(current_user, amendment, accept=bool(form.accept.data))
    db.session.commit()
    flash("Votre réponse à la rectification a été enregistrée.", "success")
    return redirect(url_for(".detail", amendment_id=amendment.id))


# --- the committee's review ----------------------------------------------------------------------


@bp.route("/<int:amendment_id>/examen", methods=["GET", "POST"])
@login_required
@with_convention
def review(convention, amendment_id: int):
    amendment = _amendment_or_404(convention, amendment_id)
    require(queries.can_review_chapter(current_user, convention, amendment.chapter_anchor))
    today = _today()
    step = request.args.get("etape", "")
    forms = {
        "recevabilite": AdmissibilityForm(prefix="recevabilite"),
        "avis": OpinionForm(prefix="avis"),
        "decision": DecisionForm(prefix="decision"),
        "retour": ReconsiderForm(prefix="retour"),
    }
    if request.method == "POST":
        if step not in forms:
            abort(400)
        form = forms[step]
        if form.validate_on_submit():
            if step == "recevabilite":
                operations.declare_admissibility(
                    current_user, amendment, form.admissible.data == "recevable", form.reason.data, today=today
                )
            elif step == "avis":
                operations.give_opinion(
                    current_user, amendment, Opinion(form.opinion.data), form.reason.data,
                    form.rectification.data or "", today=today,
                )
            elif step == "decision":
                operations.decide_amendment(
                    current_user, amendment, AmendmentStatus(form.status.data), form.reason.data,
                    form.modified_wording.data or "", today=today,
                )
            else:
                operations.reconsider_decision(current_user, amendment, form.reason.data, today=today)
            db.session.commit()
            flash(f"L’amendement n° {amendment.number} : étape enregistrée, l’auteur et les cosignataires "
                  "en sont informés.", "success")
            return redirect(url_for(".detail", amendment_id=amendment.id))
    block = queries.find_block_for(amendment)
    return render_template(
        "amendments/review.html",
        amendment=amendment,
        shown=shown_amendment(amendment, block.text if block else None),
        forms=forms,
        step=step,
        review_is_open=review_open(convention, today),
        required=convention.amendment_cosignatures_required,
    )


@bp.get("/examen/")
@login_required
@with_convention
def review_home(convention):
    chapters_allowed = queries.reviewable_chapters(current_user, convention)
    require(chapters_allowed is None or bool(chapters_allowed))
    text = _text(convention)
    chapters = queries.chapters_of_version(text.current_version.id)
    if chapters_allowed is not None:
        chapters = [c for c in chapters if c.anchor in chapters_allowed]
    pending = queries.pending_counts_by_chapter(text.id, text.current_version.id)
    totals = queries.counts_by_chapter(text.id, text.current_version.id)
    return render_template(
        "amendments/review_home.html",
        chapters=chapters,
        pending=pending,
        totals=totals,
        is_committee=chapters_allowed is None,
        assignments=queries.assignments(convention.id),
        review_is_open=review_open(convention, _today()),
    )


@bp.route("/examen/chapitre/<anchor>", methods=["GET", "POST"])
@login_required
@with_convention
def review_chapter(convention, anchor: str):
    anchor = anchor[:40]
    require(queries.can_review_chapter(current_user, convention, anchor))
    text = _text(convention)
    chapter = text_queries.get_chapter(text.current_version.id, anchor)
    if chapter is None:
        abort(404)
    filters = _filters(version_id=text.current_version.id)  # the amendments anchored in the text as it is
    amendments = queries.list_for_review(text.id, anchor, filters)
    by_id = {a.id: a for a in amendments}
    form = BulkForm()
    form.selected.choices = [(a.id, str(a.number)) for a in amendments]
    cluster_id = request.form.get("discussion", type=int) if request.method == "POST" else None
    if cluster_id:  # « Appliquer à toute la discussion commune »
        form.selected.data = [a.id for a in amendments if a.cluster_id == cluster_id]
    if form.validate_on_submit():
        chosen = [by_id[i] for i in form.selected.data if i in by_id]
        if not chosen:
            abort(400)
        result = operations.bulk_review(current_user, chosen, form.action.data, form.reason.data, today=_today())
        db.session.commit()
        if result.done:
            flash(f"{len(result.done)} amendement(s) traité(s) : n° "
                  + ", ".join(str(n) for n in result.done) + ".", "success")
        if result.refused:
            flash("Non traités : " + " ; ".join(f"n° {n} — {why}" for n, why in result.refused), "warning")
        return redirect(url_for(".review_chapter", anchor=anchor, **filters.as_args()))
    rows = _review_rows(amendments)
    return render_template(
        "amendments/review_chapter.html",
        chapter=chapter,
        rows=rows,
        amendments=amendments,
        conflicts=queries.adopted_conflicts(amendments),
        numbers_by_id={a.id: a.number for a in amendments},
        form=form,
        filters=filters,
        status_labels=STATUS_LABELS,
        review_is_open=review_open(convention, _today()),
        required=convention.amendment_cosignatures_required,
    )


def _review_rows(amendments):
    """The review table's rows in line order: a lone amendment, or a cluster folded as one row."""
    members: dict[int, list] = {}
    for amendment in amendments:
        if amendment.cluster_id is not None:
            members.setdefault(amendment.cluster_id, []).append(amendment)
    rows, seen = [], set()
    for amendment in amendments:
        if amendment.cluster_id is None:
            rows.append(("single", amendment, [amendment]))
        elif amendment.cluster_id not in seen:
            seen.add(amendment.cluster_id)
            rows.append(("cluster", amendment, members[amendment.cluster_id]))
    return rows


@bp.route("/discussion/<int:cluster_id>/synthese", methods=["GET", "POST"])
@login_required
@with_convention
def synthesis(convention, cluster_id: int):
    cluster = db.session.get(AmendmentCluster, cluster_id)
    ensure_through(cluster, db.session.get(Text, cluster.text_id) if cluster is not None else None, convention)
    text = _text(convention)
    if cluster.text_id != text.id:
        abort(404)  # a discussion on another text of this convention
    version = text.current_version
    block = queries.find_block(version.id, cluster.block_anchor)
    if block is None:
        abort(404)
    require(queries.can_review_chapter(current_user, convention, block.chapter.anchor))
    candidates = [a for a in cluster.amendments if a.status == AmendmentStatus.ADMISSIBLE and not a.is_synthesis]
    form = SynthesisForm(edited_label="Le paragraphe, dans la rédaction de synthèse")
    form.merged.choices = [(a.id, str(a.number)) for a in candidates]
    if request.method == "GET":
        form.edited.data = " ".join(block.text.split())
        form.merged.data = [a.id for a in candidates]
    if form.validate_on_submit():
        merged = [a for a in candidates if a.id in set(form.merged.data)]
        data = AmendmentData(requested=RequestedKind.EDIT, edited=form.edited.data or "",
                             rationale=form.rationale.data or "")
        try:
            synthesis_amendment = operations.create_synthesis(
                current_user, version, block, merged, data, today=_today()
            )
        except DomainError as error:
            db.session.rollback()
            form.edited.errors = [*form.edited.errors, str(error)]
        else:
            db.session.commit()
            flash(f"L’amendement de synthèse n° {synthesis_amendment.number} a été déposé ; les amendements "
                  "intégrés le signalent.", "success")
            return redirect(url_for(".detail", amendment_id=synthesis_amendment.id))
    return render_template("amendments/synthesis.html", form=form, cluster=cluster, block=block,
                           candidates=candidates)


@bp.route("/examen/repartition", methods=["GET", "POST"])
@login_required
@with_convention
def assignments(convention):
    require(convention.is_steering(current_user))
    from convention.groups import queries as group_queries

    text = _text(convention)
    chapters = queries.chapters_of_version(text.current_version.id)
    groups = group_queries.list_working_groups(convention.id)
    groups_by_id = {g.id: g for g in groups}
    current = queries.assignments(convention.id)
    form = AssignmentForm()
    if request.method == "GET":
        form.cosignatures_required.data = convention.amendment_cosignatures_required
    if form.validate_on_submit():
        for chapter in chapters:
            value = request.form.get(f"chapitre-{chapter.anchor}", "")
            group = groups_by_id.get(int(value)) if value.isdigit() else None
            if value and group is None:
                abort(400)
            operations.assign_chapter(current_user, convention, chapter.anchor, group)
        operations.set_cosignatures_required(current_user, convention, form.cosignatures_required.data)
        db.session.commit()
        flash("La répartition des chapitres et le seuil de cosignatures ont été enregistrés.", "success")
        return redirect(url_for(".assignments"))
    return render_template("amendments/assignments.html", form=form, chapters=chapters, groups=groups,
                           current=current)


# --- consolidation: the next version from the adopted amendments ----------------------------------


@bp.route("/examen/consolider", methods=["GET", "POST"])
@login_required
@with_convention
def consolidate(convention):
    """« Consolider le texte »: what would be consolidated, the conflicts to resolve, the job to start."""
    require(consolidation.can_consolidate(current_user, convention))
    text = _text(convention)
    form = ButtonForm()
    status = 200
    if form.validate_on_submit():
        try:
            job, started = consolidation.start_consolidation(current_user, convention, text)
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "danger")
            status = 409
        else:
            db.session.commit()
            if not started:
                flash("Une consolidation du texte est déjà en cours : la voici.", "info")
            return redirect(url_for("jobs.show", job_id=job.id))
    elif request.method == "POST":
        abort(400)
    plan = consolidation.plan_consolidation(text)
    return render_template(
        "amendments/consolidate.html",
        plan=plan,
        conflicts=[(a, b, line) for (a, b), line in zip(
            plan.conflicts, consolidation.conflict_lines(plan.conflicts), strict=True)],
        form=form,
    ), status
