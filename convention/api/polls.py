"""GET /api/v1/polls: the members' votes — polls, their questions, methods and rules, the roll's size and hash,
turnout and, once proclaimed, the results with the secrecy rule (small or unanimous units merged).

Drafts do not exist here (404); results answer 403 until the Bureau national proclaims them.
"""

from __future__ import annotations

from fractions import Fraction
from http import HTTPStatus
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from flask import abort, url_for
from flask_smorest import Blueprint
from marshmallow import fields

from convention.api import queries as api_queries
from convention.api.schemas import MAX_ID, ConventionQuerySchema, PaginationQuerySchema, page_schema
from convention.domain.counting import json_number
from convention.domain.polls import PollState
from convention.extensions import db
from convention.votes import results as poll_results
from convention.votes.counting import question_of
from convention.votes.models import Poll, PollTurnout

blp = Blueprint(
    "polls_api",
    __name__,
    description="Les votes des militant·es : scrutins, questions, méthodes et règles d'adoption, liste électorale "
    "(taille et empreinte), participation et, une fois proclamés, résultats nationaux et par unité publiée "
    "(les unités trop petites ou unanimes sont regroupées pour protéger le secret du vote).",
)

NOT_FOUND = "Scrutin introuvable."
NOT_PROCLAIMED = "Les résultats de ce scrutin ne sont pas encore proclamés."


# --- schemas ------------------------------------------------------------------------------------


class RuleSchema(ma.Schema):
    base = fields.String(
        required=True,
        metadata={"description": "yes_no (Pour + Contre), yes_no_abstain, ballots (bulletins déposés) ou registered."},
    )
    threshold = fields.String(required=True, metadata={"description": "Fraction exacte : « 1/2 », « 2/3 »."})
    strict = fields.Boolean(
        required=True, metadata={"description": "true : plus de ce seuil ; false : au moins ce seuil."}
    )
    quorum = fields.String(
        allow_none=True, required=True, metadata={"description": "Fraction des inscrits qui doivent voter, ou null."}
    )
    text = fields.String(required=True, metadata={"description": "La règle en toutes lettres."})


class OptionSchema(ma.Schema):
    id = fields.Integer(required=True)
    label = fields.String(required=True)
    name = fields.String(
        required=True,
        metadata={"description": "Le nom de l'option pour « flask polls count » : yes, no, abstain, ou le libellé."},
    )
    description = fields.String(required=True)
    is_status_quo = fields.Boolean(required=True)


class QuestionSchema(ma.Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    method = fields.String(
        required=True,
        metadata={"description": "yes_no_abstain, single, approval, majority_judgment ou schulze."},
    )
    method_label = fields.String(required=True)
    options = fields.List(fields.Nested(OptionSchema), required=True)
    grades = fields.List(
        fields.String(), allow_none=True, required=True, metadata={"description": "Mentions (jugement majoritaire)."}
    )
    seats = fields.Integer(allow_none=True, required=True, metadata={"description": "Sièges (approbation)."})
    status_quo = fields.String(allow_none=True, required=True, metadata={"description": "Statu quo (Schulze)."})
    rule = fields.Nested(RuleSchema, allow_none=True, required=True)


class TurnoutSchema(ma.Schema):
    registered = fields.Integer(required=True, metadata={"description": "Inscrit·es."})
    voters = fields.Integer(required=True, metadata={"description": "Votant·es (en ligne et sur papier)."})
    online = fields.Integer(required=True)
    paper = fields.Integer(required=True, metadata={"description": "Votant·es sur papier, en section."})


class RollSchema(ma.Schema):
    cutoff = fields.Date(required=True, metadata={"description": "Date d'arrêt de la liste (cotisation à jour)."})
    size = fields.Integer(allow_none=True, required=True, metadata={"description": "Inscrit·es, une fois figée."})
    hash = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "SHA-256 des numéros d'adhérent·e triés, un par ligne (liste figée)."},
    )


class PollSummarySchema(ma.Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    question = fields.String(required=True)
    state = fields.String(required=True, metadata={"description": "scheduled, open, closed, tallied ou proclaimed."})
    state_label = fields.String(required=True)
    opens_at = fields.DateTime(required=True)
    closes_at = fields.DateTime(required=True)
    proclaimed_at = fields.DateTime(allow_none=True, required=True)
    url = fields.String(required=True, metadata={"description": "Chemin de la page du scrutin."})


class PollDetailSchema(PollSummarySchema):
    description = fields.String(required=True, metadata={"description": "Markdown."})
    allows_paper = fields.Boolean(required=True, metadata={"description": "Les sections peuvent voter sur papier."})
    secrecy_threshold = fields.Integer(
        required=True, metadata={"description": "Bulletins en dessous desquels une unité est regroupée."}
    )
    roll = fields.Nested(RollSchema, required=True)
    questions = fields.List(fields.Nested(QuestionSchema), required=True)
    turnout = fields.Nested(
        TurnoutSchema, allow_none=True, required=True, metadata={"description": "Publiée avec les résultats."}
    )
    export_hash = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "SHA-256 de l'export de vérification (publié avec les résultats)."},
    )


