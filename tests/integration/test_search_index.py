"""Full-text search on the engine under test (SQLite FTS5 by default, PostgreSQL under CI).

French: accents either way (« délinquance » / « delinquance »), plurals either way
(« propositions » / « proposition »), highlighted and escaped excerpts, filters, and the
index kept in step with the objects (update, withdrawal, new text version).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from convention.calendar.models import Event, EventKind, EventPerson, EventPersonRole
from convention.contributions.models import Channel, Contribution
from convention.domain.lifecycle import ContributionStatus
from convention.domain.textstructure import BlockKind
from convention.extensions import db
from convention.groups.models import Person
from convention.search.indexing import index_contribution, index_event, index_text, rebuild_index
from convention.search.models import SearchDocument, SearchKind
from convention.search.queries import search
from convention.texts.models import Block, Chapter, Part, Text, TextVersion
from tests.auth_fixtures import make_convention, make_federation, make_group, make_section


def _version(text: Text, number: int, paragraphs: list[str]) -> TextVersion:
    version = TextVersion(text=text, number=number, label=f"Version {number}")
    part = Part(version=version, position=0, number="I", title="Prévenir")
    db.session.add(version)
    db.session.flush()
    chapter = Chapter(
        part=part, version_id=version.id, position=0, number="1",
        title="La prévention d’abord", anchor="I-1",
    )  # fmt: skip
    for position, body in enumerate(paragraphs):
        chapter.blocks.append(
            Block(
                version_id=version.id,
                position=position,
                anchor=f"I-1-{position + 1}",
                kind=BlockKind.PARAGRAPH,
                text=body,
                line_start=position + 1,
                line_end=position + 1,
            )  # fmt: skip
        )
    db.session.add(chapter)
    db.session.flush()
    return version


def build_search_data() -> dict:
    """A convention with two groups, a text, contributions and events; index rebuilt."""
    convention = make_convention()
    group1 = make_group(convention, 1)
    group2 = make_group(convention, 2)
    federation = make_federation()
    section = make_section(federation)
    text = Text(convention=convention, slug="texte", title="Le texte")
    db.session.add(text)
    db.session.flush()
    _version(
        text,
        1,
        [
            "La prévention de la délinquance commence à l’école.",
            "Nous formulons une proposition sur la police de proximité.",
            "Un paragraphe sur les transports en commun.",
        ],
    )
    contributions = [
        Contribution(
            convention=convention, working_group_id=group1.id, channel=Channel.PLATFORM, number=1,
            title="Des propositions pour les quartiers",
            body="Nos **propositions** pour la médiation sociale et la delinquance des mineurs.",
            section=section, status=ContributionStatus.SUBMITTED,
        ),
        Contribution(
            convention=convention, working_group_id=group2.id, channel=Channel.EMAIL, number=2,
            title="Vidéoprotection", body="Contre la vidéoprotection généralisée.",
            federation=federation, status=ContributionStatus.INTEGRATED,
        ),
        Contribution(
            convention=convention, working_group_id=group2.id, channel=Channel.PLATFORM, number=3,
            title="Contribution piégée",
            body="Texte <script>alert('x')</script> sur la médiation & les <b>élus</b>.",
            author_name="Camille", status=ContributionStatus.SUBMITTED,
        ),
    ]  # fmt: skip
    db.session.add_all(contributions)
    expert = Person(full_name="Jeanne Experte", organisation="Observatoire des quartiers")
    event = Event(
        convention=convention, kind=EventKind.HEARING, title="Audition sur la médiation",
        description="Les médiateurs de nuit et la tranquillité publique.",
        starts_dt=dt.datetime(2026, 2, 10, 9, tzinfo=dt.UTC),
    )  # fmt: skip
    event.working_groups.append(group2)
    event.participants.append(EventPerson(person=expert, role=EventPersonRole.EXPERT))
    db.session.add(event)
    db.session.flush()
    rebuild_index()
    return {
        "convention": convention,
        "groups": (group1, group2),
        "text": text,
        "contributions": contributions,
        "event": event,
    }


def _kinds_and_ids(results) -> set[tuple[str, int]]:
    return {(hit.kind.value, hit.id) for hit in results.items}


def _block_id(text_fragment: str) -> int:
    return db.session.scalar(sa.select(Block.id).where(Block.text.contains(text_fragment)))


def test_rebuild_indexes_every_kind(database):
    data = build_search_data()
    counts = dict(
        db.session.execute(sa.select(SearchDocument.kind, sa.func.count()).group_by(SearchDocument.kind)).all()
    )
    assert counts == {SearchKind.TEXT: 3, SearchKind.CONTRIBUTION: 3, SearchKind.EVENT: 1}
    assert rebuild_index(data["convention"].id) == 7  # idempotent: the same rows again


def test_accents_are_ignored_both_ways(database):
    data = build_search_data()
    cid = data["convention"].id
    paragraph = _block_id("délinquance commence")
    contribution = data["contributions"][0]  # written « delinquance », without accent
    for query in ("delinquance", "délinquance", "DÉLINQUANCE"):
        found = _kinds_and_ids(search(cid, query))
        assert ("text", paragraph) in found, query
        assert ("contribution", contribution.id) in found, query


def test_plurals_find_singulars_and_back(database):
    data = build_search_data()
    cid = data["convention"].id
    singular_block = _block_id("une proposition sur la police")
    plural_contribution = data["contributions"][0]
    for query in ("propositions", "proposition"):
        found = _kinds_and_ids(search(cid, query))
        assert ("text", singular_block) in found, query
        assert ("contribution", plural_contribution.id) in found, query
    assert search(cid, "transports").total == 1
    assert search(cid, "aéroport").total == 0


def test_excerpts_are_marked_and_escaped(database):
    data = build_search_data()
    cid = data["convention"].id
    [hit] = search(cid, "delinquance", kind=SearchKind.TEXT).items
    assert "<mark>délinquance</mark>" in hit.excerpt
    [trap] = search(cid, "piégée médiation").items
    excerpt = str(trap.excerpt)
    assert "<mark>" in excerpt
    assert "<script>" not in excerpt and "<b>" not in excerpt
    assert "&lt;script&gt;" in excerpt or "script" not in excerpt  # escaped, or dropped by Markdown
    assert excerpt.count("<mark>") == excerpt.count("</mark>")


def test_filters_by_kind_and_working_group(database):
    data = build_search_data()
    cid = data["convention"].id
    group1, group2 = data["groups"]
    everything = _kinds_and_ids(search(cid, "médiation"))
    assert {kind for kind, _ in everything} == {"contribution", "event"}
    assert _kinds_and_ids(search(cid, "médiation", kind=SearchKind.EVENT)) == {("event", data["event"].id)}
    in_group2 = _kinds_and_ids(search(cid, "médiation", working_group_id=group2.id))
    assert in_group2 == {("contribution", data["contributions"][2].id), ("event", data["event"].id)}
    in_group1 = _kinds_and_ids(search(cid, "médiation", working_group_id=group1.id))
    assert in_group1 == {("contribution", data["contributions"][0].id)}


def test_expert_names_and_phrases(database):
    data = build_search_data()
    cid = data["convention"].id
    assert _kinds_and_ids(search(cid, "experte observatoire")) == {("event", data["event"].id)}
    assert search(cid, '"police de proximité"').total == 1
    assert search(cid, '"proximité de police"').total == 0
    assert search(cid, "médiation -vidéoprotection -audition").total == 2
    assert search(cid, "   ").total == 0
    assert search(cid, "de la du").total == 0  # only stop words


def test_pagination(database):
    data = build_search_data()
    cid = data["convention"].id
    first = search(cid, "médiation", per_page=2, page=1)
    second = search(cid, "médiation", per_page=2, page=2)
    assert first.total == second.total == 3
    assert len(first.items) == 2 and len(second.items) == 1
    assert not _kinds_and_ids(first) & _kinds_and_ids(second)


def test_index_follows_writes(database):
    data = build_search_data()
    cid = data["convention"].id
    contribution = data["contributions"][1]
    contribution.title = "Caméras piétons"
    contribution.body = "Des caméras piétons pour les agents."
    index_contribution(contribution)
    assert search(cid, "vidéoprotection").total == 0
    assert _kinds_and_ids(search(cid, "camera")) == {("contribution", contribution.id)}

    contribution.status = ContributionStatus.WITHDRAWN
    index_contribution(contribution)
    assert search(cid, "camera").total == 0

    event = data["event"]
    event.description = "Compte rendu : la vidéosurveillance en débat."
    index_event(event)
    assert _kinds_and_ids(search(cid, "videosurveillance")) == {("event", event.id)}

    _version(data["text"], 2, ["Une nouvelle version parle de cybercriminalité."])
    db.session.refresh(data["text"])
    assert index_text(data["text"]) == 1
    assert search(cid, "cybercriminalite").total == 1
    assert search(cid, "transports", kind=SearchKind.TEXT).total == 0  # old version gone
    db.session.commit()  # the index survives a commit (triggers ran in the transaction)
    assert search(cid, "cybercriminalité").total == 1


def test_event_minutes_are_searchable_once_published(database):
    data = build_search_data()
    cid = data["convention"].id
    event = data["event"]
    event.minutes = "Compte rendu : les correspondants de nuit."
    event.hearing_summary = "L’experte défend la médiation nocturne."
    index_event(event)
    assert search(cid, "correspondants").total == 0  # draft minutes stay out
    event.minutes_published_dt = dt.datetime(2026, 2, 11, tzinfo=dt.UTC)
    index_event(event)
    assert _kinds_and_ids(search(cid, "correspondant")) == {("event", event.id)}
    assert _kinds_and_ids(search(cid, "nocturnes")) == {("event", event.id)}
