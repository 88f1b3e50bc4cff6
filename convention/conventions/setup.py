"""Setting up a new convention from the web (the Bureau national's wizard).

A new convention is a draft (``published_dt`` None) from its first step: each step is saved as
it is validated and the wizard can be resumed later; nobody but the Bureau national sees a draft.
The steps: its title and address, its phases with their dates, its steering committee and working
groups with their animators, its draft text imported from a file (version 1), then publication.
Featuring a published convention (the one ``/`` shows) is separate: exactly one at a time.

Operations take the actor, check the Bureau national again, flush and audit; they never commit.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from convention.conventions.featured import mark_changed
from convention.conventions.models import PHASE_LABELS, Convention, Phase
from convention.core.audit import audit
from convention.core.db import db, utcnow
from convention.core.permissions import ensure, is_national_bureau
from convention.domain.errors import DomainError
from convention.domain.phases import PHASE_ORDER, PhaseKind
from convention.domain.roles import Role
from convention.groups.models import Person, SteeringRole, SteeringRoleKind, WorkingGroup, WorkingGroupAnimator
from convention.members.models import Member, RoleAssignment

ONLY_THE_BUREAU = "Seul le Bureau national configure et publie une convention."
ONLY_DRAFTS = (
    "La convention « {title} » est publiée : l'assistant de configuration ne la modifie plus "
    "(ses phases se règlent dans l'administration)."
)
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX = Convention.__table__.c.slug.type.length
# The paths the site already uses under /c/<slug>/ would not clash, but keep the obvious ones free.
RESERVED_SLUGS = frozenset({"administration", "api", "nouvelle", "static", "compte"})
# Phases the party runs side by side (the document's convention: contributions during the working
# groups); any other two phases may not share a day.
PARALLEL_PHASES = frozenset({frozenset({PhaseKind.WORKING_GROUPS, PhaseKind.CONTRIBUTIONS})})
OPEN_ENDED = PhaseKind.ADOPTED_TEXT  # the adopted text stays: its end may be left empty
COMMITTEE_LABEL = "Membre du comité de pilotage"


class SetupError(DomainError):
    """A step refused: ``messages`` says why, in French; nothing was written."""

    def __init__(self, messages: Sequence[str]):
        self.messages = list(messages)
        super().__init__(" ".join(self.messages))


def can_set_up(user: Any) -> bool:
    """Only the Bureau national creates, configures, publishes and features conventions."""
    return is_national_bureau(user)


def _check(actor: Any, convention: Convention | None = None) -> None:
    ensure(can_set_up(actor), ONLY_THE_BUREAU)
    if convention is not None and convention.is_published:
        raise DomainError(ONLY_DRAFTS.format(title=convention.short_title or convention.title))


# --- step a: title, short title, address, description --------------------------------------------------


def propose_slug(title: str, exclude_id: int | None = None) -> str:
    """An address for ``title`` (« Sécurité et prévention » → ``securite-et-prevention``), free to use."""
    from convention.texts.operations import slugify

    base = slugify(title, max_length=SLUG_MAX - 4)
    if base == "texte" and not title.strip():
        base = "convention"
    candidate, n = base, 2
    while candidate in RESERVED_SLUGS or not _slug_free(candidate, exclude_id):
        candidate = f"{base}-{n}"
        n += 1
    return candidate


def _slug_free(slug: str, exclude_id: int | None) -> bool:
    query = sa.select(Convention.id).where(Convention.slug == slug)
    if exclude_id is not None:
        query = query.where(Convention.id != exclude_id)
    return db.session.scalar(query.limit(1)) is None


def slug_problems(slug: str, exclude_id: int | None = None) -> list[str]:
    """Why ``slug`` cannot be the convention's address (empty list: it can)."""
    if not slug:
        return ["L'adresse est vide."]
    if len(slug) > SLUG_MAX:
        return [f"L'adresse fait {len(slug)} caractères : {SLUG_MAX} au plus."]
    if not SLUG_PATTERN.match(slug):
        return [
            "L'adresse ne peut contenir que des lettres minuscules sans accent, des chiffres et des tirets "
            "(pas au début ni à la fin), par exemple « securite-et-prevention »."
        ]
    if slug in RESERVED_SLUGS:
        return [f"L'adresse « {slug} » est réservée par le site : choisissez-en une autre."]
    if not _slug_free(slug, exclude_id):
        return [f"L'adresse « {slug} » est déjà celle d'une autre convention : choisissez-en une autre."]
    return []


