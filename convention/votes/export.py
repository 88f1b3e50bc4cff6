"""The verification export of a poll, and its recount without the database (« flask polls verify »).

The export is one JSON document, written in a canonical form (keys sorted, no spaces, UTF-8) so that
the same poll always gives the same bytes; their SHA-256 is ``poll.export_hash``, computed by the
count and published on the results page. It holds:

- ``poll``: the poll's number, title, question, window and secrecy threshold;
- ``roll``: the roll's hash (SHA-256 of the sorted membership numbers), its size and cut-off date,
  and per federation the registered members and the voters (online, on paper);
- ``questions``: per question its ``key`` (the key of its answers in ``ballots``), title, method,
  options (as ``flask polls count`` names them), ``labels`` (what the ballot showed), grades, seats,
  status quo, rule (``rule_text`` in words), ``registered`` and the ``result`` the platform recorded
  (``flask polls count``'s output fields and ``decision``, the decision in words);
- ``ballots``: the online ballots, anonymised — no id, no time, no unit — in the order of their
  random ids (a shuffled order); each maps a question's key to a ballot in ``flask polls count``'s
  format (options named, grades by name);
- ``minutes``: the validated paper minutes of the sections (procès-verbaux), with their figures;
- ``receipts``: the SHA-256 of every online receipt code in the box, sorted (not linked to ballots).

:func:`verify_export` recounts every question from ``ballots`` and ``minutes`` alone with the
counting code and compares with the recorded ``result``; it imports nothing of the database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sqlalchemy as sa

from convention.core.db import db
from convention.domain.ballots import count_ballot
from convention.domain.counting import (
    BLANK,
    VOID,
    CountError,
    Question,
    Tally,
    VoteMethod,
    decide,
    question_from_spec,
    sentence,
)
from convention.members.models import Federation
from convention.votes.counting import question_of
from convention.votes.models import Ballot, Poll, PollQuestion, PollTurnout, QuestionTally, RollEntry

FORMAT = "convention-vote-export/1"
NOTE = (
    "Export de vérification d'un vote des militant·es. Son empreinte SHA-256 (celle de ce fichier, tel quel) est "
    "publiée sur la page des résultats. « flask polls verify FICHIER » recompte chaque question à partir des "
    "bulletins en ligne (« ballots ») et des procès-verbaux validés (« minutes ») et compare avec le résultat "
    "enregistré (« result »). Chaque bulletin associe à la clé d'une question une réponse au format de "
    "« flask polls count »."
)


def canonical_json(data: Any) -> bytes:
    """The canonical bytes of a JSON document: keys sorted, no spaces, UTF-8 (not ASCII-escaped)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def export_filename(poll: Poll, digest: str | None = None) -> str:
    suffix = f"-{digest[:12]}" if digest else ""
    return f"scrutin-{poll.id}-verification{suffix}.json"


# --- building it (from the database) ---------------------------------------------------------------


def question_spec(question: Question) -> dict[str, Any]:
    """A counting question as the fields of a ``flask polls count`` file (``question_from_spec`` reads it back)."""
    spec: dict[str, Any] = {"method": question.method.value, "options": list(question.options)}
    if question.method is VoteMethod.MAJORITY_JUDGMENT:
        spec["grades"] = list(question.grades)
    if question.seats is not None:
        spec["seats"] = question.seats
    if question.status_quo is not None:
        spec["status_quo"] = question.status_quo
    rule = question.rule
    spec["rule"] = rule.to_json() if rule is not None else None
    return spec


def option_labels(question: PollQuestion) -> dict[str, str]:
    """What readers see for each option name of the counting code (« yes » → « Pour »; labels stay labels)."""
    return {(o.code or o.label): o.label for o in question.options}


def national_registered(poll_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(RollEntry).where(RollEntry.poll_id == poll_id)) or 0


