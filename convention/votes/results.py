"""Reading a counted poll: the national result of each question, and the results per federation and
per section that keep the ballot secret.

The count (``convention.votes.tally``) stores one additive tally per question and unit
(``QuestionTally``) and the turnout per unit (``PollTurnout``). Here the national tally of each
question is decided (``convention.domain.counting.decide``) and put in words (``sentence``);
percentages are computed from the exact figures for display only (``display_percent``). Units are
published through ``convention.domain.disclosure``: a federation or a section with fewer ballots
than the poll's ``secrecy_threshold``, or whose ballots are all identical, is merged into
« Autres fédérations » / « Autres sections de la fédération … », and the rule is given with the
results. Turnout (registered, voters, on paper) is published for every unit.

The same reading serves the poll page, the results page, its CSV and PDF, and the API.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from convention.core.db import db
from convention.domain.counting import (
    CountError,
    Question,
    Tally,
    VoteMethod,
    decide,
    display_number,
    display_percent,
    sentence,
)
from convention.domain.disclosure import Cell, disclosure_rule, publishable_cells
from convention.domain.polls import QuestionMethod
from convention.members.models import Federation, Section
from convention.votes import paper as paper_votes
from convention.votes.counting import question_of
from convention.votes.export import option_labels
from convention.votes.models import Poll, PollQuestion, PollTurnout, QuestionTally

FEDERATION = "federation"
SECTION = "section"


# --- what a page shows ---------------------------------------------------------------------------


@dataclass
class OptionFigure:
    """One option's votes (or approvals) and their share of the valid ballots, for display."""

    name: str
    label: str
    votes: int | Fraction
    percent: str
    is_winner: bool = False

    @property
    def shown(self) -> str:
        return display_number(self.votes)


@dataclass
class MeritRow:
    """Majority judgment: one option's merit profile (votes per grade, best first) and majority grade."""

    name: str
    label: str
    counts: list[int | Fraction]
    percents: list[str]
    majority_grade: str | None
    rank: int
    is_winner: bool = False


@dataclass
class MatrixRow:
    """Schulze: how many voters prefer this option to each other one (``None`` on the diagonal)."""

    label: str
    cells: list[tuple[str, int | Fraction | None, bool]]  # (other option's label, votes, wins the duel)


@dataclass
class QuestionResult:
    """The national result of one question."""

    id: int
    key: str
    title: str
    method: QuestionMethod
    method_label: str
    counting: Question
    tally: Tally
    result: dict[str, Any]
    sentence: str
    rule_text: str | None
    labels: dict[str, str]
    options: list[OptionFigure] = field(default_factory=list)  # yes/no/abstain, single, approval
    merit: list[MeritRow] = field(default_factory=list)  # majority judgment
    grades: list[str] = field(default_factory=list)
    matrix: list[MatrixRow] = field(default_factory=list)  # Schulze
    ranking: list[list[str]] = field(default_factory=list)  # labels, tie groups, best first
    elected: list[str] = field(default_factory=list)  # approval with seats

    @property
    def is_yes_no(self) -> bool:
        return self.method == QuestionMethod.YES_NO_ABSTAIN

    @property
    def chart_rows(self) -> list[dict[str, Any]]:
        """The bars of the national chart (same figures as the table)."""
        return [{"label": o.label, "value": o.votes, "shown": o.shown, "percent": o.percent} for o in self.options]

    @property
    def adopted(self) -> bool | None:
        return self.result.get("adopted")


@dataclass
class TurnoutRow:
    """Registered, voters (online and on paper) of one unit, always published."""

    key: Hashable
    label: str
    level: str
    registered: int
    voters: int
    paper: int
    federation_id: int | None = None
    is_own: bool = False

    @property
    def online(self) -> int:
        return self.voters - self.paper

    @property
    def percent(self) -> str:
        return display_percent(self.voters, self.registered)


