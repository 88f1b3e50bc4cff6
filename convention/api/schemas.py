"""Marshmallow schemas of the public read API (query arguments and responses)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

MAX_PER_PAGE = 1000
DEFAULT_PER_PAGE = 50
MAX_PAGE = 1_000_000
MAX_ID = 2**31 - 1

_INTEGER_ERRORS = {"invalid": "Nombre entier attendu.", "required": "Paramètre obligatoire."}


# --- query arguments ------------------------------------------------------------------


class ConventionQuerySchema(ma.Schema):
    convention = fields.String(
        validate=[
            validate.Length(min=1, max=80, error="Entre {min} et {max} caractères."),
            validate.Regexp(
                r"^[a-z0-9][a-z0-9-]*$",
                error="Un identifiant de convention ne contient que des minuscules, "
                "des chiffres et des tirets.",
            ),
        ],
        metadata={"description": "Identifiant (slug) de la convention ; par défaut la première."},
    )


class PaginationQuerySchema(ConventionQuerySchema):
    page = fields.Integer(
        load_default=1,
        strict=False,
        validate=validate.Range(
            min=1, max=MAX_PAGE, error="La page doit être comprise entre {min} et {max}."
        ),
        error_messages=_INTEGER_ERRORS,
        metadata={"description": "Numéro de page (à partir de 1)."},
    )
    per_page = fields.Integer(
        load_default=DEFAULT_PER_PAGE,
        strict=False,
        validate=validate.Range(
            min=1, max=MAX_PER_PAGE, error="per_page doit être compris entre {min} et {max}."
        ),
        error_messages=_INTEGER_ERRORS,
        metadata={
            "description": f"Éléments par page (1 à {MAX_PER_PAGE}, {DEFAULT_PER_PAGE} par défaut)."
        },
    )


class TextVersionQuerySchema(ma.Schema):
    version = fields.Integer(
        strict=False,
        validate=validate.Range(min=1, max=MAX_PAGE, error="La version doit être au moins {min}."),
        error_messages=_INTEGER_ERRORS,
        metadata={
            "description": "Numéro de version ; par défaut la version courante (la dernière)."
        },
    )


# --- responses ------------------------------------------------------------------------


class PhaseSchema(ma.Schema):
    kind = fields.String(required=True)
    label = fields.String(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(allow_none=True, required=True)


class ConventionSchema(ma.Schema):
    slug = fields.String(required=True)
    title = fields.String(required=True)
    short_title = fields.String(required=True)
    initiator = fields.String(required=True)
    current_phase = fields.String(
        allow_none=True, required=True, metadata={"description": "Nature de la phase en cours."}
    )
    phases = fields.List(fields.Nested(PhaseSchema), required=True)


class AnimatorSchema(ma.Schema):
    name = fields.String(required=True)
    titles = fields.String(required=True)


class WorkingGroupSchema(ma.Schema):
    id = fields.Integer(required=True)
    number = fields.Integer(required=True)
    title = fields.String(required=True)
    animators = fields.List(fields.Nested(AnimatorSchema), required=True)


class TextLinkSchema(ma.Schema):
    chapter = fields.String(
        required=True, metadata={"description": "Ancre du chapitre (« II-5 »)."}
    )
    block = fields.String(required=True, metadata={"description": "Ancre du bloc (« II-5-12 »)."})
    version = fields.Integer(required=True, metadata={"description": "Version du texte liée."})
    url = fields.String(
        required=True, metadata={"description": "Page du chapitre, ancrée au bloc."}
    )
    note = fields.String(required=True)


class SourceSchema(ma.Schema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(["contribution", "event"]),
        metadata={"description": "« contribution » ou « event » (une audition)."},
    )
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    url = fields.String(required=True)
    note = fields.String(required=True)


class EventSchema(ma.Schema):
    id = fields.Integer(required=True)
    start = fields.DateTime(
        required=True, metadata={"description": "Début, heure de Paris avec son décalage."}
    )
    end = fields.DateTime(allow_none=True, required=True)
    all_day = fields.Boolean(required=True)
    kind = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    place = fields.String(required=True)
    people = fields.List(fields.String(), required=True)
    experts = fields.List(fields.String(), required=True)
    working_groups = fields.List(
        fields.Integer(), required=True, metadata={"description": "Numéros des groupes de travail."}
    )
    text_links = fields.List(
        fields.Nested(TextLinkSchema),
        required=True,
        metadata={"description": "Passages du texte issus de l'audition."},
    )


class ContributionSchema(ma.Schema):
    id = fields.Integer(required=True)
    number = fields.Integer(allow_none=True, required=True)
    channel = fields.String(required=True)
    title = fields.String(required=True)
    author_name = fields.String(required=True)
    unit = fields.String(required=True, metadata={"description": "Section ou fédération."})
    status = fields.String(required=True)
    working_group = fields.Integer(
        allow_none=True, required=True, metadata={"description": "Numéro du groupe de travail."}
    )
    answer = fields.String(
        required=True, metadata={"description": "Réponse écrite des pilotes à la décision."}
    )
    text_links = fields.List(
        fields.Nested(TextLinkSchema),
        required=True,
        metadata={"description": "Passages du texte issus de la contribution."},
    )


class VersionSummarySchema(ma.Schema):
    number = fields.Integer(required=True)
    label = fields.String(required=True)
    status = fields.String(required=True)


class TextSummarySchema(ma.Schema):
    id = fields.Integer(required=True)
    slug = fields.String(required=True)
    title = fields.String(required=True)
    versions = fields.List(fields.Nested(VersionSummarySchema), required=True)


class BlockSchema(ma.Schema):
    id = fields.String(
        required=True, metadata={"description": "Ancre stable du bloc (« II-5-12 »)."}
    )
    pk = fields.Integer(required=True)
    kind = fields.String(required=True)
    text = fields.String(required=True)
    line_start = fields.Integer(required=True)
    line_end = fields.Integer(required=True)
    reference = fields.String(
        allow_none=True, required=True, metadata={"description": "Propositions : « II.5.3 »."}
    )
    number = fields.String(
        allow_none=True, required=True, metadata={"description": "Recommandations : numéro."}
    )
    sources = fields.List(
        fields.Nested(SourceSchema),
        required=True,
        metadata={"description": "« Issu de » : contributions et auditions à l'origine du bloc."},
    )


class ChapterSchema(ma.Schema):
    id = fields.String(required=True, metadata={"description": "Ancre stable (« II-5 »)."})
    number = fields.String(required=True)
    title = fields.String(required=True)
    blocks = fields.List(fields.Nested(BlockSchema), required=True)


class PartSchema(ma.Schema):
    number = fields.String(required=True)
    title = fields.String(required=True)
    chapters = fields.List(fields.Nested(ChapterSchema), required=True)


class VersionSchema(VersionSummarySchema):
    line_length = fields.Integer(required=True)
    parts = fields.List(fields.Nested(PartSchema), required=True)


class TextDetailSchema(ma.Schema):
    id = fields.Integer(required=True)
    slug = fields.String(required=True)
    title = fields.String(required=True)
    versions = fields.List(fields.Nested(VersionSummarySchema), required=True)
    version = fields.Nested(VersionSchema, required=True)


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """``{"items": [...], "total": N, "page": p, "per_page": n}`` around ``item_schema``."""
    return type(
        name,
        (ma.Schema,),
        {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "total": fields.Integer(
                required=True, metadata={"description": "Nombre total d'éléments."}
            ),
            "page": fields.Integer(required=True),
            "per_page": fields.Integer(required=True),
        },
    )


WorkingGroupPageSchema = page_schema(WorkingGroupSchema, "WorkingGroupPageSchema")
EventPageSchema = page_schema(EventSchema, "EventPageSchema")
ContributionPageSchema = page_schema(ContributionSchema, "ContributionPageSchema")
TextPageSchema = page_schema(TextSummarySchema, "TextPageSchema")
