"""Section paper votes: the émargement list, the minutes (procès-verbal), the federation's validation.

A section that votes in its meeting keeps its émargement list on the platform: its secretary opens
the section's list while the poll is open, marks the members who voted on paper (a
``Participation`` with the paper channel, the report and who marked it: never what they voted)
and enters the minutes: the meeting's date, the bureau, registered, voters, and per question the
votes, blank and void ballots. Each transmission is a new ``SectionReportRevision``; the
federation's first secretary (or the Bureau national) validates it or sends it back with a reason.
Only validated minutes are counted (``paper_tallies``, ``paper_turnout``).

One voter, one vote: the UNIQUE(poll, member) constraint of ``Participation`` holds for both
channels, so a member who voted online cannot be marked and a member marked on paper cannot vote
online (``operations.cast_ballot``); concurrent attempts leave exactly one participation.

Operations take the actor, check the permission, flush, audit and never commit.
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, selectinload

from convention.core.audit import AuditEntry, audit
from convention.core.db import db, savepoint, utcnow
from convention.core.links import path_for
from convention.core.permissions import ensure
from convention.domain.ballots import GRADES, ranking_groups
from convention.domain.counting import CountError, Tally
from convention.domain.errors import DomainError
from convention.domain.polls import PollState, QuestionMethod, ReportState, VoteChannel
from convention.domain.roles import Role
from convention.members.models import Federation, Member, RoleAssignment, Section, User
from convention.notifications.models import NotificationKind
from convention.notifications.operations import notify_many
from convention.votes import operations
from convention.votes.counting import question_of
from convention.votes.models import (
    Participation,
    Poll,
    PollQuestion,
    RollEntry,
    SectionReport,
    SectionReportRevision,
)

PARIS = zoneinfo.ZoneInfo("Europe/Paris")

# The émargement list and the minutes can be changed in these states of the report…
EDITABLE_REPORT_STATES = frozenset({ReportState.OPEN, ReportState.RETURNED})
# …and the paper vote's work (marks, minutes, validation) goes on in these states of the poll:
# after the close too, until the proclamation (the Bureau national then counts again).
ACTIVE_POLL_STATES = frozenset({PollState.OPEN, PollState.CLOSED, PollState.TALLIED})

MAX_BUREAU_NAMES = 2000
MAX_NOTE = 5000
MAX_REASON = 2000
MAX_FIGURE = 1_000_000
MAX_RANKINGS = 500

AUDIT_OPEN = "paper.open"
AUDIT_MARK = "paper.mark"
AUDIT_UNMARK = "paper.unmark"
AUDIT_SUBMIT = "paper.submit"
AUDIT_VALIDATE = "paper.validate"
AUDIT_RETURN = "paper.return"

_KEEPER_ONLY = "Seul·e le ou la secrétaire de la section tient sa liste d'émargement."


class PaperVoteError(DomainError):
    """A section's paper vote refuses the change (state, window, roll, one voter one vote)."""


class MinutesError(PaperVoteError):
    """The minutes do not add up: every problem found, each with the field it is about.

    ``errors`` is a list of (key, message): key « meeting_date », « bureau_names », « registered »,
    « voters », « note » or « q<question id> ».
    """

    def __init__(self, errors: Sequence[tuple[str, str]]):
        self.errors = list(errors)
        super().__init__(" ".join(message for _, message in self.errors))

    def messages(self, key: str) -> list[str]:
        return [message for k, message in self.errors if k == key]


# --- who may do what ---------------------------------------------------------------------------