def recorded_result(question: PollQuestion, tally: Tally, registered: int) -> dict[str, Any]:
    """:func:`decide`'s result of a stored national tally, with ``decision`` in words."""
    counting = question_of(question)
    result = decide(counting, tally, registered)
    result["decision"] = sentence(counting, result, option_labels(question))
    return result


def _national_tallies(poll_id: int) -> dict[int, Tally]:
    rows = db.session.execute(
        sa.select(QuestionTally.question_id, QuestionTally.tally).where(
            QuestionTally.poll_id == poll_id,
            QuestionTally.federation_id.is_(None),
            QuestionTally.section_id.is_(None),
        )
    )
    return {question_id: Tally.from_json(text) for question_id, text in rows}


def _validated_minutes(poll: Poll) -> list[dict[str, Any]]:
    """The validated minutes, each section's on its own only if it keeps the secret of the vote.

    Minutes with fewer voters than the poll's threshold, or whose ballots are all the same for a
    question (the section's secretary knows who was marked on paper), are summed into one entry
    per federation (« Autres sections de … »), and those still too small or revealing into one
    national entry: the recount needs only the sums.
    """
    from convention.votes import paper

    entries = paper.validated_minutes(poll)
    tallies = paper.paper_tallies(poll)

    def keeps_secret(voters: int, section_ids: list[int]) -> bool:
        if voters < poll.secrecy_threshold:
            return False
        for question in poll.questions:
            parts = [tallies.get(s, {}).get(question.id) for s in section_ids]
            parts = [t for t in parts if t is not None]
            if parts and sum(parts[1:], parts[0]).is_revealing():
                return False
        return True

    published: list[dict[str, Any]] = []
    pending: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        if keeps_secret(entry["voters"], [entry["section_id"]]):
            published.append(entry)
        else:
            pending.setdefault(entry["federation"], []).append(entry)
    national: list[dict[str, Any]] = []
    for federation, group in pending.items():
        ids = [e["section_id"] for e in group]
        if keeps_secret(sum(e["voters"] for e in group), ids):
            published.append(_merged_minutes(group, f"Autres sections ({federation})", federation))
        else:
            national.extend(group)
    if national:
        published.append(_merged_minutes(national, "Autres procès-verbaux regroupés", ""))
    return published


def _merged_minutes(group: list[dict[str, Any]], label: str, federation: str) -> dict[str, Any]:
    """One minutes entry summing ``group``'s figures (no meeting, bureau or section named)."""
    items: list[dict[str, Any]] = []
    for position, first in enumerate(group[0]["figures"]):
        item: dict[str, Any] = {k: first[k] for k in ("question_id", "title", "method")}
        item["blank"] = sum(e["figures"][position]["blank"] for e in group)
        item["void"] = sum(e["figures"][position]["void"] for e in group)
        if "votes" in first:
            item["votes"] = {k: sum(e["figures"][position]["votes"][k] for e in group) for k in first["votes"]}
        elif "grades" in first:
            item["grades"] = {
                k: [sum(col) for col in zip(*(e["figures"][position]["grades"][k] for e in group), strict=True)]
                for k in first["grades"]
            }
        else:
            item["rankings"] = [row for e in group for row in e["figures"][position]["rankings"]]
        items.append(item)
    return {
        "section": label,
        "section_id": None,
        "federation": federation,
        "federation_code": "",
        "meeting_date": None,
        "bureau_names": "",
        "registered": sum(e["registered"] for e in group),
        "voters": sum(e["voters"] for e in group),
        "revision": None,
        "merged": len(group),
        "figures": items,
    }


