"""The demo's amendments: a few dozen written by hand, a few hundred in all, reviewed at every stage.

Run by ``flask seed --demo`` after the demo vote. ``seed/data/amendments.toml`` holds the
amendments written as sections and members write them (« remplacer les mots … par … » on a
block named by its stable anchor); the rest is generated from them with ``random.Random``
(reproducible): identical copies filed by other sections, close variants, overlapping ones,
and the amendments « types » that sections take up (inclusive wording, an evaluation clause…).

Everything written goes through the real operations: submission (so the change, its lines,
its citation and the clusters are computed as for a member), admissibility, opinions,
rectifications, decisions, withdrawals, the synthesis, the chapters given to working groups,
the phase forced by the Bureau national. Only the co-signatures of the demo members (who have
no accounts) are written in bulk, with their counts. The members and section secretaries who
file amendments get accounts sharing the demo accounts' password.

The operations check the phase. On the demo convention its dates open the amendment phase
today, and nothing is forced. Elsewhere the Bureau national's account forces the amendment
phase first, and leaves it forced (a newcomer can amend and co-sign at once) unless another
phase was forced before, which is then put back. Idempotent: nothing is done when the text already
has amendments. Notifications written by the operations are kept (authors see the decisions)
but never e-mailed. Commits, as the demo vote does.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import re
import time
import tomllib
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from convention.amendments import operations
from convention.amendments.models import Amendment, AmendmentCosignature
from convention.amendments.operations import AmendmentData, RequestedKind
from convention.conventions.models import PHASE_LABELS
from convention.core.db import db, utcnow
from convention.domain import amendments as domain
from convention.domain.amendments import STATUS_LABELS, AmendmentKind, AmendmentStatus, Opinion
from convention.domain.errors import DomainError
from convention.domain.phases import PhaseKind
from convention.domain.roles import Role
from convention.domain.textstructure import normalize_space
from convention.groups.models import WorkingGroup
from convention.members.models import Federation, Member, RoleAssignment, Section, User
from convention.notifications.models import EmailStatus, Notification
from convention.texts.models import Block, BlockKind, Chapter
from seed.demo import EMAIL_DOMAIN, FIRST_NAMES, LAST_NAMES, MEMBER_PREFIX, ascii_slug

logger = logging.getLogger(__name__)

DATA_FILE = Path(__file__).resolve().parent / "data" / "amendments.toml"
DEFAULT_COUNT = 300
COMMITTEE_EMAIL = f"demo.comite@{EMAIL_DOMAIN}"
PILOT_EMAIL = f"demo.pilote@{EMAIL_DOMAIN}"
BUREAU_EMAIL = f"demo.bn@{EMAIL_DOMAIN}"
MILITANT_EMAIL = f"demo.militant@{EMAIL_DOMAIN}"
SECTION_EMAIL = f"demo.section@{EMAIL_DOMAIN}"
FEDERATION_EMAIL = f"demo.federation@{EMAIL_DOMAIN}"
DEMO_SECTION = ("38", "Grenoble")  # demo.section is its secretary
DEMO_FEDERATION = "38"  # demo.federation is its first secretary
MEMBER_AUTHORS = 24  # demo members who file amendments in their own name
MILITANT_COSIGNS = 3  # amendments the demo militant has already co-signed (others remain)
AMENDABLE = frozenset({BlockKind.PARAGRAPH, BlockKind.PROPOSAL, BlockKind.LIST_ITEM})
CLOSING = frozenset(",.;:)]…")

# Every stage an amendment can be left at (see the data file's header).
FATES = (
    "submitted", "admissible", "favorable", "unfavorable", "rectification-proposed",
    "rectification-accepted", "rectification-refused", "adopted", "adopted-modified",
    "rejected", "maintained", "inadmissible", "withdrawn", "synthesis",
)  # fmt: skip
# Stages drawn for the generated amendments (weights), copies of a decided one aside.
RANDOM_FATES = {
    "submitted": 36, "admissible": 8, "favorable": 7, "unfavorable": 5,
    "rectification-proposed": 2, "rectification-accepted": 2, "rectification-refused": 2,
    "adopted": 9, "adopted-modified": 3, "rejected": 8, "maintained": 3, "inadmissible": 8,
    "withdrawn": 6,
}  # fmt: skip
NEEDS_ADMISSIBLE = frozenset(FATES) - {"submitted", "inadmissible", "withdrawn"}

REASONS = {
    "admissible": (
        "Amendement recevable : il porte sur le texte soumis et entre dans le champ de la convention.",
        "Recevable : adopté par une instance du Parti ou soutenu par le nombre requis de cosignataires.",
    ),
    "inadmissible": (
        "Hors du champ de la convention : la question relève du futur chantier sur la justice des mineurs.",
        "Irrecevable : l'amendement ne modifie pas le texte mais commente une proposition.",
    ),
    "favorable": (
        "Le comité partage l'objectif : la rédaction proposée précise le texte sans en changer l'équilibre.",
        "Avis favorable : l'amendement rejoint les conclusions du groupe de travail.",
        "Avis favorable : c'est une amélioration de rédaction bienvenue.",
    ),
    "unfavorable": (
        "Avis défavorable : la rédaction actuelle est le fruit d'un compromis large au sein du groupe de travail.",
        "Avis défavorable : l'amendement affaiblirait la cohérence de la partie.",
        "Le comité ne peut pas retenir cet amendement, contraire à une autre proposition du texte.",
    ),
    "rectification": (
        "Favorable sous réserve d'une rédaction plus resserrée, que le comité propose.",
        "Le comité est favorable à l'intention et propose une rédaction qui s'insère mieux dans la phrase.",
    ),
    "adopted": (
        "Adopté : l'amendement clarifie le texte.",
        "Adopté par le comité de pilotage, conformément à son avis.",
        "Adopté : l'amendement rejoint l'esprit du chapitre.",
    ),
    "adopted-modified": (
        "Adopté dans la rédaction proposée par le comité, plus sobre.",
        "Adopté avec une modification de forme.",
    ),
    "rejected": (
        "Rejeté : le comité maintient la rédaction issue des groupes de travail.",
        "Rejeté, conformément à l'avis défavorable du comité.",
        "Rejeté : la proposition est déjà satisfaite ailleurs dans le texte.",
    ),
    "maintained": (
        "Nous maintenons cet amendement pour qu'il soit débattu et voté à la journée de la convention.",
        "La section souhaite que la convention tranche ce point en séance.",
    ),
    "withdrawn": (
        "Retiré : la rédaction du comité nous donne satisfaction.",
        "Retiré au profit d'un amendement identique déposé par une autre section.",
        "",
    ),
}


# --- what the data file describes --------------------------------------------------------------


@dataclass(frozen=True)
class Author:
    """Who files it: « militant », « member » (a demo member), « section » or « federation »."""

    kind: str
    unit: str = ""  # "59/Lille" for a section, "38" for a federation
    adopted_on: dt.date | None = None


@dataclass(frozen=True)
class Spec:
    """One amendment to file: a block, the words to change (or a whole-block kind), an author."""

    key: str
    block: str
    requested: str  # RequestedKind.EDIT / DELETE / INSERT
    rationale: str
    author: Author
    fate: str
    find: str = ""
    replace: str = ""
    text: str = ""  # an insertion
    rectification: str = ""  # the committee's rewrite of the same words (or the inserted text)
    modified: str = ""  # the wording adopted « avec modification »
    reason: str = ""  # the decisive step's reason, when the data gives it
    origin: str = "hand"  # hand, copy, variant, overlap, template
    base: str = ""  # the hand-written amendment it comes from


@dataclass
class DemoAmendmentsReport:
    created: int = 0
    hand_written: int = 0
    existing: int = 0
    clusters: int = 0
    cosignatures: int = 0
    syntheses: int = 0
    conflicts: int = 0
    chapters_assigned: int = 0
    accounts_created: int = 0
    statuses: Counter = field(default_factory=Counter)
    phase_line: str = ""
    skipped: str = ""
    ignored: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        if self.skipped:
            return [f"Amendements de démonstration ignorés : {self.skipped}"]
        if not self.created:
            return [f"Amendements de démonstration déjà présents ({self.existing} pour ce texte) : rien n'a changé."]
        steps = ", ".join(
            f"{STATUS_LABELS[status].lower()} {self.statuses[status]}"
            for status in AmendmentStatus
            if self.statuses[status]
        )
        out = [
            f"Amendements de démonstration : {self.created} déposés ({self.hand_written} écrits à la "
            f"main, {self.created - self.hand_written} générés), {self.clusters} discussions communes, "
            f"{self.cosignatures} cosignatures, {self.syntheses} amendement(s) de synthèse, "
            f"{self.conflicts} conflit(s) entre amendements adoptés, en {self.seconds:.1f} s.",
            f"Étapes : {steps}.",
            f"{self.chapters_assigned} chapitres confiés aux groupes de travail ; "
            f"{self.accounts_created} comptes d'auteurs créés (adhérents et secrétaires de section, "
            "mot de passe des comptes de démonstration).",
        ]
        if self.phase_line:
            out.append(self.phase_line)
        out.extend(f"Ignoré : {reason}" for reason in self.ignored)
        return out


def _author(entry: dict) -> Author:
    if "section" in entry:
        return Author("section", entry["section"], entry.get("adopted_on"))
    if "federation" in entry:
        return Author("federation", str(entry["federation"]), entry.get("adopted_on"))
    if entry.get("member") == "militant":
        return Author("militant")
    return Author("member")


def _requested(entry: dict) -> str:
    kind = entry.get("kind", "edit")
    return {"edit": RequestedKind.EDIT, "delete": RequestedKind.DELETE, "insert": RequestedKind.INSERT}[kind]


def _clean(text: str) -> str:
    return " ".join((text or "").split())


def load_data(path: Path = DATA_FILE) -> dict:
    """The data file, its hand-written amendments as ``Spec``."""
    with path.open("rb") as handle:
        raw = tomllib.load(handle)
    specs = []
    for entry in raw.get("amendment", []):
        fate = entry.get("fate", "submitted")
        if fate not in FATES:
            raise ValueError(f"{path.name}: amendement « {entry.get('key')} » : étape inconnue « {fate} »")
        specs.append(
            Spec(
                key=entry["key"],
                block=entry["block"],
                requested=_requested(entry),
                rationale=entry["rationale"].strip(),
                author=_author(entry),
                fate=fate,
                find=_clean(entry.get("find", "")),
                replace=_clean(entry.get("replace", "")),
                text=_clean(entry.get("text", "")),
                rectification=_clean(entry.get("rectification", "")),
                modified=_clean(entry.get("modified", "")),
                reason=entry.get("reason", "").strip(),
                base=entry["key"],
            )
        )
    raw["specs"] = specs
    raw["by_key"] = {entry["key"]: entry for entry in raw.get("amendment", [])}
    return raw


# --- the edited paragraph, from « find these words, replace by these » ---------------------------


def _locate(text: str, words: str) -> tuple[int, int] | None:
    """Where ``words`` stand in ``text`` as whole words (offsets in the normalized text)."""
    match = re.search(rf"(?<!\w){re.escape(words)}(?!\w)", text)
    return (match.start(), match.end()) if match else None


def edited_paragraph(block_text: str, find: str, replacement: str) -> str | None:
    """The block's text with the words ``find`` replaced (None if they are not in the block)."""
    text = normalize_space(block_text)
    where = _locate(text, find)
    if where is None:
        return None
    start, end = where
    before, after = text[:start], text[end:]
    if not replacement and after[:1] in CLOSING:
        before = before.rstrip()  # « a X, b » without X is « a, b »
    return normalize_space(before + replacement + after)