@dataclass
class CellQuestion:
    """One question's figures in one published cell."""

    question_id: int
    ballots: int
    blank: int | Fraction
    void: int | Fraction
    votes: dict[str, Any]  # by option label: votes (approvals), votes per grade (MJ); Schulze: « A>B » pairs
    options: list[OptionFigure]  # yes/no/abstain, single, approval
    summary: str  # MJ: majority grades; Schulze: the ranking
    tally: Tally
    majority_grades: dict[str, str] = field(default_factory=dict)  # MJ: option label → majority grade


@dataclass
class CellView:
    """A published cell: one unit, or the merged « Autres … » cell."""

    key: Hashable
    label: str
    level: str
    registered: int
    ballots: int
    is_merged: bool
    members: list[str]  # the units' labels (a merged cell)
    questions: dict[int, CellQuestion]
    federation_id: int | None = None
    parent_label: str = ""
    is_own: bool = False
    paper: int = 0  # ballots of public paper minutes among ``ballots``
    online: dict[int, Tally] = field(default_factory=dict)  # the online part, to which the secrecy rule applies

    @property
    def percent(self) -> str:
        return display_percent(self.ballots, self.registered)


@dataclass
class SectionLevel:
    """The sections of one federation: the published cells, every section's turnout, or withheld."""

    federation_id: int
    federation_label: str
    cells: list[CellView]
    turnout: list[TurnoutRow]
    withheld: bool
    is_own: bool = False


@dataclass
class PollResults:
    poll_id: int
    is_proclaimed: bool
    threshold: int
    rule: str
    national: TurnoutRow
    questions: list[QuestionResult]
    federations: list[CellView]
    federation_turnout: list[TurnoutRow]
    federations_withheld: bool
    sections: list[SectionLevel]
    export_hash: str | None
    search: str = ""
    own_federation_id: int | None = None
    own_federation_label: str = ""
    own_federation_merged: bool = False

    @property
    def question_results(self) -> dict[int, QuestionResult]:
        return {q.id: q for q in self.questions}


# --- reading ---------------------------------------------------------------------------------------


def _figures(value: Any) -> int | Fraction:
    return Fraction(value) if isinstance(value, str) else value


def _ratio(votes: Any, whole: Any) -> str:
    return display_percent(votes, whole) if whole else display_percent(0, 1)


def _option_figures(counting: Question, result: Mapping[str, Any], labels: Mapping[str, str]) -> list[OptionFigure]:
    """Votes per option and their share: yes/no/abstain of the rule's base (« — » for an abstention outside
    it), single choice and approval of the valid ballots. Majority judgment and Schulze: none (see their own)."""
    if counting.method in (VoteMethod.MAJORITY_JUDGMENT, VoteMethod.SCHULZE):
        return []
    if counting.method is VoteMethod.YES_NO_ABSTAIN:
        whole = _figures(result["base_votes"])
        counted = set(counting.options) if result["rule"]["base"] != "yes_no" else {"yes", "no"}
        winners = {"yes"} if result.get("adopted") else set()
    else:
        whole = _figures(result["valid"])
        counted = set(counting.options)
        winners = set(result.get("elected") or ([result["winner"]] if result.get("winner") else []))
    figures = []
    for name in counting.options:
        votes = _figures(result["scores"][name])
        percent = _ratio(votes, whole) if name in counted else "—"
        figures.append(OptionFigure(name, labels.get(name, name), votes, percent, name in winners))
    return figures


def _merit(counting: Question, result: Mapping[str, Any], labels: Mapping[str, str]) -> list[MeritRow]:
    rank = {name: i for i, group in enumerate(result["ranking"]) for name in group}
    rows = []
    for name in counting.options:
        counts = [_figures(n) for n in result["scores"][name]]
        total = sum(counts)
        rows.append(
            MeritRow(
                name=name,
                label=labels.get(name, name),
                counts=counts,
                percents=[_ratio(n, total) for n in counts],
                majority_grade=result["majority_grades"].get(name),
                rank=rank.get(name, 0) + 1,
                is_winner=name == result.get("winner"),
            )
        )
    return sorted(rows, key=lambda row: row.rank)