def build_export(poll: Poll) -> dict[str, Any]:
    """The verification export of a counted poll (its stored tallies, box, minutes and roll), as a dict."""
    poll_id = poll.id
    registered = national_registered(poll_id)
    tallies = _national_tallies(poll_id)
    questions = list(poll.questions)
    described = []
    for question in questions:
        counting = question_of(question)
        tally = tallies.get(question.id, Tally.empty(counting))
        rule = counting.effective_rule
        described.append(
            {
                "key": question.key,
                "title": question.title,
                **question_spec(counting),
                "labels": option_labels(question),
                "rule_text": rule.describe() if rule is not None else None,
                "registered": registered,
                "result": recorded_result(question, tally, registered),
            }
        )

    converted: dict[str, dict[str, Any]] = {}
    ballots = []
    for (choices,) in db.session.execute(
        sa.select(Ballot.choices).where(Ballot.poll_id == poll_id).order_by(Ballot.id)
    ):
        ballot = converted.get(choices)
        if ballot is None:
            content = json.loads(choices)
            ballot = converted[choices] = {q.key: count_ballot(q, content[q.key]) for q in questions}
        ballots.append(ballot)
    receipts = sorted(db.session.scalars(sa.select(Ballot.receipt_hash).where(Ballot.poll_id == poll_id)))

    turnout = {
        federation_id: (n, voters, paper)
        for federation_id, n, voters, paper in db.session.execute(
            sa.select(
                PollTurnout.federation_id, PollTurnout.registered, PollTurnout.voters, PollTurnout.paper_voters
            ).where(PollTurnout.poll_id == poll_id, PollTurnout.section_id.is_(None))
        )
    }
    roll_counts = dict(
        db.session.execute(
            sa.select(RollEntry.federation_id, sa.func.count())
            .where(RollEntry.poll_id == poll_id)
            .group_by(RollEntry.federation_id)
        ).all()
    )
    names = {
        fid: (code, name)
        for fid, code, name in db.session.execute(
            sa.select(Federation.id, Federation.code, Federation.name).where(
                Federation.id.in_(set(roll_counts) | {f for f in turnout if f is not None})
            )
        )
    }
    federations = []
    for federation_id in sorted(names, key=lambda fid: names[fid][0]):
        _, voters, paper = turnout.get(federation_id, (0, 0, 0))
        code, name = names[federation_id]
        federations.append(
            {"code": code, "name": name, "registered": roll_counts.get(federation_id, 0), "voters": voters,
             "online": voters - paper, "paper": paper}
        )  # fmt: skip
    _, voters, paper = turnout.get(None, (registered, 0, 0))
    return {
        "format": FORMAT,
        "note": NOTE,
        "poll": {
            "id": poll_id,
            "title": poll.title,
            "question": poll.question,
            "opens_at": poll.opens_at.isoformat(),
            "closes_at": poll.closes_at.isoformat(),
            "secrecy_threshold": poll.secrecy_threshold,
        },
        "roll": {
            "hash": poll.roll_hash,
            "size": registered,
            "cutoff": poll.roll_cutoff.isoformat(),
            "federations": federations,
        },
        "turnout": {"registered": registered, "voters": voters, "online": voters - paper, "paper": paper},
        "questions": described,
        "ballots": ballots,
        "minutes": _validated_minutes(poll),
        "receipts": receipts,
    }


def export_bytes(poll: Poll) -> bytes:
    """The canonical bytes of the poll's export (``flask polls export`` writes them)."""
    return canonical_json(build_export(poll))


# --- recounting it (no database) --------------------------------------------------------------------


class ExportError(ValueError):
    """The export cannot be read or recounted (French message naming what is wrong)."""


@dataclass
class QuestionCheck:
    """The recount of one question: what was recounted, what the export recorded, and how they differ."""

    key: str
    title: str
    method: str
    recount: dict[str, Any]
    recorded: dict[str, Any]
    differences: list[str] = field(default_factory=list)

    @property
    def matches(self) -> bool:
        return not self.differences


@dataclass
class Verification:
    poll_title: str
    ballots: int
    paper_voters: int
    minutes: int
    questions: list[QuestionCheck]
    problems: list[str]  # inconsistencies of the export outside the questions' results

    @property
    def ok(self) -> bool:
        return not self.problems and all(q.matches for q in self.questions)