def data_for(spec: Spec, block: Block) -> AmendmentData | None:
    """What a member would type on the chapter page for ``spec`` (None: the words are gone)."""
    data = AmendmentData(requested=spec.requested, rationale=spec.rationale)
    if spec.requested == RequestedKind.EDIT:
        edited = edited_paragraph(block.text, spec.find, spec.replace)
        if edited is None:
            return None
        data.edited = edited
    elif spec.requested == RequestedKind.INSERT:
        data.edited = spec.text
    return data


def same_span_wording(block_text: str, amendment: Amendment, find: str, wording: str) -> str:
    """The new words, for the amendment's own span, that turn ``find`` into ``wording``.

    A rectification or a modified adoption rewrites the words the amendment changes, not the
    whole passage quoted in the data: the text edited that way must keep what lies outside the
    amendment's span; otherwise "" (the rewrite cannot be expressed on that span).
    """
    if amendment.kind == AmendmentKind.INSERT:
        return wording
    if amendment.is_whole_block or not wording:
        return ""
    text = normalize_space(block_text)
    edited = edited_paragraph(text, find, wording)
    if edited is None:
        return ""
    before, after = text[: amendment.span_start], text[amendment.span_end :]
    middle_end = len(edited) - len(after)
    if middle_end < len(before) or not (edited.startswith(before) and edited.endswith(after)):
        return ""
    words = edited[len(before) : middle_end].strip()
    if not words or normalize_space(words) == normalize_space(amendment.replacement):
        return ""
    return words