def _authenticated(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def _national_bureau(user: Any) -> bool:
    return _authenticated(user) and user.has_role(Role.NATIONAL_BUREAU)


def is_section_secretary(user: Any, section_id: int) -> bool:
    return _authenticated(user) and user.has_role(Role.SECTION_SECRETARY, section_id=section_id)


def is_federation_secretary(user: Any, federation_id: int) -> bool:
    return _authenticated(user) and user.has_role(Role.FEDERATION_SECRETARY, federation_id=federation_id)


def can_keep_list(user: Any, section: Section) -> bool:
    """Open the list, mark voters, enter the minutes: the section's secretary only."""
    return is_section_secretary(user, section.id)


def can_view_section(user: Any, section: Section) -> bool:
    """See a section's list and minutes: its secretary, its federation's first secretary, the Bureau national."""
    return (
        can_keep_list(user, section) or is_federation_secretary(user, section.federation_id) or _national_bureau(user)
    )


def can_validate(user: Any, federation_id: int) -> bool:
    """Validate or send back a section's minutes: the federation's first secretary, or the Bureau national."""
    return is_federation_secretary(user, federation_id) or _national_bureau(user)


def can_view_overview(user: Any) -> bool:
    """The national overview of the sections' paper votes: the Bureau national."""
    return _national_bureau(user)


# --- reading -----------------------------------------------------------------------------------


def get_report(poll_id: int, section_id: int) -> SectionReport | None:
    return db.session.scalar(
        sa.select(SectionReport).where(SectionReport.poll_id == poll_id, SectionReport.section_id == section_id)
    )


def list_reports(poll_id: int, federation_id: int | None = None) -> list[SectionReport]:
    """The poll's reports (of one federation), by federation then section name."""
    query = (
        sa.select(SectionReport)
        .join(Section, Section.id == SectionReport.section_id)
        .join(Federation, Federation.id == SectionReport.federation_id)
        .where(SectionReport.poll_id == poll_id)
        .order_by(Federation.code, Section.name)
        # The list pages show each report's section, federation and last version: loaded here, not per row.
        .options(
            contains_eager(SectionReport.section),
            contains_eager(SectionReport.federation),
            selectinload(SectionReport.revisions),
        )
    )
    if federation_id is not None:
        query = query.where(SectionReport.federation_id == federation_id)
    return list(db.session.scalars(query))


def section_roll_count(poll_id: int, section_id: int) -> int:
    """The section's registered members (inscrits) on the frozen roll."""
    return (
        db.session.scalar(
            sa.select(sa.func.count()).where(RollEntry.poll_id == poll_id, RollEntry.section_id == section_id)
        )
        or 0
    )


def count_marks(report: SectionReport) -> int:
    """The members marked on the report's émargement list."""
    return (
        db.session.scalar(
            sa.select(sa.func.count()).where(
                Participation.report_id == report.id, Participation.channel == VoteChannel.PAPER
            )
        )
        or 0
    )


@dataclass
class RollLine:
    """One member of a section's roll, as the émargement page shows it."""

    member_id: int
    first_name: str
    last_name: str
    membership_number: str
    channel: VoteChannel | None  # None: has not voted
    report_id: int | None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def is_marked(self) -> bool:
        return self.channel == VoteChannel.PAPER

    @property
    def voted_online(self) -> bool:
        return self.channel == VoteChannel.ONLINE


@dataclass
class SectionCounts:
    registered: int = 0
    paper: int = 0  # marked on this section's list
    online: int = 0  # members of the section's roll who voted online

    @property
    def remaining(self) -> int:
        return max(self.registered - self.paper - self.online, 0)


def _fold(text: str) -> str:
    """Lower case without accents, for searching names (« Hélène » ~ « helene »)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def section_roll(poll_id: int, section_id: int) -> list[RollLine]:
    """The section's frozen roll with each member's participation, by name."""
    rows = db.session.execute(
        sa.select(
            Member.id,
            Member.first_name,
            Member.last_name,
            Member.membership_number,
            Participation.channel,
            Participation.report_id,
        )
        .join(RollEntry, RollEntry.member_id == Member.id)
        .outerjoin(Participation, sa.and_(Participation.poll_id == poll_id, Participation.member_id == Member.id))
        .where(RollEntry.poll_id == poll_id, RollEntry.section_id == section_id)
    ).all()
    lines = [RollLine(*row) for row in rows]
    lines.sort(key=lambda line: (_fold(line.last_name), _fold(line.first_name), line.membership_number))
    return lines


def search_roll(lines: Sequence[RollLine], query: str) -> list[RollLine]:
    """The lines whose name or membership number contains every word of ``query`` (accents ignored)."""
    words = _fold(query).split()
    if not words:
        return list(lines)
    return [
        line
        for line in lines
        if all(word in _fold(f"{line.first_name} {line.last_name} {line.membership_number}") for word in words)
    ]


def section_counts(lines: Sequence[RollLine], report: SectionReport | None) -> SectionCounts:
    counts = SectionCounts(registered=len(lines))
    for line in lines:
        if line.voted_online:
            counts.online += 1
        elif line.is_marked and report is not None and line.report_id == report.id:
            counts.paper += 1
    return counts


@dataclass
class HistoryEvent:
    when: dt.datetime
    action: str
    actor: str
    data: dict[str, Any] = field(default_factory=dict)


def report_history(report: SectionReport) -> list[HistoryEvent]:
    """What happened to the report (opened, each transmission, returns with their reason, validation)."""
    rows = db.session.execute(
        sa.select(AuditEntry.created_dt, AuditEntry.action, User.display_name, AuditEntry.data)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .where(
            AuditEntry.object_type == SectionReport.__name__,
            AuditEntry.object_id == report.id,
            AuditEntry.action.in_([AUDIT_OPEN, AUDIT_SUBMIT, AUDIT_VALIDATE, AUDIT_RETURN]),
        )
        .order_by(AuditEntry.created_dt, AuditEntry.id)
    ).all()
    return [HistoryEvent(when, action, name or "", dict(data or {})) for when, action, name, data in rows]


def figures_of(revision: SectionReportRevision) -> dict[str, Any]:
    return json.loads(revision.figures)


def describe_figures(poll: Poll, figures: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The figures of a revision per question with the options' labels, in the poll's order.

    Each item: ``question`` (PollQuestion), ``method``, ``blank``, ``void`` and ``rows``: a list of
    (label, value) where value is a count, or for majority judgment a list of (grade, count); for
    Schulze, ``rankings``: a list of (count, « A > B = C »).
    """
    described = []
    for question in poll.questions:
        data = figures.get(question.key, {})
        labels = {str(o.id): o.label for o in question.options}
        item: dict[str, Any] = {
            "question": question,
            "method": question.method,
            "blank": data.get("blank", 0),
            "void": data.get("void", 0),
            "rows": [],
            "rankings": [],
        }
        if question.method == QuestionMethod.YES_NO_ABSTAIN:
            item["rows"] = [(o.label, data.get(o.code, 0)) for o in question.options]
        elif question.method == QuestionMethod.SCHULZE:
            item["rankings"] = [
                (row["count"], " > ".join(" = ".join(labels[str(i)] for i in group) for group in row["ranking"]))
                for row in data.get("rankings", [])
            ]
        elif question.method == QuestionMethod.MAJORITY_JUDGMENT:
            item["rows"] = [
                (o.label, list(zip(GRADES, data.get(str(o.id)) or [0] * len(GRADES), strict=False)))
                for o in question.options
            ]
        else:
            item["rows"] = [(o.label, data.get(str(o.id), 0)) for o in question.options]
        described.append(item)
    return described


# --- checking the minutes (pure) --------------------------------------------------------------


@dataclass
class MinutesData:
    """What the minutes form gives.

    ``figures``: per question id (int or str), in the format of ``SectionReportRevision.figures``
    (yes/no/abstain ``{"yes", "no", "abstain", "blank", "void"}``; single and approval ``{"<option
    id>": n, "blank", "void"}``; majority judgment ``{"<option id>": [n per grade], "blank",
    "void"}``; Schulze ``{"rankings": [{"count": n, "ranking": [[ids], …]}], "blank", "void"}``).
    """

    meeting_date: dt.date | None
    bureau_names: str
    registered: int | None
    voters: int | None
    figures: Mapping[Any, Any]
    note: str = ""


def _count(value: Any) -> int | None:
    """A non-negative count, or None if ``value`` is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        number = int(value.strip())
    elif value is None or value == "":
        return 0
    else:
        return None
    return number if 0 <= number <= MAX_FIGURE else None


def _plural(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n in (0, 1) else plural}"


def _marked(voters: int) -> str:
    return _plural(voters, "votant·e est émargé·e", "votant·es sont émargé·es")


def check_question_figures(question: Any, raw: Any, voters: int) -> tuple[dict[str, Any], list[str]]:
    """The canonical figures of one question and the French messages of what does not add up.

    ``question`` has ``id``, ``title``, ``method`` and ``options`` (with ``id``, ``label``, ``code``).
    """
    where = f"« {question.title} »"
    errors: list[str] = []
    if not isinstance(raw, Mapping):
        return {}, [f"{where} : les résultats de cette question manquent."]
    method = QuestionMethod(question.method)
    options = list(question.options)
    if method == QuestionMethod.YES_NO_ABSTAIN:
        keys = [o.code for o in options]
    else:
        keys = [str(o.id) for o in options]
    names = dict(zip(keys, [o.label for o in options], strict=True))
    allowed = set(keys) | {"blank", "void"} | ({"rankings"} if method == QuestionMethod.SCHULZE else set())
    unknown = sorted(str(k) for k in raw if str(k) not in allowed)
    if unknown:
        errors.append(f"{where} : réponse inconnue « {unknown[0]} ».")
    data = {str(k): v for k, v in raw.items()}
    blank, void = _count(data.get("blank")), _count(data.get("void"))
    if blank is None or void is None:
        errors.append(f"{where} : les bulletins blancs et nuls sont des nombres entiers positifs ou nuls.")
        return {}, errors
    figures: dict[str, Any] = {"blank": blank, "void": void}
    counted = f"{_plural(blank, 'blanc', 'blancs')} et {_plural(void, 'nul', 'nuls')}"
    if blank + void > voters:
        errors.append(
            f"{where} : {counted} font {blank + void} bulletins, "
            f"plus que les {_plural(voters, 'votant·e', 'votant·es')}."
        )
        return figures, errors
    valid = voters - blank - void

    if method == QuestionMethod.SCHULZE:
        rows = data.get("rankings") or []
        if isinstance(rows, str) or not isinstance(rows, Sequence) or len(rows) > MAX_RANKINGS:
            return figures, [*errors, f"{where} : les classements sont illisibles."]
        valid_ids = {o.id for o in options}
        canonical = []
        for index, row in enumerate(rows, start=1):
            count = _count(row.get("count")) if isinstance(row, Mapping) else None
            ranking = row.get("ranking") if isinstance(row, Mapping) else None
            groups = ranking_groups(ranking, valid_ids)
            if count is None or groups is None:
                errors.append(
                    f"{where}, classement n° {index} : il est illisible (rangs 1, 2, 3…, une réponse une fois)."
                )
                continue
            if count == 0:
                continue
            if not groups:
                errors.append(
                    f"{where}, classement n° {index} : {_plural(count, 'bulletin', 'bulletins')} sans aucune réponse "
                    "classée : comptez-les comme blancs."
                )
                continue
            canonical.append({"count": count, "ranking": groups})
        figures["rankings"] = canonical
        ranked = sum(row["count"] for row in canonical)
        if not errors and ranked + blank + void != voters:
            errors.append(
                f"{where} : les classements comptent {_plural(ranked, 'bulletin', 'bulletins')}, plus {counted} : "
                f"{ranked + blank + void} bulletins, mais {_marked(voters)}."
            )
        return figures, errors

    for key in keys:
        if method == QuestionMethod.MAJORITY_JUDGMENT:
            row = data.get(key)
            if row is None:
                row = [0] * len(GRADES)
            counts = [_count(n) for n in row] if isinstance(row, list | tuple) and len(row) == len(GRADES) else None
            if counts is None or any(n is None for n in counts):
                errors.append(f"{where} : pour « {names[key]} », indiquez un nombre par mention.")
                continue
            figures[key] = counts
        else:
            n = _count(data.get(key))
            if n is None:
                errors.append(f"{where} : « {names[key]} » doit être un nombre entier positif ou nul.")
                continue
            figures[key] = n
    if errors:
        return figures, errors

    if method in (QuestionMethod.YES_NO_ABSTAIN, QuestionMethod.SINGLE):
        answered = sum(figures[key] for key in keys)
        detail = " + ".join(f"{names[key]} {figures[key]}" for key in keys)
        if answered + blank + void != voters:
            errors.append(
                f"{where} : {detail} + blancs {blank} + nuls {void} = {answered + blank + void}, "
                f"mais {_marked(voters)}."
            )
    elif method == QuestionMethod.APPROVAL:
        for key in keys:
            if figures[key] > valid:
                errors.append(
                    f"{where} : « {names[key]} » a {figures[key]} approbations, plus que les "
                    f"{_plural(valid, 'bulletin valable', 'bulletins valables')} ({voters} votant·es − {counted})."
                )
        approvals = sum(figures[key] for key in keys)
        if not errors and approvals < valid:
            errors.append(
                f"{where} : {_plural(approvals, 'approbation', 'approbations')} en tout pour "
                f"{_plural(valid, 'bulletin valable', 'bulletins valables')} ({voters} votant·es − {counted}) : "
                "un bulletin qui n'approuve aucune réponse est blanc."
            )
    else:  # majority judgment
        for key in keys:
            total = sum(figures[key])
            if total != valid:
                errors.append(
                    f"{where} : les mentions de « {names[key]} » totalisent {total}, au lieu des "
                    f"{_plural(valid, 'bulletin valable', 'bulletins valables')} ({voters} votant·es − {counted})."
                )
    return figures, errors


def check_minutes(
    questions: Sequence[Any],
    data: MinutesData,
    *,
    registered: int,
    marks: int,
    window: tuple[dt.date, dt.date],
    today: dt.date,
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The canonical figures and every problem of the minutes, as (key, French message) pairs.

    ``registered`` is the section's roll count, ``marks`` the members marked on its list,
    ``window`` the poll's first and last days (Paris time), ``today`` the day in Paris.
    """
    errors: list[tuple[str, str]] = []
    first, last = window
    if data.meeting_date is None:
        errors.append(("meeting_date", "Indiquez la date de la réunion de section."))
    elif data.meeting_date > today:
        errors.append(("meeting_date", "La date de la réunion ne peut pas être dans le futur."))
    elif not first <= data.meeting_date <= last:
        errors.append(
            (
                "meeting_date",
                f"La réunion doit avoir eu lieu pendant le vote, du {first:%d/%m/%Y} au {last:%d/%m/%Y} "
                f"(et non le {data.meeting_date:%d/%m/%Y}).",
            )
        )
    names = (data.bureau_names or "").strip()
    if not names:
        errors.append(("bureau_names", "Indiquez les noms des membres du bureau de vote (président·e, assesseur·es)."))
    elif len(names) > MAX_BUREAU_NAMES:
        errors.append(("bureau_names", f"Les noms du bureau tiennent en {MAX_BUREAU_NAMES} caractères au plus."))
    if len((data.note or "").strip()) > MAX_NOTE:
        errors.append(("note", f"L'observation tient en {MAX_NOTE} caractères au plus."))
    if data.registered is None or data.registered != registered:
        shown = "rien" if data.registered is None else str(data.registered)
        errors.append(
            (
                "registered",
                f"Inscrit·es : le procès-verbal en indique {shown}, mais la liste électorale de la section en compte "
                f"{registered}.",
            )
        )
    if data.voters is None or data.voters != marks:
        shown = "rien" if data.voters is None else str(data.voters)
        errors.append(
            (
                "voters",
                f"Votant·es : le procès-verbal en indique {shown}, mais "
                f"{_plural(marks, 'adhérent·e est émargé·e', 'adhérent·es sont émargé·es')} sur la liste. "
                "Émargez chaque votant·e, ou corrigez le nombre.",
            )
        )
    # The ballots of each question are checked against the marks: voters = marks = ballots.
    raw_figures = {str(k): v for k, v in (data.figures or {}).items()}
    unknown = set(raw_figures) - {str(q.id) for q in questions}
    if unknown:
        errors.append(("figures", "Les résultats portent sur une question qui ne fait pas partie du scrutin."))
    figures: dict[str, Any] = {}
    for question in questions:
        canonical, messages = check_question_figures(question, raw_figures.get(str(question.id)), marks)
        figures[str(question.id)] = canonical
        errors.extend((f"q{question.id}", message) for message in messages)
    return figures, errors


def poll_window(poll: Poll) -> tuple[dt.date, dt.date]:
    """The poll's first and last days, in Paris time."""
    return poll.opens_at.astimezone(PARIS).date(), poll.closes_at.astimezone(PARIS).date()


# --- writing -----------------------------------------------------------------------------------


def _poll_state(poll_id: int) -> PollState:
    """The poll's state, read with a shared lock: a close waits for the paper work under way (PostgreSQL)."""
    return db.session.scalar(sa.select(Poll.state).where(Poll.id == poll_id).with_for_update(read=True))


def _lock_report(report: SectionReport) -> None:
    """Reload the report's row, locked until the end of the transaction (PostgreSQL): marks and the
    minutes of one section are written one at a time, so « voters = marks » holds when submitted."""
    db.session.execute(sa.select(SectionReport.id).where(SectionReport.id == report.id).with_for_update())
    db.session.refresh(report)


def _check_active(poll_id: int) -> None:
    state = _poll_state(poll_id)
    if state == PollState.PROCLAIMED:
        raise PaperVoteError("Les résultats de ce scrutin sont proclamés : le vote sur papier ne peut plus changer.")
    if state not in ACTIVE_POLL_STATES:
        raise PaperVoteError("Ce scrutin n'est pas ouvert : le vote sur papier n'a pas commencé.")


def _check_editable(report: SectionReport) -> None:
    if report.state == ReportState.SUBMITTED:
        raise PaperVoteError(
            "Le procès-verbal est transmis à la fédération : la liste et les résultats ne peuvent plus changer, "
            "sauf si la fédération le renvoie à la section."
        )
    if report.state == ReportState.VALIDATED:
        raise PaperVoteError("Le procès-verbal est validé par la fédération : il ne peut plus changer.")


def _section_secretary_ids(section_id: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(RoleAssignment.user_id).where(
                RoleAssignment.role == Role.SECTION_SECRETARY, RoleAssignment.section_id == section_id
            )
        )
    )