def _matrix(counting: Question, result: Mapping[str, Any], labels: Mapping[str, str]) -> list[MatrixRow]:
    scores = result["scores"]
    rows = []
    for x in counting.options:
        cells: list[tuple[str, int | Fraction | None, bool]] = []
        for y in counting.options:
            if x == y:
                cells.append((labels.get(y, y), None, False))
            else:
                votes = _figures(scores[f"{x}>{y}"])
                cells.append((labels.get(y, y), votes, votes > _figures(scores[f"{y}>{x}"])))
        rows.append(MatrixRow(labels.get(x, x), cells))
    return rows


def question_result(question: PollQuestion, tally: Tally, registered: int) -> QuestionResult:
    """The national result of one question from its stored tally."""
    counting = question_of(question)
    labels = option_labels(question)
    result = decide(counting, tally, registered)
    rule = counting.effective_rule
    answer = QuestionResult(
        id=question.id,
        key=question.key,
        title=question.title,
        method=question.method,
        method_label=question.method_label,
        counting=counting,
        tally=tally,
        result=result,
        sentence=sentence(counting, result, labels),
        rule_text=rule.describe() if rule is not None else None,
        labels=labels,
        ranking=[[labels.get(name, name) for name in group] for group in result.get("ranking", [])],
        elected=[labels.get(name, name) for name in result.get("elected", [])],
    )  # fmt: skip
    answer.options = _option_figures(counting, result, labels)
    if counting.method is VoteMethod.MAJORITY_JUDGMENT:
        answer.merit = _merit(counting, result, labels)
        answer.grades = list(counting.grades)
    if counting.method is VoteMethod.SCHULZE:
        answer.matrix = _matrix(counting, result, labels)
    return answer


def cell_question(question: QuestionResult, tally: Tally, registered: int) -> CellQuestion:
    """One question's figures in one unit (its tally)."""
    counting, labels = question.counting, question.labels
    result = decide(counting, tally, max(registered, tally.ballots))
    method = counting.method
    if method is VoteMethod.SCHULZE:
        votes = {
            f"{labels.get(x, x)}>{labels.get(y, y)}": _figures(result["scores"][f"{x}>{y}"])
            for x in counting.options
            for y in counting.options
            if x != y
        }
        summary = " > ".join(" = ".join(labels.get(n, n) for n in group) for group in result["ranking"])
    elif method is VoteMethod.MAJORITY_JUDGMENT:
        votes = {labels.get(name, name): [_figures(n) for n in result["scores"][name]] for name in counting.options}
        summary = " ; ".join(
            f"{labels.get(name, name)} : {result['majority_grades'].get(name) or '—'}" for name in counting.options
        )
    else:
        votes = {labels.get(name, name): _figures(result["scores"][name]) for name in counting.options}
        summary = ""
    grades = {labels.get(name, name): grade or "—" for name, grade in (result.get("majority_grades") or {}).items()}
    return CellQuestion(
        question_id=question.id,
        ballots=tally.ballots,
        blank=_figures(result["blank"]),
        void=_figures(result["void"]),
        votes=votes,
        options=_option_figures(counting, result, labels),
        summary=summary,
        tally=tally,
        majority_grades=grades,
    )


@dataclass
class _Unit:
    """A federation or a section while publishing: its full tallies (online and paper) and its online part.

    Validated paper minutes are public (their figures are in the verification export), so the secrecy rule
    is applied to the online part of a unit: what the minutes do not already tell.
    """

    key: Hashable
    label: str
    level: str
    registered: int
    voters: int
    paper: int
    full: dict[int, Tally]
    online: dict[int, Tally]
    parent: Hashable | None = None

    @property
    def online_ballots(self) -> int:
        return self.voters - self.paper