# --- generating the rest -----------------------------------------------------------------------------


def _random_fate(rng: random.Random) -> str:
    fates, weights = zip(*RANDOM_FATES.items(), strict=True)
    return rng.choices(fates, weights=weights)[0]


def _copy_fate(base_fate: str, rng: random.Random) -> str:
    """What becomes of an identical copy: decided like its model, or declared a duplicate."""
    if base_fate == "synthesis":
        return "synthesis"
    if base_fate in ("adopted", "adopted-modified", "inadmissible"):
        return "inadmissible"
    if base_fate in ("rejected", "maintained"):
        return rng.choice(("rejected", "rejected", "maintained", "withdrawn"))
    if base_fate.startswith("rectification"):
        return rng.choice(("favorable", "admissible", "submitted"))
    if base_fate in ("favorable", "unfavorable"):
        return rng.choice((base_fate, "admissible", "submitted"))
    return rng.choice(("submitted", "submitted", "admissible", base_fate))


def _unit_author(rng: random.Random, sections: list[str], meetings: list[dt.date], avoid: str = "") -> Author:
    choices = [s for s in sections if s != avoid] or sections
    return Author("section", rng.choice(choices), rng.choice(meetings))


def _other_author(rng: random.Random, sections: list[str], meetings: list[dt.date], avoid: str = "") -> Author:
    """A section (mostly) or a demo member, other than ``avoid``."""
    if rng.random() < 0.75:
        return _unit_author(rng, sections, meetings, avoid)
    return Author("member")