def _federation_secretary_ids(federation_id: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(RoleAssignment.user_id).where(
                RoleAssignment.role == Role.FEDERATION_SECRETARY, RoleAssignment.federation_id == federation_id
            )
        )
    )


def open_report(actor: Any, poll: Poll, section: Section, now: dt.datetime | None = None) -> SectionReport:
    """Open the section's émargement list (its secretary, while the poll is open). Opening twice gives the same list."""
    ensure(can_keep_list(actor, section), _KEEPER_ONLY)
    if not poll.allows_paper:
        raise PaperVoteError("Ce scrutin se vote uniquement en ligne : il n'a pas de vote sur papier en section.")
    now = now or utcnow()
    state = _poll_state(poll.id)
    if state != PollState.OPEN or not poll.is_within_window(now):
        raise PaperVoteError(
            "La liste d'émargement s'ouvre pendant le vote seulement, entre son ouverture et sa clôture."
        )
    existing = get_report(poll.id, section.id)
    if existing is not None:
        return existing
    report = SectionReport(
        poll_id=poll.id, section_id=section.id, federation_id=section.federation_id, opened_by_id=actor.id,
        opened_dt=now, state=ReportState.OPEN,
    )  # fmt: skip
    try:
        with savepoint():
            db.session.add(report)
            db.session.flush()
    except IntegrityError:
        # Opened at the same moment by another request: that list is the section's.
        existing = get_report(poll.id, section.id)
        if existing is None:  # pragma: no cover - the constraint that failed is the only one
            raise
        return existing
    audit(actor, AUDIT_OPEN, report, poll_id=poll.id, section_id=section.id)
    return report


