"""Marshmallow schemas of the public read API (query arguments and responses)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from convention.domain.amendments import AmendmentKind, AmendmentStatus, Opinion

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


class ConventionSummarySchema(ma.Schema):
    slug = fields.String(
        required=True, metadata={"description": "Identifiant ; ses données sont sous /api/v1/conventions/<slug>/."}
    )
    title = fields.String(required=True)
    short_title = fields.String(required=True)
    current_phase = fields.Nested(
        PhaseSchema, allow_none=True, required=True, metadata={"description": "La phase en cours, ou null."}
    )
    featured = fields.Boolean(
        required=True, metadata={"description": "true pour la convention mise en avant (celle de la page d'accueil)."}
    )
    archived = fields.Boolean(
        required=True, metadata={"description": "true quand le texte est adopté : la convention est terminée."}
    )
    url = fields.String(required=True, metadata={"description": "La page d'accueil de la convention sur le site."})
    api_url = fields.String(required=True, metadata={"description": "Cette convention dans l'API."})


class ConventionListSchema(ma.Schema):
    items = fields.List(fields.Nested(ConventionSummarySchema), required=True)
    total = fields.Integer(required=True)


class ConventionDetailSchema(ConventionSummarySchema):
    initiator = fields.String(required=True)
    description = fields.String(required=True)
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


# --- amendments -----------------------------------------------------------------------

ANCHOR = r"^[A-Za-z0-9][A-Za-z0-9-]{0,39}$"
_INTEGER_ONLY = {"invalid": "Nombre entier attendu."}


def _id_field(description: str, error: str) -> fields.Integer:
    return fields.Integer(
        strict=False,
        validate=validate.Range(min=1, max=MAX_ID, error=error),
        error_messages=_INTEGER_ONLY,
        metadata={"description": description},
    )


class WholeRegexp(validate.Regexp):
    """``Regexp`` that matches the whole value: ``$`` alone also matches before a final newline."""

    def __call__(self, value: str) -> str:
        if self.regex.fullmatch(value) is None:
            raise ma.ValidationError(self._format_error(value))
        return value


def _anchor_field(description: str) -> fields.String:
    return fields.String(
        validate=WholeRegexp(
            ANCHOR,
            error="Une ancre contient de 1 à 40 lettres, chiffres ou tirets (« II-5-12 »).",
        ),
        metadata={"description": description},
    )


class AmendmentQuerySchema(PaginationQuerySchema):
    text = _id_field("Identifiant du texte (voir /api/v1/texts).", "Identifiant de texte invalide.")
    version = fields.Integer(
        strict=False,
        validate=validate.Range(min=1, max=MAX_PAGE, error="La version doit être au moins {min}."),
        error_messages=_INTEGER_ONLY,
        metadata={"description": "Numéro de la version du texte sur laquelle l'amendement a été écrit."},
    )
    chapter = _anchor_field("Ancre du chapitre (« II-5 »).")
    block = _anchor_field("Ancre du bloc amendé (« II-5-12 ») ; pour une insertion, le bloc qu'elle suit.")
    status = fields.String(
        validate=validate.OneOf([s.value for s in AmendmentStatus], error="Valeurs : {choices}."),
        metadata={
            "description": "État : submitted (déposé), admissible (recevable), inadmissible "
            "(irrecevable), adopted (adopté), adopted_modified (adopté avec modification), "
            "merged (intégré dans une synthèse), rejected (rejeté), withdrawn (retiré), "
            "maintained (maintenu pour la journée de la convention)."
        },
    )
    section = _id_field(
        "Identifiant d'une section : ses amendements (déposés en son nom).",
        "Identifiant de section invalide.",
    )
    federation = _id_field(
        "Identifiant d'une fédération : les amendements déposés en son nom ou au nom de l'une de "
        "ses sections.",
        "Identifiant de fédération invalide.",
    )
    unit = fields.Boolean(
        truthy={"true", "1"},
        falsy={"false", "0"},
        error_messages={"invalid": "Valeurs : true ou false."},
        metadata={
            "description": "true : seulement les amendements adoptés par une section ou une "
            "fédération ; false : seulement les autres (adhérents, synthèses du comité) ; "
            "absent : tous."
        },
    )
    cluster = _id_field(
        "Identifiant d'une discussion commune : les amendements examinés ensemble.",
        "Identifiant de discussion commune invalide.",
    )


class UnitSchema(ma.Schema):
    type = fields.String(
        required=True,
        validate=validate.OneOf(["section", "federation"]),
        metadata={"description": "« section » ou « federation »."},
    )
    id = fields.Integer(required=True)
    name = fields.String(required=True, metadata={"description": "Nom (« Grenoble », « Isère »)."})
    label = fields.String(
        required=True,
        metadata={"description": "Libellé affiché (« Section Grenoble », « Fédération de l'Isère »)."},
    )


class AdmissibilitySchema(ma.Schema):
    value = fields.Boolean(required=True, metadata={"description": "Recevable ou non."})
    reason = fields.String(required=True, metadata={"description": "Raison écrite du comité."})
    date = fields.DateTime(
        allow_none=True, required=True, metadata={"description": "Date, heure de Paris."}
    )


class OpinionSchema(ma.Schema):
    value = fields.String(
        required=True,
        validate=validate.OneOf([o.value for o in Opinion]),
        metadata={
            "description": "favorable, unfavorable (défavorable) ou favorable_with_rectification "
            "(favorable sous réserve d'une rectification)."
        },
    )
    label = fields.String(required=True, metadata={"description": "« Avis favorable »…"})
    reason = fields.String(required=True, metadata={"description": "Raison écrite du comité."})
    date = fields.DateTime(
        allow_none=True, required=True, metadata={"description": "Date, heure de Paris."}
    )


class DecisionSchema(ma.Schema):
    status = fields.String(
        required=True,
        validate=validate.OneOf(["adopted", "adopted_modified", "merged", "rejected"]),
        metadata={
            "description": "adopted, adopted_modified (adopté avec modification), merged (intégré "
            "dans une synthèse) ou rejected."
        },
    )
    reason = fields.String(required=True, metadata={"description": "Raison écrite du comité."})
    date = fields.DateTime(required=True, metadata={"description": "Date, heure de Paris."})
    modified_wording = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "Rédaction retenue pour une adoption avec modification."},
    )


class AmendmentSchema(ma.Schema):
    id = fields.Integer(required=True)
    number = fields.Integer(
        required=True, metadata={"description": "Numéro (n° 1, 2…) dans le texte, stable."}
    )
    text_id = fields.Integer(required=True)
    version = fields.Integer(
        required=True, metadata={"description": "Numéro de la version sur laquelle il a été écrit."}
    )
    chapter_id = fields.String(required=True, metadata={"description": "Ancre du chapitre (« II-5 »)."})
    block_id = fields.String(
        required=True,
        metadata={
            "description": "Ancre stable du bloc amendé (« II-5-12 ») ; pour une insertion, le bloc "
            "après lequel elle s'insère."
        },
    )
    kind = fields.String(
        required=True,
        validate=validate.OneOf([k.value for k in AmendmentKind]),
        metadata={"description": "modify (remplacer des mots), delete (supprimer) ou insert (insérer)."},
    )
    line_start = fields.Integer(
        required=True, metadata={"description": "Première ligne citée, dans sa version."}
    )
    line_end = fields.Integer(
        required=True, metadata={"description": "Dernière ligne citée, dans sa version."}
    )
    citation = fields.String(
        required=True,
        metadata={"description": "« À la ligne 1234, remplacer les mots « … » par les mots « … » »."},
    )
    original = fields.String(
        required=True, metadata={"description": "Les mots cités ; vide pour une insertion."}
    )
    replacement = fields.String(
        required=True, metadata={"description": "Le texte proposé ; vide pour une suppression."}
    )
    rationale = fields.String(required=True, metadata={"description": "Exposé des motifs (Markdown)."})
    author = fields.String(
        allow_none=True,
        required=True,
        metadata={
            "description": "Nom de l'adhérent auteur, « Comité de pilotage » pour une synthèse ; "
            "null pour un amendement d'une section ou d'une fédération."
        },
    )
    unit = fields.Nested(
        UnitSchema,
        allow_none=True,
        required=True,
        metadata={"description": "La section ou la fédération qui l'a adopté, sinon null."},
    )
    adopted_on = fields.Date(
        allow_none=True,
        required=True,
        metadata={"description": "Date de la réunion de la section ou fédération qui l'a adopté."},
    )
    cosignatures = fields.Integer(
        required=True, metadata={"description": "Nombre de cosignatures (les noms ne sont pas publics)."}
    )
    cluster_id = fields.Integer(
        allow_none=True,
        required=True,
        metadata={"description": "Discussion commune (amendements examinés ensemble) ; null s'il est seul."},
    )
    status = fields.String(
        required=True,
        validate=validate.OneOf([s.value for s in AmendmentStatus]),
        metadata={"description": "État de l'amendement (voir le paramètre status)."},
    )
    status_label = fields.String(required=True, metadata={"description": "« Recevable »…"})
    admissible = fields.Boolean(
        allow_none=True,
        required=True,
        metadata={"description": "Recevable (true), irrecevable (false), pas encore examiné (null)."},
    )
    admissibility = fields.Nested(AdmissibilitySchema, allow_none=True, required=True)
    opinion = fields.Nested(
        OpinionSchema, allow_none=True, required=True, metadata={"description": "Avis du comité."}
    )
    decision = fields.Nested(
        DecisionSchema,
        allow_none=True,
        required=True,
        metadata={"description": "Décision du comité ; null tant qu'elle n'est pas prise."},
    )
    is_synthesis = fields.Boolean(
        required=True, metadata={"description": "Amendement de synthèse écrit par le comité."}
    )
    to_resubmit = fields.Boolean(
        required=True,
        metadata={
            "description": "« À redéposer » : le texte a changé et le passage cité n'a pas été retrouvé "
            "dans la nouvelle version."
        },
    )
    merged_into = fields.Integer(
        allow_none=True,
        required=True,
        metadata={"description": "Numéro de la synthèse qui l'a intégré, sinon null."},
    )
    submitted = fields.DateTime(required=True, metadata={"description": "Dépôt, heure de Paris."})
    url = fields.String(required=True, metadata={"description": "Chemin de sa page sur le site."})


AmendmentPageSchema = page_schema(AmendmentSchema, "AmendmentPageSchema")


# --- versions and differences ---------------------------------------------------------------------


class VersionDetailSchema(VersionSchema):
    """One version of a text down to its blocks (the ``version`` of the text detail), and its text."""

    text = fields.Integer(required=True, metadata={"description": "Identifiant du texte."})
    created = fields.DateTime(required=True, metadata={"description": "Publication de la version, heure de Paris."})
    current = fields.Boolean(required=True, metadata={"description": "Vrai pour la version actuelle du texte."})


def _version_number_field(name: str, description: str) -> fields.Integer:
    return fields.Integer(
        required=True,
        data_key=name,
        strict=False,
        validate=validate.Range(min=1, max=MAX_PAGE, error="Un numéro de version est au moins {min}."),
        error_messages={"invalid": "Numéro de version attendu (nombre entier).", "required": "Paramètre obligatoire."},
        metadata={"description": description},
    )


class DiffQuerySchema(ma.Schema):
    old = _version_number_field("from", "Numéro de la version de départ.")
    new = _version_number_field("to", "Numéro de la version d'arrivée.")
    chapter = _anchor_field("Ancre d'un chapitre (« II-5 ») : seulement ses alinéas ; par défaut tout le texte.")


class HunkSchema(ma.Schema):
    start = fields.Integer(required=True, metadata={"description": "Début du passage dans « before » (caractères)."})
    end = fields.Integer(required=True, metadata={"description": "Fin (exclue) du passage dans « before »."})
    original = fields.String(required=True, metadata={"description": "Mots supprimés ou remplacés."})
    replacement = fields.String(required=True, metadata={"description": "Mots ajoutés à leur place."})


class DiffAmendmentSchema(ma.Schema):
    number = fields.Integer(required=True, metadata={"description": "Numéro de l'amendement dans le texte."})
    id = fields.Integer(required=True, metadata={"description": "Identifiant (voir /api/v1/amendments/<id>)."})
    version = fields.Integer(required=True, metadata={"description": "Version consolidée qui l'a appliqué."})


class DiffBlockSchema(ma.Schema):
    id = fields.String(required=True, metadata={"description": "Ancre stable de l'alinéa (« II-5-12 »)."})
    chapter = fields.String(required=True, metadata={"description": "Ancre de son chapitre (« II-5 »)."})
    change = fields.String(
        required=True,
        validate=validate.OneOf(["unchanged", "modified", "inserted", "deleted"]),
        metadata={"description": "unchanged (inchangé), modified (modifié), inserted (ajouté), deleted (supprimé)."},
    )
    before = fields.String(
        required=True, metadata={"description": "Texte dans la version de départ (vide s'il est ajouté)."}
    )
    after = fields.String(
        required=True, metadata={"description": "Texte dans la version d'arrivée (vide s'il est supprimé)."}
    )
    hunks = fields.List(
        fields.Nested(HunkSchema),
        required=True,
        metadata={"description": "Pour un alinéa modifié : les passages changés, mot à mot."},
    )
    amendments = fields.List(
        fields.Integer(),
        required=True,
        metadata={"description": "Numéros des amendements qui ont changé l'alinéa entre les deux versions."},
    )
    amendment_refs = fields.List(
        fields.Nested(DiffAmendmentSchema),
        required=True,
        metadata={"description": "Les mêmes amendements, avec leur identifiant et la version qui les a appliqués."},
    )


class DiffSummarySchema(ma.Schema):
    unchanged = fields.Integer(required=True)
    modified = fields.Integer(required=True)
    inserted = fields.Integer(required=True)
    deleted = fields.Integer(required=True)


class DiffSchema(ma.Schema):
    text = fields.Integer(required=True, metadata={"description": "Identifiant du texte."})
    from_ = fields.Integer(
        required=True, data_key="from", attribute="from", metadata={"description": "Version de départ."}
    )
    to = fields.Integer(required=True, metadata={"description": "Version d'arrivée."})
    chapter = fields.String(allow_none=True, required=True, metadata={"description": "Chapitre demandé, sinon null."})
    summary = fields.Nested(
        DiffSummarySchema, required=True, metadata={"description": "Nombre d'alinéas par sorte de changement."}
    )
    blocks = fields.List(
        fields.Nested(DiffBlockSchema),
        required=True,
        metadata={"description": "Les alinéas dans l'ordre de lecture (un alinéa supprimé à sa place d'avant)."},
    )