def generate_specs(data: dict, blocks: dict[str, Block], count: int, rng: random.Random) -> list[Spec]:
    """The hand-written amendments, then copies, variants and overlaps, then templates up to ``count``."""
    generator = data.get("generator", {})
    sections: list[str] = generator.get("sections", [])
    meetings: list[dt.date] = generator.get("meetings", [dt.date(2025, 1, 21)])
    hand: list[Spec] = data["specs"]
    derived: list[Spec] = []
    for spec in hand:
        if spec.author.kind == "militant":
            continue  # the demo militant's own amendments stay theirs alone
        entry = data["by_key"][spec.key]
        copies = rng.choice((0, 1, 1, 2, 2, 3, 4)) + (2 if spec.fate == "synthesis" else 0)
        for number in range(copies):
            derived.append(
                replace(
                    spec,
                    key=f"{spec.key}~copie{number + 1}",
                    author=_other_author(rng, sections, meetings, spec.author.unit),
                    fate=_copy_fate(spec.fate, rng),
                    origin="copy",
                    reason="",
                )
            )
        for number, wording in enumerate(entry.get("variants", [])):
            if rng.random() < 0.2 and spec.fate != "synthesis":
                continue
            derived.append(
                replace(
                    spec,
                    key=f"{spec.key}~variante{number + 1}",
                    author=_other_author(rng, sections, meetings, spec.author.unit),
                    replace=_clean(wording) if spec.requested == RequestedKind.EDIT else "",
                    text=_clean(wording) if spec.requested == RequestedKind.INSERT else "",
                    fate="synthesis" if spec.fate == "synthesis" else _random_fate(rng),
                    rectification="",
                    modified="",
                    origin="variant",
                    reason="",
                )
            )
        for number, overlap in enumerate(entry.get("overlaps", [])):
            derived.append(
                replace(
                    spec,
                    key=f"{spec.key}~chevauchement{number + 1}",
                    author=_other_author(rng, sections, meetings, spec.author.unit),
                    find=_clean(overlap["find"]),
                    replace=_clean(overlap["replace"]),
                    rationale=overlap.get("rationale", spec.rationale).strip(),
                    fate="synthesis" if spec.fate == "synthesis" else _random_fate(rng),
                    rectification="",
                    modified="",
                    origin="overlap",
                    reason="",
                )
            )
    specs = hand + derived
    specs.extend(_templates(data, blocks, max(0, count - len(specs)), rng, sections, meetings))
    return specs


def _templates(
    data: dict, blocks: dict[str, Block], wanted: int, rng: random.Random,
    sections: list[str], meetings: list[dt.date],
) -> list[Spec]:  # fmt: skip
    """The amendments « types » taken up by sections, on the blocks they fit (repeats: copies)."""
    targets: list[tuple[dict, Block]] = []
    for template in data.get("template", []):
        for block in blocks.values():
            if block.kind not in AMENDABLE or block.anchor.startswith("p1-c2"):
                continue  # the steering committee's membership is not amended
            if template.get("kind") == "insert":
                if block.kind == BlockKind.PROPOSAL:
                    targets.append((template, block))
            elif _locate(normalize_space(block.text), template["find"]) is not None:
                targets.append((template, block))
    out: list[Spec] = []
    chosen: list[tuple[dict, Block]] = []
    for number in range(wanted if targets else 0):
        if chosen and rng.random() < 0.3:
            template, block = rng.choice(chosen)  # another section takes up the same one
        else:
            template, block = rng.choice(targets)
            chosen.append((template, block))
        insert = template.get("kind") == "insert"
        out.append(
            Spec(
                key=f"type{number + 1}",
                block=block.anchor,
                requested=RequestedKind.INSERT if insert else RequestedKind.EDIT,
                rationale=template["rationale"].strip(),
                author=_other_author(rng, sections, meetings),
                fate=_random_fate(rng),
                find="" if insert else _clean(template["find"]),
                replace="" if insert else _clean(template["replace"]),
                text=_clean(template.get("text", "")),
                rectification=_clean(template.get("rectification", "")),
                modified=_clean(template.get("modified", "")),
                origin="template",
            )
        )
    return out


# --- accounts of the authors --------------------------------------------------------------------------


def demo_account(email: str) -> User | None:
    """A demo account by its e-mail (with its roles), or None."""
    return db.session.scalar(sa.select(User).where(User.email == email).options(selectinload(User.roles)))