def member_name(member_id: int) -> str:
    """The member's name as messages show it."""
    member = db.session.get(Member, member_id)
    return member.full_name if member is not None else "Cet·te adhérent·e"


def mark_voter(actor: Any, report: SectionReport, member_id: int, now: dt.datetime | None = None) -> Participation:
    """Mark a member of the section's roll as having voted on paper (émargement; never what they voted)."""
    ensure(can_keep_list(actor, report.section), _KEEPER_ONLY)
    _lock_report(report)
    _check_active(report.poll_id)
    _check_editable(report)
    # The roll line read under a shared lock: a roll change (which locks it to update) waits for
    # this mark, or this mark sees the change (PostgreSQL; SQLite serialises writers).
    on_roll = db.session.scalar(
        sa.select(RollEntry.id)
        .where(
            RollEntry.poll_id == report.poll_id,
            RollEntry.member_id == member_id,
            RollEntry.section_id == report.section_id,
        )
        .with_for_update(read=True)
    )
    if on_roll is None:
        raise PaperVoteError(
            "Cet·te adhérent·e n'est pas inscrit·e sur la liste électorale de la section : il ou elle ne peut pas "
            "être émargé·e."
        )
    refusal = _participation_refusal(report, member_id)
    if refusal:
        raise PaperVoteError(refusal)
    participation = Participation(
        poll_id=report.poll_id, member_id=member_id, voted_dt=now or utcnow(), channel=VoteChannel.PAPER,
        report_id=report.id, marked_by_id=actor.id,
    )  # fmt: skip
    try:
        with savepoint():
            db.session.add(participation)
            db.session.flush()
    except IntegrityError as error:
        # Someone voted (online) or marked them at the same moment: the constraint kept one participation.
        raise PaperVoteError(
            _participation_refusal(report, member_id) or "Cet·te adhérent·e a déjà voté à ce scrutin."
        ) from error
    audit(actor, AUDIT_MARK, report, member_id=member_id)
    return participation