def _identity_values(title: str, short_title: str, slug: str, description: str, exclude_id: int | None) -> dict:
    title, short_title, description = title.strip(), short_title.strip(), description.strip()
    slug = slug.strip().lower() or propose_slug(title, exclude_id)
    problems = []
    if not title:
        problems.append("Le titre est obligatoire.")
    if not short_title:
        problems.append("Le titre court est obligatoire.")
    problems += slug_problems(slug, exclude_id)
    if problems:
        raise SetupError(problems)
    return {"title": title, "short_title": short_title, "slug": slug, "description": description}


def create_draft(actor: Any, *, title: str, short_title: str, slug: str = "", description: str = "") -> Convention:
    """A new convention, as a draft nobody else sees, from the wizard's first step."""
    _check(actor)
    values = _identity_values(title, short_title, slug, description, None)
    convention = Convention(**values, is_featured=False, published_dt=None)
    db.session.add(convention)
    db.session.flush()
    audit(actor, "convention.draft_created", convention, **values)
    return convention


def update_identity(
    actor: Any, convention: Convention, *, title: str, short_title: str, slug: str = "", description: str = ""
) -> None:
    """Change the title, short title, address or description of a draft."""
    _check(actor, convention)
    values = _identity_values(title, short_title, slug, description, convention.id)
    old = {key: getattr(convention, key) for key in values}
    if old == values:
        return
    for key, value in values.items():
        setattr(convention, key, value)
    audit(actor, "convention.identity_updated", convention, old=old, new=values)
    db.session.flush()


# --- step b: the phases ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhaseDates:
    kind: PhaseKind
    starts_on: dt.date | None
    ends_on: dt.date | None


_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def _day(value: dt.date) -> str:
    """« 1er mai 2026 », « 12 juin 2026 » (the messages are French, written outside any request)."""
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {_MONTHS[value.month - 1]} {value.year}"


def phase_plan_problems(rows: Sequence[PhaseDates]) -> list[str]:
    """Why these dates cannot be the convention's phases (empty list: they can).

    Every phase of :class:`PhaseKind`, in its order; each starts on or before its end; only the
    adopted text may have no end; a phase starts after the previous one ends (no day shared),
    except the working groups and the contributions, which the party runs side by side.
    """
    label = {kind: f"« {PHASE_LABELS[kind]} »" for kind in PhaseKind}
    by_kind = {row.kind: row for row in rows}
    problems: list[str] = []
    for kind in PHASE_ORDER:
        row = by_kind.get(kind)
        if row is None or row.starts_on is None:
            problems.append(f"{label[kind]} : la date de début est obligatoire.")
        elif row.ends_on is None and kind != OPEN_ENDED:
            problems.append(f"{label[kind]} : la date de fin est obligatoire.")
        elif row.ends_on is not None and row.ends_on < row.starts_on:
            problems.append(f"{label[kind]} : la fin ({_day(row.ends_on)}) précède le début ({_day(row.starts_on)}).")
    if problems:
        return problems
    ordered = [by_kind[kind] for kind in PHASE_ORDER]
    for index, later in enumerate(ordered):
        for earlier in ordered[:index]:
            if later.starts_on < earlier.starts_on:
                problems.append(
                    f"{label[later.kind]} commence le {_day(later.starts_on)}, avant {label[earlier.kind]} "
                    f"({_day(earlier.starts_on)}) : les phases doivent se suivre dans l'ordre."
                )
            elif frozenset({earlier.kind, later.kind}) not in PARALLEL_PHASES and (
                earlier.ends_on is None or later.starts_on <= earlier.ends_on
            ):
                problems.append(
                    f"{label[earlier.kind]} et {label[later.kind]} se chevauchent : {label[later.kind]} "
                    f"commence le {_day(later.starts_on)}, avant la fin de {label[earlier.kind]} "
                    f"({_day(earlier.ends_on) if earlier.ends_on else 'sans fin'})."
                )
    return problems