def _minus(total: Tally, part: Tally) -> Tally:
    """``total`` without ``part`` (the online ballots of a unit: its count without its public minutes)."""
    left = total.copy()
    left.ballots -= part.ballots
    left.weight -= part.weight
    left.blank -= part.blank
    left.void -= part.void
    for name, n in part.votes.items():
        left.votes[name] -= n
    for name, row in part.grade_votes.items():
        left.grade_votes[name] = [a - b for a, b in zip(left.grade_votes[name], row, strict=True)]
    for key, n in part.rankings.items():
        left.rankings[key] = left.rankings.get(key, 0) - n
        if not left.rankings[key]:
            del left.rankings[key]
    numbers = [left.ballots, left.weight, left.blank, left.void, *left.votes.values(), *left.rankings.values()]
    numbers += [n for row in left.grade_votes.values() for n in row]
    if any(n < 0 for n in numbers):
        raise CountError("les procès-verbaux comptés dépassent le dépouillement enregistré de leur unité.")
    return left


def _view(units: Sequence[_Unit], label: str, questions: Sequence[QuestionResult], *, merged: bool) -> CellView:
    tallies = {q.id: sum((u.full[q.id] for u in units), Tally.empty(q.counting)) for q in questions}
    registered = sum(u.registered for u in units)
    first = units[0]
    return CellView(
        key=("others", first.level, first.parent) if merged else first.key,
        label=label,
        level=first.level,
        registered=registered,
        ballots=sum(u.voters for u in units),
        is_merged=merged,
        members=[u.label for u in units] if merged else [],
        questions={q.id: cell_question(q, tallies[q.id], registered) for q in questions},
        federation_id=first.key[1] if first.level == FEDERATION and not merged else None,
        paper=sum(u.paper for u in units),
        online={q.id: sum((u.online[q.id] for u in units), Tally.empty(q.counting)) for q in questions},
    )


def _disclose(
    units: Sequence[_Unit], questions: Sequence[QuestionResult], threshold: int, merged_label: str
) -> tuple[list[CellView], bool]:
    """The cells of one level that may be published, and whether units with online ballots were withheld.

    A unit with no online ballot is published as it is if its minutes keep the secret (enough voters,
    not all the same: then they are public in the export too); the others go through
    ``convention.domain.disclosure.publishable_cells``, with their online part (their minutes, for a
    unit that voted only on paper).
    """
    position = {u.key: i for i, u in enumerate(units)}
    by_key = {u.key: u for u in units}

    def paper_only_keeps_secret(u: _Unit) -> bool:
        # Its minutes are grouped in the export unless they keep the secret: the same rule here.
        return u.voters >= threshold and not any(u.full[q.id].is_revealing() for q in questions)

    open_paper = [u for u in units if u.online_ballots == 0 and (u.voters == 0 or paper_only_keeps_secret(u))]
    secret = [u for u in units if u not in open_paper]
    cells = [
        Cell(u.key, u.label, u.level, u.registered, u.online_ballots, u.online, u.parent)
        if u.online_ballots
        else Cell(u.key, u.label, u.level, u.registered, u.voters, u.full, u.parent)
        for u in secret
    ]
    published = publishable_cells(cells, threshold=threshold, merged_label=merged_label)
    singles = [[u] for u in open_paper] + [[by_key[c.key]] for c in published if not c.is_merged]
    singles.sort(key=lambda group: position[group[0].key])
    views = [_view(group, group[0].label, questions, merged=False) for group in singles]
    for cell in published:
        if cell.is_merged:
            members = sorted((by_key[k] for k in cell.members), key=lambda u: position[u.key])
            views.append(_view(members, cell.label, questions, merged=True))
    return views, bool(secret) and not published


def merged_sections_label(federation_title: str) -> str:
    """« Autres sections de la fédération de l'Isère »."""
    if federation_title[:1] == "F" and federation_title.lower().startswith("fédération"):
        return _("Autres sections de la %(federation)s", federation="f" + federation_title[1:])
    return _("Autres sections (%(federation)s)", federation=federation_title)


