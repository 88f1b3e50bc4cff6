"""The count (dépouillement) as a job: every question per section, per federation and nationally.

Online ballots are read once (in the order of their random ids), each answer added to its
section's additive tally (``convention.domain.counting.Tally``); the validated paper minutes of
the sections (``convention.votes.paper.paper_tallies``) are added to the same tallies; a
federation's tally is the sum of its sections', the nation's the sum of the federations'.
Turnout is counted per section with its channel (online, paper). The verification export
(``convention.votes.export``) is then written from what was just stored, attached to the job,
and its SHA-256 becomes ``poll.export_hash``.

Idempotent: a run replaces the poll's tallies in the same transaction that marks it tallied,
so a run that dies half-way leaves the previous results (or none) and the poll closed. The
progress reports commit only the job's row. The box is checked first: the number of ballots
must equal the online émargements, or nothing is written.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Hashable
from typing import Any

import sqlalchemy as sa

from convention.core.db import db
from convention.domain.ballots import count_ballot
from convention.domain.counting import BLANK, VOID, CountError, Question, Tally, VoteMethod, display_percent
from convention.domain.polls import TALLY_STATES, ReportState, VoteChannel
from convention.jobs import operations as job_operations
from convention.jobs.models import Job, JobFileRole, JobKind
from convention.jobs.runner import JobFailed, Progress, handler
from convention.members.models import Section
from convention.votes import export, paper
from convention.votes.counting import question_of
from convention.votes.models import (
    Ballot,
    Participation,
    Poll,
    PollQuestion,
    PollTurnout,
    QuestionTally,
    RollEntry,
)
from convention.votes.operations import mark_tallied, poll_url

logger = logging.getLogger(__name__)

# A unit: (federation id, section id) — a section of a federation; (federation id, None) for ballots
# of members without a section (never expected: the roll is made of members of a section).
Unit = tuple[int, int | None]

REPORT_EVERY = 20_000  # ballots between two progress reports
EXPORT_MIMETYPE = "application/json"


def _count(query: Any) -> int:
    return db.session.scalar(query) or 0


def _paper(poll: Poll) -> tuple[dict[int, dict[int, Tally]], dict[int, int]]:
    """The validated paper minutes: (section id → question id → Tally, section id → paper voters)."""
    try:
        return paper.paper_tallies(poll), paper.paper_turnout(poll)
    except CountError as error:
        raise JobFailed(
            "Un procès-verbal validé est incohérent : le dépouillement est arrêté et aucun résultat n'est enregistré.",
            _minutes_errors(poll) or [str(error)],
        ) from None


def _minutes_errors(poll: Poll) -> list[str]:
    """Which validated minutes the counting code refuses, and why (section and question named)."""
    errors = []
    for report in paper.list_reports(poll.id):
        revision = report.validated_revision
        if report.state != ReportState.VALIDATED or revision is None:
            continue
        figures = paper.figures_of(revision)
        for question in poll.questions:
            try:
                paper.figures_tally(question, figures.get(question.key, {}), revision.voters)
            except CountError as error:
                errors.append(f"Section {report.section.name}, question « {question.title} » : {error}")
    return errors


def frozen(answer: Any) -> Hashable:
    """A stored answer (``Ballot.choices``' canonical form) as a dict key: identical answers are counted together."""
    if isinstance(answer, dict):
        return ("grades", tuple(sorted(answer.items())))
    if isinstance(answer, list):
        return ("list", tuple(tuple(item) if isinstance(item, list) else item for item in answer))
    return answer


class CountedQuestion:
    """One question while counting: its stored row's id, its counting form and the answers' key.

    The online answers of a unit are first grouped (identical answers with their number), then each distinct
    answer is converted once into the counting code's ballot (``count_ballot``: options named) and the unit's
    figures are given to the additive ``Tally`` in one ``add_tallies`` (votes per option, per grade, or the
    rankings with their numbers; blank and void apart), which checks them.
    """

    def __init__(self, question: PollQuestion) -> None:
        self.id = question.id
        self.key = question.key
        self.title = question.title
        self.counting: Question = question_of(question)
        # count_ballot reads the options' ids and labels: keep a detached copy of what it needs.
        self._source = _QuestionView(question)
        self._answers: dict[Hashable, Any] = {}
        self._ballots: dict[Hashable, dict[str, Any]] = {}
        self._grade_index = {grade: i for i, grade in enumerate(self.counting.grades)}

    def empty(self) -> Tally:
        return Tally.empty(self.counting)

    def note(self, answer: Any) -> Hashable:
        """The key of ``answer`` (remembered, to be converted once)."""
        key = frozen(answer)
        if key not in self._answers:
            self._answers[key] = answer
        return key

    def ballot(self, key: Hashable) -> dict[str, Any]:
        converted = self._ballots.get(key)
        if converted is None:
            converted = self._ballots[key] = count_ballot(self._source, self._answers[key])
        return converted

    def tally(self, answers: Counter) -> Tally:
        """The tally of a unit's online answers (answer key → number of ballots)."""
        method = self.counting.method
        options = self.counting.options
        votes: Counter = Counter()
        grades = {name: [0] * len(self.counting.grades) for name in options}
        rankings: list[tuple[Any, int]] = []
        blank = void = ballots = 0
        for key, number in answers.items():
            ballot = self.ballot(key)
            ballots += number
            if "choice" in ballot:
                choice = ballot["choice"]
                if choice == BLANK:
                    blank += number
                elif choice == VOID:
                    void += number
                else:
                    votes[choice] += number
            elif "approves" in ballot:
                for name in ballot["approves"]:
                    votes[name] += number
            elif "grades" in ballot:
                graded = ballot["grades"]
                for name in options:
                    index = self._grade_index[graded[name]] if name in graded else len(self.counting.grades) - 1
                    grades[name][index] += number
            else:
                rankings.append((ballot["ranking"], number))
        tally = self.empty()
        if method is VoteMethod.MAJORITY_JUDGMENT:
            tally.add_tallies(grades=grades, ballots=ballots, blank=blank, void=void)
        elif method is VoteMethod.SCHULZE:
            tally.add_tallies(rankings=rankings, ballots=ballots, blank=blank, void=void)
        else:
            tally.add_tallies(votes=dict(votes), ballots=ballots, blank=blank, void=void)
        return tally


class _QuestionView:
    """What ``count_ballot`` reads of a question, detached from the session (progress reports expire it)."""

    def __init__(self, question: PollQuestion) -> None:
        self.id = question.id
        self.title = question.title
        self.method = question.method
        self.options = [_OptionView(o.id, o.label, o.code) for o in question.options]


class _OptionView:
    def __init__(self, option_id: int, label: str, code: str) -> None:
        self.id, self.label, self.code = option_id, label, code


@handler(JobKind.TALLY)
def run_tally(job: Job, progress: Progress) -> dict[str, Any]:
    poll_id = (job.params or {}).get("poll_id")
    poll = db.session.get(Poll, poll_id) if isinstance(poll_id, int) else None
    if poll is None:
        raise JobFailed("Ce scrutin n'existe plus.")
    if poll.state not in TALLY_STATES:
        raise JobFailed(
            "Le dépouillement n'est possible qu'une fois le scrutin clos et avant la proclamation des résultats "
            f"(état actuel : {poll.state_label.lower()})."
        )
    questions = [CountedQuestion(q) for q in poll.questions]
    if not questions:
        raise JobFailed("Ce scrutin n'a aucune question : il n'y a rien à dépouiller.")

    progress(2, "Contrôle de l'urne…")
    ballots = _count(sa.select(sa.func.count()).select_from(Ballot).where(Ballot.poll_id == poll_id))
    online = _count(
        sa.select(sa.func.count())
        .select_from(Participation)
        .where(Participation.poll_id == poll_id, Participation.channel == VoteChannel.ONLINE)
    )
    if ballots != online:
        raise JobFailed(
            f"L'urne contient {ballots} bulletin(s) mais la liste d'émargement compte {online} votant(s) en ligne : "
            "le dépouillement est arrêté et aucun résultat n'est enregistré. Prévenez l'équipe technique.",
            [f"Bulletins dans l'urne : {ballots}", f"Émargements en ligne : {online}"],
        )

    # The online ballots: identical ones (same unit, same content) read once, then each question's answers
    # grouped per unit and added to the unit's tally.
    boxes = Counter(
        (federation_id, section_id, choices)
        for federation_id, section_id, choices in db.session.execute(
            sa.select(Ballot.federation_id, Ballot.section_id, Ballot.choices).where(Ballot.poll_id == poll_id)
        )
    )
    progress(5, f"Dépouillement des bulletins en ligne : 0 sur {ballots}")
    answers: dict[Unit, list[Counter]] = {}
    read = reported = 0
    for (federation_id, section_id, choices), number in boxes.items():
        unit_answers = answers.get((federation_id, section_id))
        if unit_answers is None:
            unit_answers = answers[(federation_id, section_id)] = [Counter() for _ in questions]
        try:
            content = json.loads(choices)
            for question, counter in zip(questions, unit_answers, strict=True):
                counter[question.note(content[question.key])] += number
        except (ValueError, KeyError, TypeError) as error:
            raise JobFailed(
                "Un bulletin de l'urne est illisible : le dépouillement est arrêté et aucun résultat n'est "
                "enregistré. Prévenez l'équipe technique.",
                [f"{type(error).__name__} : {error}"],
            ) from None
        read += number
        if read - reported >= REPORT_EVERY:
            reported = read
            progress(5 + 50 * read / max(1, ballots), f"Dépouillement des bulletins en ligne : {read} sur {ballots}")
    tallies: dict[Unit, list[Tally]] = {}
    try:
        for unit, unit_answers in answers.items():
            tallies[unit] = [q.tally(counter) for q, counter in zip(questions, unit_answers, strict=True)]
    except (CountError, KeyError, ValueError, TypeError) as error:
        raise JobFailed(
            "Un bulletin de l'urne ne correspond pas aux questions du scrutin : le dépouillement est arrêté et "
            "aucun résultat n'est enregistré. Prévenez l'équipe technique.",
            [f"{type(error).__name__} : {error}"],
        ) from None

    progress(62, "Procès-verbaux des sections qui ont voté sur papier…")
    paper_tallies, paper_voters = _paper(poll)
    section_federation: dict[int, int] = {}
    section_names: dict[int, str] = {}
    for section_id, federation_id, name in db.session.execute(
        sa.select(Section.id, Section.federation_id, Section.name).where(
            Section.id.in_(set(paper_tallies) | set(paper_voters) | {s for _, s in tallies if s is not None})
        )
    ):
        section_federation[section_id] = federation_id
        section_names[section_id] = name
    for section_id, by_question in paper_tallies.items():
        unit = (section_federation[section_id], section_id)
        unit_tallies = tallies.setdefault(unit, [q.empty() for q in questions])
        voters = paper_voters.get(section_id, 0)
        for index, question in enumerate(questions):
            paper_tally = by_question.get(question.id)
            if paper_tally is None or paper_tally.ballots != voters:
                raise JobFailed(
                    "Un procès-verbal validé ne compte pas autant de bulletins que de votants : le dépouillement "
                    "est arrêté et aucun résultat n'est enregistré.",
                    [
                        f"Section {section_names[section_id]}, question « {question.title} » : "
                        f"{0 if paper_tally is None else paper_tally.ballots} bulletin(s) pour {voters} votant(s)."
                    ],
                )
            try:
                unit_tallies[index] = unit_tallies[index] + paper_tally
            except CountError as error:
                raise JobFailed(
                    "Un procès-verbal validé ne correspond pas aux questions du scrutin : le dépouillement est arrêté.",
                    [f"Section {section_names[section_id]} : {error}"],
                ) from None

    progress(70, "Participation par section et par fédération…")
    registered = {
        (federation_id, section_id): n
        for federation_id, section_id, n in db.session.execute(
            sa.select(RollEntry.federation_id, RollEntry.section_id, sa.func.count())
            .where(RollEntry.poll_id == poll_id)
            .group_by(RollEntry.federation_id, RollEntry.section_id)
        )
    }
    online_voters = {
        (federation_id, section_id): n
        for federation_id, section_id, n in db.session.execute(
            sa.select(RollEntry.federation_id, RollEntry.section_id, sa.func.count())
            .select_from(Participation)
            .join(
                RollEntry,
                sa.and_(RollEntry.poll_id == Participation.poll_id, RollEntry.member_id == Participation.member_id),
            )
            .where(Participation.poll_id == poll_id, Participation.channel == VoteChannel.ONLINE)
            .group_by(RollEntry.federation_id, RollEntry.section_id)
        )
    }
    paper_by_unit = {(section_federation[s], s): n for s, n in paper_voters.items() if n}
    units = sorted(set(registered) | set(tallies) | set(online_voters) | set(paper_by_unit), key=_unit_order)

    # Sums: sections → federations → the nation.
    federations: dict[int, list[Tally]] = {}
    for unit in units:
        unit_tallies = tallies.setdefault(unit, [q.empty() for q in questions])
        fed = federations.get(unit[0])
        if fed is None:
            federations[unit[0]] = list(unit_tallies)
        else:
            federations[unit[0]] = [a + b for a, b in zip(fed, unit_tallies, strict=True)]
    national = [sum((f[i] for f in federations.values()), questions[i].empty()) for i in range(len(questions))]
    total_paper = sum(paper_voters.values())
    for question, tally in zip(questions, national, strict=True):
        if tally.ballots != ballots + total_paper:
            raise JobFailed(
                f"La question « {question.title} » compte {tally.ballots} bulletin(s) pour {ballots} bulletin(s) en "
                f"ligne et {total_paper} sur papier : le dépouillement est arrêté et aucun résultat n'est enregistré."
            )

    # Turnout (registered, voters, of which on paper) per section, per federation and national.
    turnout: dict[tuple[int | None, int | None], list[int]] = {(None, None): [0, 0, 0]}
    for unit in units:
        paper_n = paper_by_unit.get(unit, 0)
        figures = (registered.get(unit, 0), online_voters.get(unit, 0) + paper_n, paper_n)
        keys = [(unit[0], None), (None, None)] + ([unit] if unit[1] is not None else [])
        for key in keys:
            current = turnout.setdefault(key, [0, 0, 0])
            for i, n in enumerate(figures):
                current[i] += n

    progress(80, "Enregistrement des résultats…")
    # Replace the results and mark the poll tallied in one unit of work, the poll's row locked
    # (a proclamation or another count waits for it, then sees what this one did).
    state = db.session.scalar(sa.select(Poll.state).where(Poll.id == poll_id).with_for_update())
    if state not in TALLY_STATES:
        raise JobFailed("Les résultats ont été proclamés pendant ce dépouillement : ils ne sont pas remplacés.")
    db.session.execute(sa.delete(QuestionTally).where(QuestionTally.poll_id == poll_id))
    db.session.execute(sa.delete(PollTurnout).where(PollTurnout.poll_id == poll_id))
    tally_rows = []
    for index, question in enumerate(questions):
        for unit in units:
            if unit[1] is not None:
                tally_rows.append(_tally_row(poll_id, question.id, unit[0], unit[1], tallies[unit][index]))
        for federation_id, fed_tallies in federations.items():
            tally_rows.append(_tally_row(poll_id, question.id, federation_id, None, fed_tallies[index]))
        tally_rows.append(_tally_row(poll_id, question.id, None, None, national[index]))
    db.session.execute(sa.insert(QuestionTally), tally_rows)
    db.session.execute(
        sa.insert(PollTurnout),
        [
            {
                "poll_id": poll_id,
                "federation_id": federation_id,
                "section_id": section_id,
                "registered": n,
                "voters": voters,
                "paper_voters": paper,
            }
            for (federation_id, section_id), (n, voters, paper) in turnout.items()
        ],  # fmt: skip
    )
    db.session.flush()

    progress(88, "Export de vérification (bulletins anonymisés, procès-verbaux, liste électorale)…")
    poll = db.session.get(Poll, poll_id)
    data = export.build_export(poll)
    content = export.canonical_json(data)
    digest = export.sha256(content)
    db.session.execute(
        sa.update(Poll)
        .where(Poll.id == poll_id)
        .values(export_hash=digest)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(poll)
    job_operations.attach_file(job, JobFileRole.OUTPUT, export.export_filename(poll, digest), EXPORT_MIMETYPE, content)
    mark_tallied(poll)  # committed by the runner with the job's success
    national_turnout = turnout[(None, None)]
    logger.info("Poll %s counted: %s online ballots, %s on paper", poll_id, ballots, total_paper)
    return {
        "lines": [
            f"Dépouillement terminé : {ballots} bulletin(s) en ligne et {total_paper} sur papier, "
            f"dans {len(federations)} fédération(s).",
            f"Inscrits : {national_turnout[0]} ; votants : {national_turnout[1]} ; participation : "
            f"{display_percent(national_turnout[1], national_turnout[0])}.",
            f"Empreinte SHA-256 de l'export de vérification : {digest}.",
            "Les résultats seront publics après leur proclamation par le Bureau national.",
        ],
        "links": [{"url": poll_url(poll), "label": "Voir le scrutin et ses résultats"}],
        "ballots": ballots,
        "paper_voters": total_paper,
        "export_hash": digest,
    }


def _unit_order(unit: Unit) -> tuple[int, int]:
    return unit[0], -1 if unit[1] is None else unit[1]


def _tally_row(poll_id: int, question_id: int, federation_id: int | None, section_id: int | None, tally: Tally):
    return {
        "poll_id": poll_id,
        "question_id": question_id,
        "federation_id": federation_id,
        "section_id": section_id,
        "tally": json.dumps(tally.to_json(), ensure_ascii=False, sort_keys=True, separators=(",", ":")),
    }