PollPageSchema = page_schema(PollSummarySchema, "PollPageSchema")


class CellSchema(ma.Schema):
    unit = fields.String(required=True, metadata={"description": "Fédération, section, ou « Autres … »."})
    level = fields.String(required=True, metadata={"description": "federation ou section."})
    federation = fields.String(
        allow_none=True, required=True, metadata={"description": "La fédération d'une cellule de sections."}
    )
    merged = fields.Boolean(required=True, metadata={"description": "Cellule regroupant plusieurs unités."})
    members = fields.List(fields.String(), required=True, metadata={"description": "Les unités regroupées."})
    registered = fields.Integer(required=True)
    ballots = fields.Integer(required=True)
    blank = fields.Raw(required=True, metadata={"description": "Entier, ou fraction « a/b »."})
    void = fields.Raw(required=True)
    votes = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        required=True,
        metadata={
            "description": "Par option : les voix (ou approbations) ; jugement majoritaire : les voix par "
            "mention, de la meilleure à la pire ; Schulze : les duels « A>B »."
        },
    )


class QuestionResultSchema(ma.Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    method = fields.String(required=True)
    result = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(allow_none=True),
        required=True,
        metadata={
            "description": "Le résultat national, avec les champs de « flask polls count » (ballots, weight, "
            "valid, blank, void, scores, ranking, winner, tied, quorum_met, adopted…) et decision."
        },
    )
    cells = fields.List(fields.Nested(CellSchema), required=True)


class UnitTurnoutSchema(TurnoutSchema):
    unit = fields.String(required=True)
    level = fields.String(required=True)
    federation = fields.String(allow_none=True, required=True)


class ResultsSchema(ma.Schema):
    poll = fields.Integer(required=True)
    proclaimed_at = fields.DateTime(required=True)
    secrecy_threshold = fields.Integer(required=True)
    rule = fields.String(required=True, metadata={"description": "La règle de publication, en toutes lettres."})
    turnout = fields.Nested(TurnoutSchema, required=True)
    units_turnout = fields.List(
        fields.Nested(UnitTurnoutSchema),
        required=True,
        metadata={"description": "La participation de chaque fédération et section, même regroupée."},
    )
    questions = fields.List(fields.Nested(QuestionResultSchema), required=True)
    export_hash = fields.String(allow_none=True, required=True)


# --- data ---------------------------------------------------------------------------------------


def _convention(slug: str | None):
    convention = api_queries.get_convention(slug)
    if convention is None:
        abort(HTTPStatus.NOT_FOUND, description="Convention introuvable.")
    return convention


def _poll(poll_id: int, slug: str | None) -> Poll:
    convention = _convention(slug)
    poll = db.session.get(Poll, poll_id) if poll_id <= MAX_ID else None
    if poll is not None and poll.convention_id != convention.id and poll.state != PollState.DRAFT:
        from convention.conventions.web import api_follow_to_own_convention

        api_follow_to_own_convention(poll)
    if poll is None or poll.convention_id != convention.id or poll.state == PollState.DRAFT:
        abort(HTTPStatus.NOT_FOUND, description=NOT_FOUND)
    return poll


def _number(value: Any) -> Any:
    if isinstance(value, Fraction):
        return json_number(value)
    if isinstance(value, list):
        return [_number(v) for v in value]
    return value


def summary(poll: Poll) -> dict[str, Any]:
    return {
        "id": poll.id,
        "title": poll.title,
        "question": poll.question,
        "state": poll.state.value,
        "state_label": poll.state_label,
        "opens_at": poll.opens_at,
        "closes_at": poll.closes_at,
        "proclaimed_at": poll.proclaimed_dt,
        "url": url_for("votes.show", poll_id=poll.id),
    }


def _question(question) -> dict[str, Any]:
    counting = question_of(question)
    rule = counting.effective_rule
    return {
        "id": question.id,
        "title": question.title,
        "method": question.method.value,
        "method_label": question.method_label,
        "options": [
            {
                "id": o.id,
                "label": o.label,
                "name": o.code or o.label,
                "description": o.description,
                "is_status_quo": o.is_status_quo,
            }
            for o in question.options
        ],
        "grades": list(counting.grades) if counting.method.value == "majority_judgment" else None,
        "seats": question.seats,
        "status_quo": counting.status_quo,
        "rule": None if rule is None else {**rule.to_json(), "text": rule.describe()},
    }


def _national_turnout(poll: Poll) -> dict[str, int] | None:
    row = db.session.execute(
        sa.select(PollTurnout.registered, PollTurnout.voters, PollTurnout.paper_voters).where(
            PollTurnout.poll_id == poll.id, PollTurnout.federation_id.is_(None), PollTurnout.section_id.is_(None)
        )
    ).first()
    if row is None:
        return None
    registered, voters, paper = row
    return {"registered": registered, "voters": voters, "online": voters - paper, "paper": paper}