def save_phases(actor: Any, convention: Convention, rows: Sequence[PhaseDates]) -> None:
    """Set the seven phases of a draft; nothing is written when the dates do not hold together."""
    _check(actor, convention)
    problems = phase_plan_problems(rows)
    if problems:
        raise SetupError(problems)
    by_kind = {row.kind: row for row in rows}
    existing = {phase.kind: phase for phase in convention.phases}
    new: dict[str, Any] = {}
    for position, kind in enumerate(PHASE_ORDER):
        row = by_kind[kind]
        phase = existing.get(kind)
        if phase is None:
            phase = Phase(kind=kind, position=position, starts_on=row.starts_on, ends_on=row.ends_on)
            convention.phases.append(phase)
        else:
            phase.position, phase.starts_on, phase.ends_on = position, row.starts_on, row.ends_on
        new[kind.value] = [row.starts_on, row.ends_on]
    db.session.flush()
    audit(actor, "convention.phases_saved", convention, phases=new)


# --- step c: the steering committee and the working groups --------------------------------------------------


def search_members(query: str, limit: int = 20) -> list[Member]:
    """Members whose name or membership number matches ``query`` (at least two characters)."""
    query = " ".join(query.split())
    if len(query) < 2:
        return []
    cleaned = query.lower().replace("%", "").replace("_", "")
    pattern = f"%{cleaned}%"
    full = sa.func.lower(Member.first_name + " " + Member.last_name)
    reverse = sa.func.lower(Member.last_name + " " + Member.first_name)
    return list(
        db.session.scalars(
            sa.select(Member)
            .where(
                sa.or_(
                    full.like(pattern),
                    reverse.like(pattern),
                    sa.func.lower(Member.membership_number).like(f"{cleaned}%"),
                )
            )
            .order_by(Member.last_name, Member.first_name, Member.id)
            .limit(limit)
        )
    )


def _person_for_member(member: Member) -> Person:
    """The Person row of ``member``, created if needed.

    A Person of the same name who is not linked to a member (an animator of an archived
    convention, an expert) is never taken over: a namesake may be someone else, and another
    convention's rows must not change. The new row's name then carries the membership number.
    """
    person = db.session.scalars(sa.select(Person).where(Person.member_id == member.id).limit(1)).first()
    user_id = member.user.id if member.user is not None else None
    if person is None:
        namesake = db.session.scalars(sa.select(Person).where(Person.full_name == member.full_name)).first()
        name = member.full_name if namesake is None else f"{member.full_name} ({member.membership_number})"
        person = Person(
            full_name=name[:160], first_name=member.first_name, last_name=member.last_name, member_id=member.id
        )
        db.session.add(person)
    if person.user_id is None and user_id is not None:
        person.user_id = user_id
    db.session.flush()
    return person


def _person_not_member(full_name: str, quality: str) -> Person:
    """A person who is not a member (an expert, an elected official), by name and quality."""
    full_name, quality = " ".join(full_name.split()), " ".join(quality.split())
    if not full_name:
        raise SetupError(["Le nom de la personne est obligatoire."])
    if len(full_name) > 160:
        raise SetupError(["Le nom fait plus de 160 caractères."])
    person = db.session.scalars(sa.select(Person).where(Person.full_name == full_name)).first()
    if person is not None and person.member_id is not None:
        raise SetupError(
            [f"« {full_name} » est adhérent·e : choisissez cette personne dans la recherche des adhérent·es."]
        )
    if person is None:
        person = Person(full_name=full_name, titles=quality)
        db.session.add(person)
    elif quality and not person.titles:
        person.titles = quality
    db.session.flush()
    return person


def _person(member_id: int | None, full_name: str, quality: str) -> Person:
    if member_id is not None:
        member = db.session.get(Member, member_id)
        if member is None:
            raise SetupError(["Cet·te adhérent·e n'existe pas."])
        return _person_for_member(member)
    return _person_not_member(full_name, quality)


def _account_of(person: Person):
    if person.user is not None:
        return person.user
    if person.member is not None:
        return person.member.user
    return None


def _grant(actor: Any, person: Person, role: Role, scope: Any) -> None:
    from convention.members.operations import assign_role

    user = _account_of(person)
    if user is None:
        return
    field = "working_group_id" if role == Role.PILOT else "convention_id"
    held = any(a.role == role and getattr(a, field) == scope.id for a in user.roles)
    if not held:
        assign_role(actor, user, role, scope)