class Authors:
    """The accounts that file the amendments: demo accounts, demo members, section secretaries."""

    def __init__(self, rng: random.Random, today: dt.date, password_hash: str, report: DemoAmendmentsReport):
        self.rng = rng
        self.today = today
        self.password_hash = password_hash
        self.report = report
        self.users: dict[str, User] = {}
        self.member_pool = list(
            db.session.scalars(
                sa.select(Member)
                .where(Member.membership_number.like(f"{MEMBER_PREFIX}%"), Member.dues_paid_until >= today)
                .order_by(Member.id)
            )
        )
        self.member_authors = rng.sample(self.member_pool, min(MEMBER_AUTHORS, len(self.member_pool)))

    def demo(self, email: str) -> User | None:
        if email not in self.users:
            self.users[email] = demo_account(email)
        return self.users[email]

    def _account(self, email: str, display_name: str, member: Member | None) -> User:
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None and member is not None:
            user = db.session.scalar(sa.select(User).where(User.member_id == member.id))
        if user is None:
            user = User(
                email=email,
                display_name=display_name,
                password_hash=self.password_hash,
                member=member,
                activated_dt=utcnow(),
            )
            db.session.add(user)
            db.session.flush()
            self.report.accounts_created += 1
        return user

    def for_spec(self, spec: Spec) -> tuple[User | None, Section | Federation | None]:
        """The account that files ``spec`` and the unit it speaks for."""
        kind = spec.author.kind
        if kind == "militant":
            return self.demo(MILITANT_EMAIL), None
        if kind == "member":
            if not self.member_authors:
                return None, None
            member = self.rng.choice(self.member_authors)
            key = f"member:{member.id}"
            if key not in self.users:
                self.users[key] = self._account(member.email, f"{member.first_name} {member.last_name}", member)
            return self.users[key], None
        if kind == "federation":
            federation = db.session.scalar(sa.select(Federation).where(Federation.code == spec.author.unit))
            if federation is None:
                return None, None
            if spec.author.unit == DEMO_FEDERATION:
                return self.demo(FEDERATION_EMAIL), federation
            return self._secretary(f"federation:{federation.code}", federation, Role.FEDERATION_SECRETARY), federation
        code, _, name = spec.author.unit.partition("/")
        section = db.session.scalar(
            sa.select(Section).join(Section.federation).where(Federation.code == code, Section.name == name)
        )
        if section is None:
            return None, None
        if (code, name) == DEMO_SECTION:
            return self.demo(SECTION_EMAIL), section
        return self._secretary(f"section:{section.id}", section, Role.SECTION_SECRETARY), section

    def _secretary(self, key: str, unit: Section | Federation, role: Role) -> User:
        if key in self.users:
            return self.users[key]
        if isinstance(unit, Section):
            code = unit.federation.code
            email = f"secretariat.{code.lower()}.{ascii_slug(unit.name)}@{EMAIL_DOMAIN}"
            scope = {"section_id": unit.id}
        else:
            email = f"secretariat.federation.{unit.code.lower()}@{EMAIL_DOMAIN}"
            scope = {"federation_id": unit.id}
        name = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"
        user = self._account(email, name, None)
        held = db.session.scalar(
            sa.select(RoleAssignment.id).where(
                RoleAssignment.user_id == user.id,
                RoleAssignment.role == role,
                *(getattr(RoleAssignment, k) == v for k, v in scope.items()),
            )
        )
        if held is None:
            db.session.add(RoleAssignment(user_id=user.id, role=role, **scope))
            db.session.flush()
            db.session.refresh(user, ["roles"])
        self.users[key] = user
        return user


# --- the committee's steps -----------------------------------------------------------------------------


@dataclass
class Filed:
    spec: Spec
    amendment: Amendment
    author: User
    block: Block