def _participation_refusal(report: SectionReport, member_id: int) -> str | None:
    row = db.session.execute(
        sa.select(Participation.channel, Participation.report_id).where(
            Participation.poll_id == report.poll_id, Participation.member_id == member_id
        )
    ).first()
    if row is None:
        return None
    name = member_name(member_id)
    if row.channel == VoteChannel.ONLINE:
        return f"{name} a voté en ligne : il ou elle ne peut pas voter une seconde fois sur papier."
    if row.report_id == report.id:
        return f"{name} est déjà émargé·e sur la liste de la section."
    return f"{name} est déjà émargé·e sur une autre liste d'émargement."


def unmark_voter(actor: Any, report: SectionReport, member_id: int) -> None:
    """Take a mark back (a mistake), while the list can still change."""
    ensure(can_keep_list(actor, report.section), _KEEPER_ONLY)
    _lock_report(report)
    _check_active(report.poll_id)
    _check_editable(report)
    result = db.session.execute(
        sa.delete(Participation)
        .where(
            Participation.poll_id == report.poll_id,
            Participation.member_id == member_id,
            Participation.report_id == report.id,
            Participation.channel == VoteChannel.PAPER,
        )
        .execution_options(synchronize_session=False)
    )
    if (result.rowcount or 0) != 1:
        raise PaperVoteError(f"{member_name(member_id)} n'est pas émargé·e sur la liste de la section.")
    audit(actor, AUDIT_UNMARK, report, member_id=member_id)
    db.session.flush()