def detail(poll: Poll) -> dict[str, Any]:
    proclaimed = poll.is_proclaimed
    return {
        **summary(poll),
        "description": poll.description,
        "allows_paper": poll.allows_paper,
        "secrecy_threshold": poll.secrecy_threshold,
        "roll": {"cutoff": poll.roll_cutoff, "size": poll.roll_size, "hash": poll.roll_hash},
        "questions": [_question(q) for q in poll.questions],
        "turnout": _national_turnout(poll) if proclaimed else None,
        "export_hash": poll.export_hash if proclaimed else None,
    }


def _cell(cell: poll_results.CellView, question_id: int, federation: str) -> dict[str, Any]:
    figures = cell.questions[question_id]
    return {
        "unit": cell.label,
        "level": cell.level,
        "federation": federation or None,
        "merged": cell.is_merged,
        "members": cell.members,
        "registered": cell.registered,
        "ballots": cell.ballots,
        "blank": _number(figures.blank),
        "void": _number(figures.void),
        "votes": {label: _number(n) for label, n in figures.votes.items()},
    }


def results_data(poll: Poll, found: poll_results.PollResults) -> dict[str, Any]:
    national = found.national
    units = [
        {"unit": r.label, "level": r.level, "federation": None, "registered": r.registered, "voters": r.voters,
         "online": r.online, "paper": r.paper}
        for r in found.federation_turnout
    ] + [
        {"unit": r.label, "level": r.level, "federation": level.federation_label, "registered": r.registered,
         "voters": r.voters, "online": r.online, "paper": r.paper}
        for level in found.sections
        for r in level.turnout
    ]  # fmt: skip
    return {
        "poll": poll.id,
        "proclaimed_at": poll.proclaimed_dt,
        "secrecy_threshold": found.threshold,
        "rule": found.rule,
        "turnout": {
            "registered": national.registered,
            "voters": national.voters,
            "online": national.online,
            "paper": national.paper,
        },
        "units_turnout": units,
        "questions": [
            {
                "id": question.id,
                "title": question.title,
                "method": question.method.value,
                "result": {**question.result, "decision": question.sentence},
                "cells": [_cell(cell, question.id, federation) for cell, federation in poll_results.cell_rows(found)],
            }
            for question in found.questions
        ],
        "export_hash": found.export_hash,
    }


# --- endpoints ----------------------------------------------------------------------------------


@blp.route("/polls")
@blp.arguments(PaginationQuerySchema, location="query", as_kwargs=True)
@blp.response(HTTPStatus.OK, PollPageSchema)
@blp.alt_response(HTTPStatus.NOT_FOUND, response="NOT_FOUND")
def list_polls(page: int, per_page: int, convention: str | None = None):
    """Les scrutins de la convention (sauf ceux en préparation), le plus récent d'abord."""
    found = _convention(convention)
    query = (
        sa.select(Poll)
        .where(Poll.convention_id == found.id, Poll.state != PollState.DRAFT)
        .order_by(Poll.opens_at.desc(), Poll.id.desc())
    )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())) or 0
    items = [summary(p) for p in db.session.scalars(query.limit(per_page).offset((page - 1) * per_page))]
    return {"items": items, "total": total, "page": page, "per_page": per_page}


@blp.route("/polls/<int:poll_id>")
@blp.arguments(ConventionQuerySchema, location="query", as_kwargs=True)
@blp.response(HTTPStatus.OK, PollDetailSchema)
@blp.alt_response(HTTPStatus.NOT_FOUND, response="NOT_FOUND")
def get_poll(poll_id: int, convention: str | None = None):
    """Un scrutin : questions, méthodes, règles, état, dates, liste électorale (taille, empreinte) ; la
    participation et l'empreinte de l'export de vérification une fois les résultats proclamés."""
    return detail(_poll(poll_id, convention))


@blp.route("/polls/<int:poll_id>/results")
@blp.arguments(ConventionQuerySchema, location="query", as_kwargs=True)
@blp.response(HTTPStatus.OK, ResultsSchema)
@blp.alt_response(HTTPStatus.FORBIDDEN, response="FORBIDDEN")
@blp.alt_response(HTTPStatus.NOT_FOUND, response="NOT_FOUND")
def get_results(poll_id: int, convention: str | None = None):
    """Les résultats proclamés : par question le résultat national (les champs de « flask polls count ») et
    ``cells``, les unités publiées (fédérations, sections, « Autres … ») avec leurs voix par option.

    Une unité de moins de ``secrecy_threshold`` bulletins en ligne, ou dont tous les bulletins en ligne sont
    identiques, est regroupée avec d'autres (``rule``) ; la participation de chaque unité reste publiée.
    """
    poll = _poll(poll_id, convention)
    if not poll.is_proclaimed:
        abort(HTTPStatus.FORBIDDEN, description=NOT_PROCLAIMED)
    found = poll_results.get_results(poll)
    if found is None:  # pragma: no cover - a proclaimed poll has been counted
        abort(HTTPStatus.NOT_FOUND, description=NOT_FOUND)
    return results_data(poll, found)