def _revoke(actor: Any, person: Person, role: Role, scope: Any) -> None:
    from convention.members.operations import revoke_role

    user = _account_of(person)
    if user is None:
        return
    field = "working_group_id" if role == Role.PILOT else "convention_id"
    for assignment in list(user.roles):
        if assignment.role == role and getattr(assignment, field) == scope.id:
            revoke_role(actor, assignment)


def committee_of(convention: Convention) -> list[SteeringRole]:
    return list(
        db.session.scalars(
            sa.select(SteeringRole)
            .where(SteeringRole.convention_id == convention.id, SteeringRole.kind == SteeringRoleKind.COMMITTEE)
            .order_by(SteeringRole.position, SteeringRole.id)
        )
    )


def groups_of(convention: Convention) -> list[WorkingGroup]:
    return list(
        db.session.scalars(
            sa.select(WorkingGroup).where(WorkingGroup.convention_id == convention.id).order_by(WorkingGroup.number)
        )
    )


def add_committee_member(
    actor: Any, convention: Convention, *, member_id: int | None = None, full_name: str = "", quality: str = ""
) -> SteeringRole:
    """Name a member (their account gets the committee role) or a non-member on the steering committee."""
    _check(actor, convention)
    person = _person(member_id, full_name, quality)
    if any(role.person_id == person.id for role in committee_of(convention)):
        raise SetupError([f"{person.display_name} est déjà au comité de pilotage."])
    position = len(committee_of(convention))
    role = SteeringRole(
        convention_id=convention.id,
        person_id=person.id,
        kind=SteeringRoleKind.COMMITTEE,
        label=COMMITTEE_LABEL,
        note=(quality or person.titles or "")[:300],
        position=position,
    )
    db.session.add(role)
    db.session.flush()
    _grant(actor, person, Role.COMMITTEE, convention)
    audit(actor, "convention.committee_added", convention, person_id=person.id, name=person.full_name)
    return role


def remove_committee_member(actor: Any, convention: Convention, role: SteeringRole) -> None:
    """Take someone off the committee of a draft (and their account's committee role)."""
    _check(actor, convention)
    if role.convention_id != convention.id or role.kind != SteeringRoleKind.COMMITTEE:
        raise DomainError("Cette personne n'est pas au comité de pilotage de cette convention.")
    person = role.person
    db.session.delete(role)
    db.session.flush()
    _revoke(actor, person, Role.COMMITTEE, convention)
    audit(actor, "convention.committee_removed", convention, person_id=person.id, name=person.full_name)


def _group_values(convention: Convention, number: int | None, title: str, description: str, exclude_id=None) -> dict:
    title, description = " ".join(title.split()), description.strip()
    problems = []
    if number is None or number < 1:
        problems.append("Le numéro du groupe est un nombre entier à partir de 1.")
    elif any(g.number == number and g.id != exclude_id for g in groups_of(convention)):
        problems.append(f"Il y a déjà un groupe de travail n° {number} dans cette convention.")
    if not title:
        problems.append("Le titre du groupe est obligatoire.")
    elif len(title) > 400:
        problems.append("Le titre du groupe fait plus de 400 caractères.")
    if problems:
        raise SetupError(problems)
    return {"number": number, "title": title, "description": description}


def add_working_group(
    actor: Any, convention: Convention, *, number: int | None, title: str, description: str = ""
) -> WorkingGroup:
    """A new working group of a draft, by its number, title and description."""
    _check(actor, convention)
    values = _group_values(convention, number, title, description)
    group = WorkingGroup(convention_id=convention.id, **values)
    db.session.add(group)
    db.session.flush()
    audit(actor, "working_group.created", group, convention_id=convention.id, **values)
    return group


def update_working_group(
    actor: Any, convention: Convention, group: WorkingGroup, *, number: int | None, title: str, description: str = ""
) -> None:
    """Change the number, title or description of a draft's working group."""
    _check(actor, convention)
    if group.convention_id != convention.id:
        raise DomainError("Ce groupe n'est pas de cette convention.")
    values = _group_values(convention, number, title, description, exclude_id=group.id)
    for key, value in values.items():
        setattr(group, key, value)
    db.session.flush()
    audit(actor, "working_group.updated", group, convention_id=convention.id, **values)


