"""Forms of the section paper votes: validation of the fields only (the operations check the figures).

The minutes' figures are read from the request by ``figures_from_form`` (their number depends on
the poll's questions), one input per figure:

- « q<id>-yes », « q<id>-no », « q<id>-abstain » (yes/no/abstain), « q<id>-o<option id> »
  (single choice: votes; approval: approvals);
- « q<id>-o<option id>-g<grade index> » (majority judgment: the votes of each grade);
- « q<id>-r<n>-count » and « q<id>-r<n>-o<option id> » (Schulze: the n-th distinct ranking, its
  number of ballots and each option's rank; empty = unranked);
- « q<id>-blank », « q<id>-void ».
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from convention.domain.ballots import GRADES
from convention.domain.polls import QuestionMethod
from convention.votes.paper import MAX_BUREAU_NAMES, MAX_FIGURE, MAX_NOTE, MAX_RANKINGS, MAX_REASON

DEFAULT_RANKING_ROWS = 5
MORE_RANKING_ROWS = 5


class OpenReportForm(FlaskForm):
    confirm = BooleanField(
        _l("Je confirme que la section vote sur papier en réunion, avec cette liste d'émargement"),
        validators=[DataRequired(_l("Cochez la case pour confirmer."))],
    )


class MarkForm(FlaskForm):
    """Mark (or unmark) one member; ``q`` and ``page`` bring the secretary back where they were."""

    member_id = IntegerField(validators=[DataRequired()])
    q = HiddenField()
    page = HiddenField()


class SearchForm(FlaskForm):
    """The roll's search field (GET: no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("Rechercher un·e adhérent·e"), validators=[Optional(), Length(max=100)])


class MinutesForm(FlaskForm):
    """The minutes' own fields; the figures of each question are read by ``figures_from_form``."""

    meeting_date = DateField(
        _l("Date de la réunion de section"),
        validators=[Optional()],
        description=_l("Le jour où la section a voté, pendant la période du vote."),
    )
    bureau_names = TextAreaField(
        _l("Membres du bureau de vote"),
        validators=[Length(max=MAX_BUREAU_NAMES)],
        description=_l("Président·e, assesseur·es et secrétaire, tels qu'ils ont signé le procès-verbal."),
        render_kw={"rows": 2},
    )
    registered = IntegerField(
        _l("Inscrit·es"),
        validators=[Optional(), NumberRange(0, MAX_FIGURE)],
        description=_l("Les adhérent·es de la section inscrit·es sur la liste électorale."),
        render_kw={"inputmode": "numeric"},
    )
    voters = IntegerField(
        _l("Votant·es"),
        validators=[Optional(), NumberRange(0, MAX_FIGURE)],
        description=_l("Autant que d'adhérent·es émargé·es sur la liste, et que de bulletins dans l'urne."),
        render_kw={"inputmode": "numeric"},
    )
    note = TextAreaField(
        _l("Observations (facultatif)"),
        validators=[Optional(), Length(max=MAX_NOTE)],
        render_kw={"rows": 2},
    )
    confirm = BooleanField(
        _l("Je certifie que ces chiffres sont ceux du procès-verbal signé par le bureau, et je le transmets"),
        validators=[DataRequired(_l("Cochez la case pour transmettre le procès-verbal."))],
    )


class ValidateForm(FlaskForm):
    confirm = BooleanField(
        _l("Je confirme la validation : ces résultats seront comptés"),
        validators=[DataRequired(_l("Cochez la case pour confirmer la validation."))],
    )


class ReturnForm(FlaskForm):
    reason = TextAreaField(
        _l("Motif du renvoi"),
        validators=[
            DataRequired(_l("Indiquez le motif du renvoi : la section doit savoir quoi corriger.")),
            Length(max=MAX_REASON),
        ],
        render_kw={"rows": 2},
    )


# --- the figures ------------------------------------------------------------------------------


def ranking_rows(question: Any, formdata: Mapping[str, Any] | None, figures: Mapping[str, Any] | None) -> int:
    """How many ranking lines the form shows for a Schulze question."""
    rows = DEFAULT_RANKING_ROWS
    if figures:
        rows = max(rows, len(figures.get("rankings", [])) + 2)
    if formdata is not None:
        try:
            rows = max(rows, int(formdata.get(f"q{question.id}-rows", 0)))
        except (TypeError, ValueError):
            pass
        if formdata.get("more_rows") == str(question.id):
            rows += MORE_RANKING_ROWS
    return min(rows, MAX_RANKINGS)


def figure_keys(question: Any) -> list[tuple[str, Any]]:
    """(input suffix, option) of a yes/no/abstain, single or approval question's answers."""
    if question.method == QuestionMethod.YES_NO_ABSTAIN:
        return [(option.code, option) for option in question.options]
    return [(f"o{option.id}", option) for option in question.options]


def figures_from_form(questions: Any, formdata: Mapping[str, Any], rows: Mapping[int, int]) -> dict[str, Any]:
    """The figures as typed (strings), in ``SectionReportRevision.figures``'s shape; the operation checks them."""

    def value(name: str) -> str:
        return (formdata.get(name) or "").strip()

    figures: dict[str, Any] = {}
    for question in questions:
        prefix = f"q{question.id}"
        data: dict[str, Any] = {"blank": value(f"{prefix}-blank"), "void": value(f"{prefix}-void")}
        if question.method == QuestionMethod.MAJORITY_JUDGMENT:
            for option in question.options:
                data[str(option.id)] = [value(f"{prefix}-o{option.id}-g{i}") for i in range(len(GRADES))]
        elif question.method == QuestionMethod.SCHULZE:
            rankings = []
            for n in range(1, rows.get(question.id, DEFAULT_RANKING_ROWS) + 1):
                count = value(f"{prefix}-r{n}-count")
                ranks = {str(option.id): value(f"{prefix}-r{n}-o{option.id}") for option in question.options}
                if count in ("", "0") and not any(ranks.values()):
                    continue
                rankings.append({"count": count or "0", "ranking": ranks})
            data["rankings"] = rankings
        else:
            for suffix, option in figure_keys(question):
                key = option.code if question.method == QuestionMethod.YES_NO_ABSTAIN else str(option.id)
                data[key] = value(f"{prefix}-{suffix}")
        figures[question.key] = data
    return figures


def values_from_figures(questions: Any, figures: Mapping[str, Any]) -> dict[str, str]:
    """The inputs' values for stored figures (a returned report's last revision, to correct it)."""
    values: dict[str, str] = {}
    for question in questions:
        prefix = f"q{question.id}"
        data = figures.get(question.key) or {}
        values[f"{prefix}-blank"] = str(data.get("blank", 0))
        values[f"{prefix}-void"] = str(data.get("void", 0))
        if question.method == QuestionMethod.MAJORITY_JUDGMENT:
            for option in question.options:
                row = data.get(str(option.id)) or [0] * len(GRADES)
                for i, n in enumerate(row):
                    values[f"{prefix}-o{option.id}-g{i}"] = str(n)
        elif question.method == QuestionMethod.SCHULZE:
            for n, row in enumerate(data.get("rankings", []), start=1):
                values[f"{prefix}-r{n}-count"] = str(row["count"])
                for rank, group in enumerate(row["ranking"], start=1):
                    for option_id in group:
                        values[f"{prefix}-r{n}-o{option_id}"] = str(rank)
        else:
            for suffix, option in figure_keys(question):
                key = option.code if question.method == QuestionMethod.YES_NO_ABSTAIN else str(option.id)
                values[f"{prefix}-{suffix}"] = str(data.get(key, 0))
    return values