def has_results(poll: Poll) -> bool:
    return db.session.scalar(sa.select(QuestionTally.id).where(QuestionTally.poll_id == poll.id).limit(1)) is not None


def get_results(poll: Poll, *, units: bool = True) -> PollResults | None:
    """The stored results of the poll's last count (None before any count).

    ``units=False``: the national results only (the poll page), without reading the federations and sections.
    """
    query = sa.select(
        QuestionTally.question_id, QuestionTally.federation_id, QuestionTally.section_id, QuestionTally.tally
    ).where(QuestionTally.poll_id == poll.id)
    turnout_query = sa.select(
        PollTurnout.federation_id, PollTurnout.section_id, PollTurnout.registered, PollTurnout.voters,
        PollTurnout.paper_voters,
    ).where(PollTurnout.poll_id == poll.id)  # fmt: skip
    if not units:
        query = query.where(QuestionTally.federation_id.is_(None), QuestionTally.section_id.is_(None))
        turnout_query = turnout_query.where(PollTurnout.federation_id.is_(None), PollTurnout.section_id.is_(None))
    rows = db.session.execute(query).all()
    if not rows:
        return None
    tallies: dict[tuple[int | None, int | None], dict[int, Tally]] = {}
    for question_id, federation_id, section_id, text in rows:
        tallies.setdefault((federation_id, section_id), {})[question_id] = Tally.from_json(text)
    turnout = {
        (federation_id, section_id): (registered, voters, on_paper)
        for federation_id, section_id, registered, voters, on_paper in db.session.execute(turnout_query)
    }
    federation_ids = {f for f, _s in turnout if f is not None} | {f for f, _s in tallies if f is not None}
    section_ids = {s for _f, s in turnout if s is not None} | {s for _f, s in tallies if s is not None}
    federations = {
        fid: (title, code)
        for fid, title, code in db.session.execute(
            sa.select(Federation.id, Federation.title, Federation.code).where(Federation.id.in_(federation_ids))
        )
    }
    sections = dict(db.session.execute(sa.select(Section.id, Section.name).where(Section.id.in_(section_ids))).all())

    registered, voters, national_paper = turnout.get((None, None), (0, 0, 0))
    national_tallies = tallies.get((None, None), {})
    questions = []
    for question in poll.questions:
        tally = national_tallies.get(question.id) or Tally.empty(question_of(question))
        questions.append(question_result(question, tally, registered))

    def empty_tallies() -> dict[int, Tally]:
        return {q.id: Tally.empty(q.counting) for q in questions}

    threshold = poll.secrecy_threshold
    # The validated minutes this count included (a section's paper voters in the stored turnout; validated
    # minutes are final, so they are the ones counted): public, subtracted before the secrecy rule.
    paper_voters = {s: p for (_f, s), (_n, _v, p) in turnout.items() if s is not None and p}
    counted_paper = (
        {s: t for s, t in paper_votes.paper_tallies(poll).items() if s in paper_voters} if paper_voters else {}
    )

    def unit(key: Hashable, label: str, level: str, ids: tuple[int | None, int | None], sections_in: Iterable[int],
             parent: Hashable | None = None) -> _Unit:  # fmt: skip
        n, v, p = turnout.get(ids, (0, 0, 0))
        full = {**empty_tallies(), **tallies.get(ids, {})}
        online = dict(full)
        for sid in sections_in:
            for qid, part in counted_paper.get(sid, {}).items():
                if qid in online:
                    online[qid] = _minus(online[qid], part)
        return _Unit(key, label, level, n, v, p, full, online, parent)

    # Federations, in the order of their codes; sections by name.
    federation_order = sorted(federations, key=lambda fid: (_code_key(federations[fid][1]), federations[fid][0]))
    section_order = {
        fid: sorted(
            (s for f, s in set(turnout) | set(tallies) if f == fid and s is not None),
            key=lambda sid: _fold(sections.get(sid, "")),
        )
        for fid in federation_order
    }
    fed_units = [
        unit((FEDERATION, fid), federations[fid][0], FEDERATION, (fid, None), section_order[fid])
        for fid in federation_order
    ]
    fed_views, fed_withheld = _disclose(fed_units, questions, threshold, _("Autres fédérations"))
    alone = {view.federation_id for view in fed_views if not view.is_merged}
    fed_turnout = [
        TurnoutRow(u.key, u.label, FEDERATION, u.registered, u.voters, u.paper, federation_id=u.key[1])
        for u in fed_units
    ]

    section_levels = []
    for fid in federation_order:
        title = federations[fid][0]
        units = [
            unit((SECTION, sid), sections.get(sid, str(sid)), SECTION, (fid, sid), [sid], parent=(FEDERATION, fid))
            for sid in section_order[fid]
        ]
        rows = [TurnoutRow(u.key, u.label, SECTION, u.registered, u.voters, u.paper, federation_id=fid) for u in units]
        if fid in alone:
            views, withheld = _disclose(units, questions, threshold, merged_sections_label(title))
        else:
            # The federation's votes are merged with others': its sections, which add up to it, are not shown.
            views, withheld = [], bool(units)
        for view in views:
            view.federation_id = fid
            view.parent_label = title
        section_levels.append(SectionLevel(fid, title, views, rows, withheld=withheld))

    return PollResults(
        poll_id=poll.id,
        is_proclaimed=poll.is_proclaimed,
        threshold=threshold,
        rule=disclosure_rule(threshold),
        national=TurnoutRow(("national", None), _("Total national"), "national", registered, voters, national_paper),
        questions=questions,
        federations=fed_views,
        federation_turnout=fed_turnout,
        federations_withheld=fed_withheld,
        sections=section_levels,
        export_hash=poll.export_hash,
    )