def minutes_problems(
    report: SectionReport, data: MinutesData, now: dt.datetime | None = None
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The canonical figures of the minutes and what does not add up (nothing written): ``check_minutes``
    against the section's roll, its marks and the poll's window, then the counting code's own reading."""
    now = now or utcnow()
    poll = db.session.get(Poll, report.poll_id)
    figures, errors = check_minutes(
        poll.questions,
        data,
        registered=section_roll_count(poll.id, report.section_id),
        marks=count_marks(report),
        window=poll_window(poll),
        today=now.astimezone(PARIS).date(),
    )
    if not errors:
        # The counting code reads them back as it will at the count: a last guard.
        for question in poll.questions:
            try:
                figures_tally(question, figures[question.key], data.voters or 0)
            except CountError as error:
                errors.append((f"q{question.id}", f"« {question.title} » : {error}"))
    return figures, errors


def submit_minutes(
    actor: Any, report: SectionReport, data: MinutesData, now: dt.datetime | None = None
) -> SectionReportRevision:
    """Transmit the minutes to the federation: a new revision, once everything adds up (MinutesError otherwise,
    nothing written): the meeting within the vote and not in the future, the bureau's names, registered = the
    section's roll, voters = the marks on the list = the ballots of each question."""
    ensure(can_keep_list(actor, report.section), "Seul·e le ou la secrétaire de la section transmet son procès-verbal.")
    now = now or utcnow()
    _lock_report(report)
    _check_active(report.poll_id)
    _check_editable(report)
    poll = db.session.get(Poll, report.poll_id)
    figures, errors = minutes_problems(report, data, now)
    if errors:
        raise MinutesError(errors)
    number = (
        db.session.scalar(
            sa.select(sa.func.max(SectionReportRevision.number)).where(SectionReportRevision.report_id == report.id)
        )
        or 0
    ) + 1
    revision = SectionReportRevision(
        report_id=report.id,
        number=number,
        meeting_date=data.meeting_date,
        bureau_names=data.bureau_names.strip(),
        registered=data.registered,
        voters=data.voters,
        figures=json.dumps(figures, sort_keys=True, separators=(",", ":")),
        note=(data.note or "").strip(),
        submitted_by_id=actor.id,
        submitted_dt=now,
    )
    db.session.add(revision)
    report.state = ReportState.SUBMITTED
    report.return_reason = ""
    db.session.flush()
    db.session.expire(report, ["revisions"])
    audit(actor, AUDIT_SUBMIT, report, revision=number, voters=revision.voters)
    section = report.section
    notify_many(
        _federation_secretary_ids(report.federation_id),
        NotificationKind.POLL,
        f"Procès-verbal à valider : section {section.name}"[:300],
        f"La section {section.name} a transmis le procès-verbal de son vote sur papier ({poll.title}). "
        "Vérifiez-le, puis validez-le ou renvoyez-le avec un motif.",
        path_for("votes.paper_federation", poll_id=poll.id, federation_id=report.federation_id),
    )
    return revision


def validate_report(actor: Any, report: SectionReport, now: dt.datetime | None = None) -> SectionReportRevision:
    """Validate the last transmitted minutes (the federation's first secretary or the Bureau national): counted."""
    ensure(
        can_validate(actor, report.federation_id),
        "Seul·e le ou la premier·e secrétaire de la fédération valide les procès-verbaux de ses sections.",
    )
    now = now or utcnow()
    _lock_report(report)
    _check_active(report.poll_id)
    if report.state == ReportState.VALIDATED:
        raise PaperVoteError("Ce procès-verbal est déjà validé.")
    if report.state != ReportState.SUBMITTED or report.latest is None:
        raise PaperVoteError("La section n'a pas transmis de procès-verbal à valider.")
    revision = report.latest
    marks = count_marks(report)
    if revision.voters != marks:  # the list cannot change once transmitted; a last guard
        raise PaperVoteError(
            f"Le procès-verbal indique {revision.voters} votant·es mais la liste en émarge {marks} : renvoyez-le."
        )
    report.state = ReportState.VALIDATED
    report.validated_revision_id = revision.id
    report.validated_by_id = actor.id
    report.validated_dt = now
    db.session.flush()
    audit(actor, AUDIT_VALIDATE, report, revision=revision.number)
    operations.count_out_of_date(actor, report.poll_id, "procès-verbal validé après le dépouillement")
    poll = db.session.get(Poll, report.poll_id)
    notify_many(
        _section_secretary_ids(report.section_id),
        NotificationKind.POLL,
        f"Procès-verbal validé : {poll.title}"[:300],
        "La fédération a validé le procès-verbal du vote sur papier de votre section : il sera compté.",
        path_for("votes.paper_section", poll_id=poll.id, section_id=report.section_id),
    )
    return revision


def return_report(actor: Any, report: SectionReport, reason: str) -> None:
    """Send the minutes back to the section with a reason (the federation or the Bureau national): not counted
    until corrected, transmitted and validated again."""
    ensure(
        can_validate(actor, report.federation_id),
        "Seul·e le ou la premier·e secrétaire de la fédération renvoie les procès-verbaux de ses sections.",
    )
    reason = (reason or "").strip()
    if not reason:
        raise PaperVoteError("Indiquez le motif du renvoi : la section doit savoir quoi corriger.")
    if len(reason) > MAX_REASON:
        raise PaperVoteError(f"Le motif tient en {MAX_REASON} caractères au plus.")
    _lock_report(report)
    _check_active(report.poll_id)
    if report.state not in (ReportState.SUBMITTED, ReportState.VALIDATED):
        raise PaperVoteError("Ce procès-verbal n'est pas transmis : il n'y a rien à renvoyer.")
    was_validated = report.state == ReportState.VALIDATED
    report.state = ReportState.RETURNED
    report.return_reason = reason
    report.validated_revision_id = None
    report.validated_by_id = None
    report.validated_dt = None
    db.session.flush()
    audit(actor, AUDIT_RETURN, report, reason=reason, was_validated=was_validated)
    if was_validated:
        operations.count_out_of_date(actor, report.poll_id, "procès-verbal compté renvoyé à la section")
    poll = db.session.get(Poll, report.poll_id)
    notify_many(
        _section_secretary_ids(report.section_id),
        NotificationKind.POLL,
        f"Procès-verbal renvoyé : {poll.title}"[:300],
        f"La fédération a renvoyé le procès-verbal du vote sur papier de votre section. Motif : {reason}",
        path_for("votes.paper_section", poll_id=poll.id, section_id=report.section_id),
    )


# --- for the count -----------------------------------------------------------------------------


def figures_tally(question: PollQuestion, figures: Mapping[str, Any], voters: int) -> Tally:
    """The additive tally of one question's figures in a section's minutes (``voters`` ballots)."""
    counted = question_of(question)
    tally = Tally.empty(counted)
    blank, void = int(figures.get("blank", 0)), int(figures.get("void", 0))
    method = question.method
    if method == QuestionMethod.YES_NO_ABSTAIN:
        tally.add_tallies(
            votes={o.code: int(figures.get(o.code, 0)) for o in question.options},
            ballots=voters, blank=blank, void=void,
        )  # fmt: skip
    elif method in (QuestionMethod.SINGLE, QuestionMethod.APPROVAL):
        tally.add_tallies(
            votes={o.label: int(figures.get(str(o.id), 0)) for o in question.options},
            ballots=voters, blank=blank, void=void,
        )  # fmt: skip
    elif method == QuestionMethod.MAJORITY_JUDGMENT:
        tally.add_tallies(
            grades={o.label: list(figures.get(str(o.id)) or [0] * len(GRADES)) for o in question.options},
            ballots=voters, blank=blank, void=void,
        )  # fmt: skip
    else:
        labels = {o.id: o.label for o in question.options}
        tally.add_tallies(
            rankings=[
                ([[labels[int(i)] for i in group] for group in row["ranking"]], int(row["count"]))
                for row in figures.get("rankings", [])
            ],
            ballots=voters, blank=blank, void=void,
        )  # fmt: skip
    return tally


def _validated(poll: Poll) -> list[tuple[SectionReport, SectionReportRevision]]:
    rows = db.session.execute(
        sa.select(SectionReport, SectionReportRevision)
        .join(SectionReportRevision, SectionReportRevision.id == SectionReport.validated_revision_id)
        .where(SectionReport.poll_id == poll.id, SectionReport.state == ReportState.VALIDATED)
        .order_by(SectionReport.section_id)
    ).all()
    return [(report, revision) for report, revision in rows]


def paper_tallies(poll: Poll) -> dict[int, dict[int, Tally]]:
    """Per section id, per question id: the tally of the section's validated minutes."""
    result: dict[int, dict[int, Tally]] = {}
    for report, revision in _validated(poll):
        figures = figures_of(revision)
        result[report.section_id] = {
            question.id: figures_tally(question, figures.get(question.key, {}), revision.voters)
            for question in poll.questions
        }
    return result


def paper_turnout(poll: Poll) -> dict[int, int]:
    """Per section id: the paper voters of its validated minutes."""
    return {report.section_id: revision.voters for report, revision in _validated(poll)}


def pending_reports(poll: Poll) -> list[SectionReport]:
    """The reports not validated (list open, minutes transmitted or sent back): not counted yet."""
    return list(
        db.session.scalars(
            sa.select(SectionReport)
            .join(Section, Section.id == SectionReport.section_id)
            .where(SectionReport.poll_id == poll.id, SectionReport.state != ReportState.VALIDATED)
            .order_by(SectionReport.federation_id, Section.name)
        )
    )


def validated_minutes(poll: Poll) -> list[dict[str, Any]]:
    """The validated minutes as plain data, for the verification export (JSON-ready).

    One dict per section: ``section``, ``section_id``, ``federation`` (title), ``federation_code``,
    ``meeting_date`` (ISO), ``bureau_names``, ``registered``, ``voters``, ``revision`` (its number)
    and ``figures``: one item per question in the poll's order, with ``question_id``, ``title``,
    ``method``, ``blank``, ``void`` and, named as ``flask polls count`` names the options
    (« yes »/« no »/« abstain », or the labels): ``votes`` (yes/no/abstain, single: votes per
    option; approval: approvals per option), ``grades`` (majority judgment: per option the votes
    per grade, best first) or ``rankings`` (Schulze: ``{"count": n, "ranking": [[labels], …]}``).
    """
    minutes = []
    for report, revision in _validated(poll):
        figures = figures_of(revision)
        items = []
        for question in poll.questions:
            data = figures.get(question.key, {})
            item: dict[str, Any] = {
                "question_id": question.id,
                "title": question.title,
                "method": question.method.value,
                "blank": int(data.get("blank", 0)),
                "void": int(data.get("void", 0)),
            }
            if question.method == QuestionMethod.YES_NO_ABSTAIN:
                item["votes"] = {o.code: int(data.get(o.code, 0)) for o in question.options}
            elif question.method == QuestionMethod.MAJORITY_JUDGMENT:
                item["grades"] = {o.label: list(data.get(str(o.id), [0] * len(GRADES))) for o in question.options}
            elif question.method == QuestionMethod.SCHULZE:
                labels = {o.id: o.label for o in question.options}
                item["rankings"] = [
                    {"count": row["count"], "ranking": [[labels[int(i)] for i in group] for group in row["ranking"]]}
                    for row in data.get("rankings", [])
                ]
            else:
                item["votes"] = {o.label: int(data.get(str(o.id), 0)) for o in question.options}
            items.append(item)
        minutes.append(
            {
                "section": report.section.name,
                "section_id": report.section_id,
                "federation": report.federation.title,
                "federation_code": report.federation.code,
                "meeting_date": revision.meeting_date.isoformat(),
                "bureau_names": revision.bureau_names,
                "registered": revision.registered,
                "voters": revision.voters,
                "revision": revision.number,
                "figures": items,
            }
        )
    return minutes