def remove_working_group(actor: Any, convention: Convention, group: WorkingGroup) -> None:
    """Delete a draft's working group, its animators and their pilot roles."""
    _check(actor, convention)
    if group.convention_id != convention.id:
        raise DomainError("Ce groupe n'est pas de cette convention.")
    for animator in list(group.animators):
        _revoke(actor, animator.person, Role.PILOT, group)
    for assignment in db.session.scalars(sa.select(RoleAssignment).where(RoleAssignment.working_group_id == group.id)):
        db.session.delete(assignment)
    audit(actor, "working_group.deleted", group, convention_id=convention.id, number=group.number)
    db.session.delete(group)
    db.session.flush()


def add_animator(
    actor: Any,
    convention: Convention,
    group: WorkingGroup,
    *,
    member_id: int | None = None,
    full_name: str = "",
    quality: str = "",
) -> WorkingGroupAnimator:
    """Name an animator of a group: a member (their account gets the pilot role on it) or a non-member."""
    _check(actor, convention)
    if group.convention_id != convention.id:
        raise DomainError("Ce groupe n'est pas de cette convention.")
    person = _person(member_id, full_name, quality)
    if any(a.person_id == person.id for a in group.animators):
        raise SetupError([f"{person.display_name} anime déjà le groupe n° {group.number}."])
    animator = WorkingGroupAnimator(person=person, position=len(group.animators))
    group.animators.append(animator)
    db.session.flush()
    _grant(actor, person, Role.PILOT, group)
    audit(actor, "working_group.animator_added", group, person_id=person.id, name=person.full_name)
    return animator


def remove_animator(actor: Any, convention: Convention, animator: WorkingGroupAnimator) -> None:
    """Take an animator off a draft's group (and their account's pilot role on it)."""
    _check(actor, convention)
    group = animator.working_group
    if group.convention_id != convention.id:
        raise DomainError("Ce groupe n'est pas de cette convention.")
    person = animator.person
    group.animators.remove(animator)
    db.session.flush()
    _revoke(actor, person, Role.PILOT, group)
    audit(actor, "working_group.animator_removed", group, person_id=person.id, name=person.full_name)


# --- step d: the draft text, version 1 ------------------------------------------------------------------------


def draft_text(convention: Convention):
    from convention.versions.operations import main_text

    return main_text(convention)


def _drop_draft_text(text) -> None:
    """Delete a draft convention's text (to be replaced by another file before publication)."""
    from convention.search.models import SearchDocument, SearchKind
    from convention.texts.models import Block, TextVersion

    blocks = sa.select(Block.id).where(
        Block.version_id.in_(sa.select(TextVersion.id).where(TextVersion.text_id == text.id))
    )
    db.session.execute(
        sa.delete(SearchDocument).where(SearchDocument.kind == SearchKind.TEXT, SearchDocument.object_id.in_(blocks))
    )
    db.session.delete(text)
    db.session.flush()


def _refuse_if_used(text) -> None:
    """A draft's text that amendments already cite is not replaced (nothing of theirs is deleted)."""
    from convention.amendments.models import Amendment, AmendmentCluster

    for model in (Amendment, AmendmentCluster):
        if db.session.scalar(sa.select(sa.func.count()).select_from(model).where(model.text_id == text.id)):
            raise SetupError(
                ["Des amendements portent déjà sur le projet de texte enregistré : il ne peut plus être remplacé."]
            )


def _unindex(text) -> None:
    """Keep a draft's text out of the search (it is indexed at publication)."""
    from convention.search.models import SearchDocument, SearchKind
    from convention.texts.models import Block, TextVersion

    blocks = sa.select(Block.id).where(
        Block.version_id.in_(sa.select(TextVersion.id).where(TextVersion.text_id == text.id))
    )
    db.session.execute(
        sa.delete(SearchDocument).where(SearchDocument.kind == SearchKind.TEXT, SearchDocument.object_id.in_(blocks))
    )