def _code_key(code: str) -> tuple[int, str]:
    """Federations in the order of their département numbers (« 2A » after « 19 », « FFE » last)."""
    digits = "".join(ch for ch in code if ch.isdigit())
    return (int(digits) if digits else 10_000), code


def _fold(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text or "").casefold() if not unicodedata.combining(ch))


def arrange(results: PollResults, own_federation_id: int | None = None, search: str = "") -> PollResults:
    """Put the member's own federation first (and flag it), and keep the federations matching ``search``."""
    results.own_federation_id = own_federation_id
    results.search = (search or "").strip()[:80]
    if own_federation_id is not None:
        for row in results.federation_turnout:
            row.is_own = row.federation_id == own_federation_id
            if row.is_own:
                results.own_federation_label = row.label
        merged = True
        for cell in results.federations:
            cell.is_own = cell.federation_id == own_federation_id
            merged = merged and not cell.is_own
        results.own_federation_merged = merged and bool(results.own_federation_label)
        for level in results.sections:
            level.is_own = level.federation_id == own_federation_id
        first = lambda item: not getattr(item, "is_own", False)  # noqa: E731
        results.federation_turnout.sort(key=first)
        results.federations.sort(key=first)
        results.sections.sort(key=first)
    if results.search:
        wanted = _fold(results.search)

        def keep(label: str) -> bool:
            return wanted in _fold(label)

        results.federation_turnout = [r for r in results.federation_turnout if keep(r.label)]
        results.federations = [c for c in results.federations if keep(c.label) or any(keep(m) for m in c.members)]
        results.sections = [s for s in results.sections if keep(s.federation_label)]
    return results


def own_federation_id(user: Any) -> int | None:
    """The federation of the member behind ``user`` (None for an account without a member)."""
    member = getattr(user, "member", None) if getattr(user, "is_authenticated", False) else None
    section = getattr(member, "section", None)
    return getattr(section, "federation_id", None)


def cell_rows(results: PollResults) -> Iterable[tuple[CellView, str]]:
    """Every published cell with its federation's title (« » for federations): national order."""
    for cell in results.federations:
        yield cell, ""
    for level in results.sections:
        for cell in level.cells:
            yield cell, level.federation_label