class Review:
    """Walks each filed amendment to the stage its spec asks for, through the operations."""

    def __init__(self, rng: random.Random, today: dt.date, committee: User, pilot: User | None,
                 pilot_chapters: set[str]):  # fmt: skip
        self.rng = rng
        self.today = today
        self.committee = committee
        self.pilot = pilot
        self.pilot_chapters = pilot_chapters
        self.adopted: list[domain.Anchor] = []
        self.synthesis_candidates: list[Filed] = []

    def reviewer(self, amendment: Amendment) -> User:
        if self.pilot is not None and amendment.chapter_anchor in self.pilot_chapters:
            return self.pilot  # the pilots of group 1 review the chapters given to it
        return self.committee

    def reason(self, step: str, filed: Filed | None = None, decisive: bool = False) -> str:
        if decisive and filed is not None and filed.spec.reason:
            return filed.spec.reason
        return self.rng.choice([r for r in REASONS[step] if r] or [""])

    def apply(self, filed: Filed, fate: str, first: dict[tuple, Amendment]) -> None:
        amendment, spec = filed.amendment, filed.spec
        reviewer = self.reviewer(amendment)
        today = self.today
        if fate == "submitted":
            return
        if fate == "inadmissible":
            operations.declare_admissibility(reviewer, amendment, False, self._inadmissible(filed, first), today=today)
            return
        if fate == "withdrawn":
            if self.rng.random() < 0.4 and amendment.has_enough_cosignatures(
                amendment.convention.amendment_cosignatures_required
            ):
                operations.declare_admissibility(reviewer, amendment, True, self.reason("admissible"), today=today)
            operations.withdraw_amendment(filed.author, amendment, self.reason("withdrawn", filed, True))
            return
        operations.declare_admissibility(reviewer, amendment, True, self.reason("admissible"), today=today)
        if fate == "synthesis":
            self.synthesis_candidates.append(filed)
            return
        if fate in ("favorable", "unfavorable"):
            opinion = Opinion.FAVORABLE if fate == "favorable" else Opinion.UNFAVORABLE
            operations.give_opinion(reviewer, amendment, opinion, self.reason(fate, filed, True), today=today)
            return
        if fate.startswith("rectification"):
            wording = same_span_wording(filed.block.text, amendment, spec.find, spec.rectification)
            if not wording:
                operations.give_opinion(reviewer, amendment, Opinion.FAVORABLE, self.reason("favorable"), today=today)
                return
            operations.give_opinion(
                reviewer, amendment, Opinion.FAVORABLE_WITH_RECTIFICATION, self.reason("rectification"),
                wording, today=today,
            )  # fmt: skip
            if fate != "rectification-proposed":
                operations.answer_rectification(filed.author, amendment, accept=fate == "rectification-accepted")
            return
        if fate in ("adopted", "adopted-modified"):
            anchor = domain.anchor_of(amendment.id, amendment.block_anchor, _change_of(amendment))
            if spec.origin != "hand" and any(domain.overlaps(anchor, other) for other in self.adopted):
                fate = "rejected"  # one conflict is shown on purpose (hand-written); no more by chance
            else:
                self.adopted.append(anchor)
        if fate in ("adopted", "adopted-modified"):
            if self.rng.random() < 0.6:
                operations.give_opinion(reviewer, amendment, Opinion.FAVORABLE, self.reason("favorable"), today=today)
            wording = ""
            if fate == "adopted-modified":
                wording = same_span_wording(filed.block.text, amendment, spec.find, spec.modified)
            if wording:
                operations.decide_amendment(
                    reviewer, amendment, AmendmentStatus.ADOPTED_MODIFIED, self.reason("adopted-modified", filed, True),
                    wording, today=today,
                )  # fmt: skip
            else:
                operations.decide_amendment(
                    reviewer, amendment, AmendmentStatus.ADOPTED, self.reason("adopted", filed, True), today=today
                )
            return
        # rejected, maintained
        if self.rng.random() < 0.6:
            operations.give_opinion(reviewer, amendment, Opinion.UNFAVORABLE, self.reason("unfavorable"), today=today)
        operations.decide_amendment(
            reviewer, amendment, AmendmentStatus.REJECTED, self.reason("rejected", filed, True), today=today
        )
        if fate == "maintained":
            operations.maintain_amendment(filed.author, amendment, self.reason("maintained"))

    def _inadmissible(self, filed: Filed, first: dict[tuple, Amendment]) -> str:
        amendment = filed.amendment
        if filed.spec.reason:
            return filed.spec.reason
        required = amendment.convention.amendment_cosignatures_required
        if not amendment.has_enough_cosignatures(required):
            return (
                f"N'a réuni que {amendment.cosignature_count} cosignature(s) sur les {required} "
                "requises, et n'a pas été adopté par une section ou une fédération."
            )
        original = first.get(_identity(amendment))
        if original is not None and original.id != amendment.id:
            return f"Identique à l'amendement n° {original.number}, examiné en discussion commune."
        return self.reason("inadmissible")


def _change_of(amendment: Amendment) -> domain.Change:
    return domain.Change(
        kind=amendment.kind, start=amendment.span_start, end=amendment.span_end,
        original=amendment.original, replacement=amendment.replacement,
        prefix=amendment.prefix, suffix=amendment.suffix, whole_block=amendment.is_whole_block,
    )  # fmt: skip


def _identity(amendment: Amendment) -> tuple:
    return (
        amendment.block_anchor,
        amendment.kind,
        domain.normalized_key(amendment.original),
        domain.normalized_key(amendment.replacement),
    )


# --- the whole demo ------------------------------------------------------------------------------------


def _force_phase(bureau: User, convention, report: DemoAmendmentsReport, today: dt.date) -> PhaseKind | None:
    """Force the amendment phase unless its dates open it today; return the override to leave at the end
    (AMENDMENTS: keep it forced; None: nothing was forced)."""
    from convention.conventions.operations import set_phase_override

    before = convention.phase_override
    if before is None and convention.current_phase_kind(today) == PhaseKind.AMENDMENTS:
        phase = convention.phase(PhaseKind.AMENDMENTS)
        closing = f" jusqu'au {phase.ends_on:%d/%m/%Y}" if phase.ends_on else ""
        report.phase_line = (
            f"Phase « {PHASE_LABELS[PhaseKind.AMENDMENTS]} » ouverte par ses dates{closing} : "
            "dépôt, cosignature et examen ouverts."
        )
        return None
    set_phase_override(bureau, convention, PhaseKind.AMENDMENTS)
    if before in (None, PhaseKind.AMENDMENTS):
        phase = convention.phase(PhaseKind.AMENDMENTS)
        dates = ""
        if phase is not None and phase.starts_on is not None:
            dates = f" ; dates prévues : du {phase.starts_on:%d/%m/%Y}"
            dates += f" au {phase.ends_on:%d/%m/%Y}" if phase.ends_on else ""
        report.phase_line = (
            f"Phase forcée : {PHASE_LABELS[PhaseKind.AMENDMENTS]} (dépôt, cosignature et examen ouverts "
            f"dès maintenant{dates} ; le Bureau national peut revenir aux dates dans l'administration)."
        )
        return PhaseKind.AMENDMENTS
    report.phase_line = (
        f"Phase forcée rétablie : {PHASE_LABELS[before]} (les amendements ont été déposés "
        f"pendant une phase {PHASE_LABELS[PhaseKind.AMENDMENTS].lower()} forcée le temps de la démonstration)."
    )
    return before