def confirm_draft_text(actor: Any, convention: Convention, parsed: Any, filename: str, *, checksum: str = ""):
    """Write the previewed file as version 1 of the draft's text (replacing a text confirmed before).

    Uses the importer's writer (:func:`convention.texts.operations.import_text_version`); nobody is
    notified and the search does not see it until the convention is published.
    """
    from convention.texts.models import VersionStatus
    from convention.texts.operations import import_text_version
    from convention.versions.operations import parsed_issues

    _check(actor, convention)
    issues = parsed_issues(parsed)
    if issues:
        raise SetupError([f"Le fichier « {filename} » contient {len(issues)} problème(s) : rien n'a été enregistré."])
    previous = draft_text(convention)
    replaced = previous is not None
    if replaced:
        _refuse_if_used(previous)
        _drop_draft_text(previous)
    title = parsed.title if 0 < len(parsed.title) <= 300 else convention.title
    version = import_text_version(
        actor,
        convention,
        parsed,
        label=f"Projet de texte (fichier {filename})"[:200],
        source=filename,
        title=title,
        status=VersionStatus.DRAFT,
        notify=False,
    )
    version.checksum = checksum
    _unindex(version.text)
    db.session.flush()
    audit(
        actor,
        "convention.draft_text_confirmed",
        convention,
        text_id=version.text_id,
        number=version.number,
        filename=filename,
        format=parsed.format,
        checksum=checksum,
        replaced=replaced,
        warnings=len(parsed.warnings),
    )
    return version


# --- step e: summary, publication; featuring --------------------------------------------------------------------


def missing_for_publication(convention: Convention) -> list[str]:
    """What a draft still lacks to be published, in French (empty list: it can be)."""
    missing = []
    kinds = {phase.kind for phase in convention.phases}
    if not kinds:
        missing.append("Aucune phase n'est datée (étape « Phases et dates »).")
    elif kinds != set(PhaseKind):
        absent = ", ".join(f"« {PHASE_LABELS[k]} »" for k in PHASE_ORDER if k not in kinds)
        missing.append(f"Des phases ne sont pas datées : {absent}.")
    groups = groups_of(convention)
    if not groups:
        missing.append("Aucun groupe de travail (étape « Comité et groupes »).")
    for group in groups:
        if not group.animators:
            missing.append(f"Le groupe de travail n° {group.number} n'a pas d'animateur·rice.")
    text = draft_text(convention)
    if text is None or not text.versions:
        missing.append("Pas de projet de texte (étape « Projet de texte »).")
    return missing


def publish_convention(actor: Any, convention: Convention, now: dt.datetime | None = None) -> None:
    """Make a complete draft public; refused with the list of what is missing."""
    from convention.search.indexing import index_text

    _check(actor, convention)
    missing = missing_for_publication(convention)
    if missing:
        raise SetupError(["La convention ne peut pas encore être publiée :", *missing])
    convention.published_dt = now or utcnow()
    index_text(draft_text(convention))
    db.session.flush()
    audit(actor, "convention.published", convention, slug=convention.slug)


def feature_convention(actor: Any, convention: Convention) -> None:
    """Make ``convention`` the one ``/`` shows: every other one loses the mark, in one statement."""
    ensure(can_set_up(actor), ONLY_THE_BUREAU)
    if not convention.is_published:
        raise DomainError("Un brouillon ne peut pas être mis en avant : publiez d'abord la convention.")
    previous = db.session.scalars(sa.select(Convention.id).where(Convention.is_featured.is_(True))).all()
    db.session.execute(
        sa.update(Convention)
        .where(sa.or_(Convention.is_featured.is_(True), Convention.id == convention.id))
        .values(is_featured=sa.case((Convention.id == convention.id, sa.true()), else_=sa.false()))
        .execution_options(synchronize_session=False)
    )
    mark_changed()  # the featured convention kept by this process is dropped at the commit
    db.session.expire_all()
    audit(actor, "convention.featured", convention, previous=list(previous))
    db.session.flush()


def next_step(convention: Convention) -> str:
    """The first step of the wizard still to do (to resume a draft)."""
    if not convention.phases:
        return "phases"
    groups = groups_of(convention)
    if not groups or any(not g.animators for g in groups):
        return "equipes"
    text = draft_text(convention)
    if text is None or not text.versions:
        return "texte"
    return "publication"


def state_of(convention: Convention, today: dt.date) -> str:
    """« draft », « featured », « archived » (its text adopted) or « published »."""
    if not convention.is_published:
        return "draft"
    if convention.is_featured:
        return "featured"
    if convention.is_archived(today):
        return "archived"
    return "published"


def list_conventions() -> list[Convention]:
    """Every convention: featured first, then published ones by recency, then drafts."""
    return list(
        db.session.scalars(
            sa.select(Convention).order_by(
                Convention.is_featured.desc(),
                Convention.published_dt.is_(None),
                Convention.created_dt.desc(),
                Convention.id.desc(),
            )
        )
    )