def _get(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in data:
        raise ExportError(f"{where} : champ « {key} » manquant.")
    value = data[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
        raise ExportError(f"{where} : le champ « {key} » n'a pas le type attendu.")
    return value


def minutes_figures(minutes: Mapping[str, Any], key: str, position: int) -> tuple[Mapping[str, Any], int]:
    """The figures of one question (by its key, else its position) in one section's minutes, and their voters."""
    where = f"procès-verbal de « {minutes.get('section', '?')} »"
    voters = minutes.get("voters")
    if not isinstance(voters, int) or isinstance(voters, bool) or voters < 0:
        raise CountError(f"{where} : le nombre de votants (« voters ») manque ou n'est pas un entier")
    items = minutes.get("figures")
    if not isinstance(items, list) or not all(isinstance(item, Mapping) for item in items):
        raise CountError(f"{where} : les chiffres (« figures ») doivent être une liste d'objets, un par question")
    found = [item for item in items if str(item.get("question_id")) == key]
    if not found and position < len(items) and "question_id" not in items[position]:
        found = [items[position]]
    if len(found) != 1:
        raise CountError(f"{where} : les chiffres de cette question manquent")
    return found[0], voters


def add_minutes(question: Question, tally: Tally, figures: Mapping[str, Any], voters: int) -> None:
    """Add one section's minutes of one question to ``tally``: ``blank``, ``void`` and ``votes`` (yes/no/abstain,
    single, approval), ``grades`` (majority judgment) or ``rankings`` (Schulze), options named as the counting
    code names them; the minutes hold ``voters`` ballots."""
    blank = figures.get(BLANK, 0)
    void = figures.get(VOID, 0)
    method = question.method
    if method is VoteMethod.SCHULZE:
        rankings = figures.get("rankings", [])
        if isinstance(rankings, str) or not isinstance(rankings, Sequence):
            raise CountError("« rankings » : une liste de classements est attendue")
        pairs = []
        for item in rankings:
            if not isinstance(item, Mapping):
                raise CountError("chaque classement est un objet {« count », « ranking »}")
            pairs.append((item.get("ranking"), item.get("count")))
        tally.add_tallies(rankings=pairs, blank=blank, void=void, ballots=voters)
    elif method is VoteMethod.MAJORITY_JUDGMENT:
        tally.add_tallies(grades=figures.get("grades", {}), blank=blank, void=void, ballots=voters)
    else:
        tally.add_tallies(votes=figures.get("votes", {}), blank=blank, void=void, ballots=voters)


def _compare(recorded: Any, recount: Any, path: str, out: list[str]) -> None:
    if isinstance(recorded, Mapping) and isinstance(recount, Mapping):
        for key in sorted(set(recorded) | set(recount), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in recorded:
                out.append(f"{where} : absent de l'export, recompté {_show(recount[key])}")
            elif key not in recount:
                out.append(f"{where} : enregistré {_show(recorded[key])}, absent du recomptage")
            else:
                _compare(recorded[key], recount[key], where, out)
        return
    if _normal(recorded) != _normal(recount):
        out.append(f"{path} : enregistré {_show(recorded)}, recompté {_show(recount)}")


def _normal(value: Any) -> Any:
    """Numbers compared exactly whether written 3, "3" or "6/2"; lists element by element."""
    if isinstance(value, list | tuple):
        return [_normal(v) for v in value]
    if isinstance(value, str) and value.replace("/", "", 1).lstrip("-").isdigit():
        try:
            return Fraction(value)
        except (ValueError, ZeroDivisionError):
            return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Fraction(value)
    return value


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def verify_export(data: Any) -> Verification:
    """Recount every question of an export from its ballots and minutes alone; ExportError if it is unreadable."""
    if not isinstance(data, Mapping):
        raise ExportError("le fichier doit contenir un objet JSON.")
    if data.get("format") != FORMAT:
        raise ExportError(f"format inconnu « {data.get('format')} » (attendu : « {FORMAT} »).")
    poll = _get(data, "poll", Mapping, "export")
    questions = _get(data, "questions", list, "export")
    ballots = _get(data, "ballots", list, "export")
    minutes = _get(data, "minutes", list, "export")
    receipts = _get(data, "receipts", list, "export")
    roll = _get(data, "roll", Mapping, "export")
    turnout = _get(data, "turnout", Mapping, "export")
    problems: list[str] = []

    paper_voters = 0
    for entry in minutes:
        if not isinstance(entry, Mapping):
            raise ExportError("« minutes » : chaque procès-verbal est un objet.")
        voters = entry.get("voters")
        if not isinstance(voters, int) or isinstance(voters, bool):
            raise ExportError(f"procès-verbal de « {entry.get('section', '?')} » : « voters » doit être un entier.")
        paper_voters += voters

    checks = []
    for index, described in enumerate(questions):
        where = f"question n° {index + 1}"
        if not isinstance(described, Mapping):
            raise ExportError(f"{where} : un objet est attendu.")
        key = str(_get(described, "key", str, where))
        title = str(described.get("title", key))
        where = f"question « {title} »"
        spec = {k: described[k] for k in ("method", "options", "grades", "seats", "status_quo") if k in described}
        if described.get("rule") is not None:
            spec["rule"] = described["rule"]
        recorded = _get(described, "result", Mapping, where)
        registered = described.get("registered")
        try:
            question = question_from_spec(spec)
            tally = Tally.empty(question)
            for number, ballot in enumerate(ballots, start=1):
                if not isinstance(ballot, Mapping) or key not in ballot or not isinstance(ballot[key], Mapping):
                    raise CountError(f"le bulletin n° {number} ne répond pas à cette question")
                answer = ballot[key]
                unknown = [k for k in answer if k not in ("choice", "approves", "ranking", "grades")]
                if unknown:
                    raise CountError(f"bulletin n° {number} : champ inconnu « {unknown[0]} »")
                try:
                    tally.add_ballot(**answer)
                except CountError as error:
                    raise CountError(f"bulletin n° {number} : {error}") from None
            for entry in minutes:
                figures, voters = minutes_figures(entry, key, index)
                try:
                    add_minutes(question, tally, figures, voters)
                except CountError as error:
                    raise CountError(f"procès-verbal de « {entry.get('section', '?')} » : {error}") from None
            recount = decide(question, tally, registered)
            labels = described.get("labels") if isinstance(described.get("labels"), Mapping) else None
            recount["decision"] = sentence(question, recount, labels)
        except CountError as error:
            raise ExportError(f"{where} : {error}.") from None
        differences: list[str] = []
        _compare(dict(recorded), recount, "", differences)
        checks.append(QuestionCheck(key, title, question.method.value, recount, dict(recorded), differences))

    if len(receipts) != len(ballots):
        problems.append(
            f"l'export compte {len(ballots)} bulletin(s) en ligne mais {len(receipts)} empreinte(s) de reçu."
        )
    if len(set(map(str, receipts))) != len(receipts):
        problems.append("une empreinte de reçu figure deux fois dans « receipts ».")
    voters = turnout.get("voters")
    if voters != len(ballots) + paper_voters:
        problems.append(
            f"la participation annonce {voters} votant(s), mais l'export contient {len(ballots)} bulletin(s) en ligne "
            f"et {paper_voters} vote(s) sur papier."
        )
    federations = roll.get("federations")
    if isinstance(federations, list) and all(isinstance(f, Mapping) for f in federations):
        size = sum(f.get("registered", 0) for f in federations)
        if size != roll.get("size"):
            problems.append(
                f"la liste électorale compte {roll.get('size')} inscrit·es, mais la somme par fédération "
                f"en donne {size}."
            )
    return Verification(
        poll_title=str(poll.get("title", "")),
        ballots=len(ballots),
        paper_voters=paper_voters,
        minutes=len(minutes),
        questions=checks,
        problems=problems,
    )