def _assign_chapters(committee: User, convention, groups_data: dict, chapters: set[str]) -> tuple[int, set[str]]:
    """Give the chapters listed in the data to their working groups; the group 1 chapters."""
    groups = {g.number: g for g in db.session.scalars(sa.select(WorkingGroup).where(
        WorkingGroup.convention_id == convention.id))}  # fmt: skip
    assigned, first_group = 0, set()
    for number, anchors in sorted(groups_data.items(), key=lambda item: int(item[0])):
        group = groups.get(int(number))
        if group is None:
            continue
        for anchor in anchors:
            if anchor not in chapters:
                continue
            operations.assign_chapter(committee, convention, anchor, group)
            assigned += 1
            if group.number == 1:
                first_group.add(anchor)
    return assigned, first_group


def _cosign(filed: list[Filed], rng: random.Random, pool: list[int], today: dt.date, militant: User | None) -> int:
    """Co-signatures of demo members, in bulk, as many as each amendment's stage needs."""
    now = utcnow()
    rows = []
    for item in filed:
        amendment, fate = item.amendment, item.spec.fate
        unit = amendment.is_unit_amendment
        if fate in NEEDS_ADMISSIBLE and not unit:
            wanted = rng.randint(5, 14)
        elif fate == "inadmissible" and not unit:
            wanted = rng.randint(0, 3)
        elif fate == "submitted" and not unit:
            wanted = rng.choice((0, 1, 2, 3, 4, 5, 6, 8, 11))
        else:
            wanted = rng.choice((0, 0, 1, 2, 3, 5, 7))
        candidates = [m for m in pool if m != amendment.author_member_id]
        chosen = rng.sample(candidates, min(wanted, len(candidates)))
        rows.extend({"amendment_id": amendment.id, "member_id": m, "created_dt": now} for m in chosen)
        amendment.cosignature_count = len(chosen)
    if rows:
        db.session.execute(sa.insert(AmendmentCosignature), rows)
    db.session.flush()
    total = len(rows)
    # The demo militant has co-signed a few amendments still open (and not others: « Cosigner » shows).
    if militant is not None:
        open_ones = [
            f.amendment for f in filed if f.spec.fate == "submitted" and f.amendment.can_cosign(militant, today)
        ]
        for amendment in rng.sample(open_ones, min(MILITANT_COSIGNS, len(open_ones))):
            operations.cosign_amendment(militant, amendment, today=today)
            total += 1
    return total


def _feasible(spec: Spec, pool_size: int) -> Spec:
    """A member's amendment cannot pass admissibility without enough co-signers in the demo."""
    if spec.fate in NEEDS_ADMISSIBLE and spec.author.kind in ("member", "militant") and pool_size < 6:
        return replace(spec, fate="submitted")
    return spec


def seed_demo_amendments(
    convention, count: int = DEFAULT_COUNT, seed_value: int = 2025, today: dt.date | None = None
) -> DemoAmendmentsReport:
    """File and review the demo amendments once (idempotent, reproducible); commits."""
    from convention.texts import queries as text_queries

    started = time.perf_counter()
    today = today or dt.date.today()
    report = DemoAmendmentsReport()
    text = text_queries.get_main_text(convention.id)
    if text is None or text.current_version is None:
        report.skipped = "la convention n'a pas de texte (lancez d'abord « flask seed »)."
        return report
    report.existing = db.session.scalar(
        sa.select(sa.func.count()).select_from(Amendment).where(Amendment.text_id == text.id)
    )
    if report.existing:
        return report
    bureau, committee, militant = (demo_account(e) for e in (BUREAU_EMAIL, COMMITTEE_EMAIL, MILITANT_EMAIL))
    if bureau is None or committee is None or militant is None or militant.password_hash is None:
        report.skipped = "les comptes de démonstration manquent (lancez « flask seed --demo »)."
        return report
    if convention.phase(PhaseKind.AMENDMENTS) is None:
        report.skipped = "la convention n'a pas de phase des amendements."
        return report
    # Authors' accounts share the demo accounts' password.
    authors = Authors(random.Random(seed_value), today, militant.password_hash, report)
    rng = random.Random(seed_value)
    last_notification = db.session.scalar(sa.select(sa.func.max(Notification.id))) or 0

    version = text.current_version
    blocks = {
        b.anchor: b
        for b in db.session.scalars(
            sa.select(Block)
            .where(Block.version_id == version.id)
            .options(selectinload(Block.chapter))
            .order_by(Block.id)
        )
    }
    chapters = {c.anchor for c in db.session.scalars(sa.select(Chapter).where(Chapter.version_id == version.id))}
    data = load_data()
    restore = _force_phase(bureau, convention, report, today)
    report.chapters_assigned, pilot_chapters = _assign_chapters(
        committee, convention, data.get("generator", {}).get("groups", {}), chapters
    )

    specs = generate_specs(data, blocks, count, rng)
    hand, rest = [s for s in specs if s.origin == "hand"], [s for s in specs if s.origin != "hand"]
    rng.shuffle(rest)
    # Filed in a realistic order: the hand-written ones spread among the others.
    order = rest[:]
    for spec in hand:
        order.insert(rng.randint(0, len(order)), spec)
    pool = [m.id for m in authors.member_pool]
    filed: list[Filed] = []
    for spec in order:
        spec = _feasible(spec, len(pool))
        block = blocks.get(spec.block)
        if block is None:
            report.ignored.append(f"bloc {spec.block} introuvable (amendement « {spec.key} »).")
            continue
        data_typed = data_for(spec, block)
        if data_typed is None:
            report.ignored.append(f"les mots « {spec.find} » ne sont plus dans le bloc {spec.block} (« {spec.key} »).")
            continue
        author, unit = authors.for_spec(spec)
        if author is None:
            report.ignored.append(f"pas d'auteur pour « {spec.key} » ({spec.author.kind} {spec.author.unit}).")
            continue
        data_typed.unit = unit
        if unit is not None:
            data_typed.adopted_on = min(spec.author.adopted_on or today, today)
        try:
            amendment = operations.submit_amendment(author, convention, version, block, data_typed, today=today)
        except DomainError as error:
            report.ignored.append(f"« {spec.key} » refusé : {error}")
            continue
        filed.append(Filed(spec, amendment, author, block))
    report.created = len(filed)
    report.hand_written = sum(1 for f in filed if f.spec.origin == "hand")
    report.cosignatures = _cosign(filed, rng, pool, today, militant)

    pilot = demo_account(PILOT_EMAIL)
    review = Review(rng, today, committee, pilot, pilot_chapters)
    first: dict[tuple, Amendment] = {}
    for item in sorted(filed, key=lambda f: f.amendment.number):
        first.setdefault(_identity(item.amendment), item.amendment)
    # The hand-written stories first (their conflict is the one shown), then the others.
    for item in sorted(filed, key=lambda f: (f.spec.origin != "hand", f.amendment.number)):
        try:
            review.apply(item, item.spec.fate, first)
        except DomainError as error:
            report.ignored.append(f"« {item.spec.key} » (n° {item.amendment.number}) : {error}")
    report.syntheses = _syntheses(data, review, blocks, version, committee, today, report)

    if restore not in (None, PhaseKind.AMENDMENTS):
        from convention.conventions.operations import set_phase_override

        set_phase_override(bureau, convention, restore)
    _never_mail(last_notification)
    db.session.flush()
    _count(report, text.id)
    db.session.commit()
    report.seconds = time.perf_counter() - started
    logger.info("demo amendments: %d filed in %.1f s", report.created, report.seconds)
    return report


def _syntheses(data, review: Review, blocks, version, committee: User, today: dt.date,
               report: DemoAmendmentsReport) -> int:  # fmt: skip
    """The committee's amendment(s) de synthèse over the amendments marked « synthesis »."""
    made = 0
    for entry in data.get("synthesis", []):
        block = blocks.get(entry["block"])
        merged = [f.amendment for f in review.synthesis_candidates if f.amendment.block_anchor == entry["block"]]
        if block is None or not merged:
            continue
        edited = edited_paragraph(block.text, _clean(entry["find"]), _clean(entry["replace"]))
        if edited is None:
            report.ignored.append(f"synthèse sur {entry['block']} : les mots « {entry['find']} » n'y sont plus.")
            continue
        data_typed = AmendmentData(requested=RequestedKind.EDIT, edited=edited, rationale=entry["rationale"].strip())
        reviewer = review.reviewer(merged[0])
        try:
            synthesis = operations.create_synthesis(reviewer, version, block, merged, data_typed, today=today)
        except DomainError as error:
            report.ignored.append(f"synthèse sur {entry['block']} : {error}")
            continue
        operations.give_opinion(
            reviewer, synthesis, Opinion.FAVORABLE,
            "Le comité de pilotage propose cette rédaction commune à la convention.", today=today,
        )  # fmt: skip
        made += 1
    return made


def _never_mail(after_id: int) -> None:
    """The notifications the demo wrote stay in the accounts' lists but are never e-mailed."""
    db.session.execute(
        sa.update(Notification)
        .where(Notification.id > after_id, Notification.email_status == EmailStatus.PENDING)
        .values(email_status=EmailStatus.SKIPPED)
    )


def _count(report: DemoAmendmentsReport, text_id: int) -> None:
    rows = db.session.execute(
        sa.select(Amendment.status, sa.func.count()).where(Amendment.text_id == text_id).group_by(Amendment.status)
    ).all()
    report.statuses = Counter({AmendmentStatus(status): n for status, n in rows})
    report.clusters = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Amendment.cluster_id))).where(
            Amendment.text_id == text_id, Amendment.cluster_id.is_not(None)
        )
    )
    adopted = db.session.scalars(
        sa.select(Amendment).where(Amendment.text_id == text_id, Amendment.status.in_(domain.ADOPTED_STATUSES))
    ).all()
    report.conflicts = len(domain.conflicts([a.anchor() for a in adopted]))
