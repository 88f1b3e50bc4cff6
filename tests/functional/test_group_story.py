"""A working group's page tells its story: animators, hearings, meetings, outcomes, chapters."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from convention.calendar.models import Event, EventKind
from convention.contributions.models import Contribution
from convention.domain.lifecycle import ContributionStatus
from convention.extensions import db
from convention.groups import queries
from convention.groups.models import Person, WorkingGroupAnimator
from convention.provenance.models import SourceLink
from convention.texts.models import Block
from tests.auth_fixtures import page_text
from tests.integration.test_search_index import build_search_data


def _story_data():
    data = build_search_data()
    group1, group2 = data["groups"]
    pilot = Person(full_name="Roger Pilote", first_name="Roger", last_name="Pilote")
    group2.animators.append(WorkingGroupAnimator(person=pilot, position=0))
    meeting = Event(
        convention=data["convention"], kind=EventKind.WORKING_GROUP, title="Réunion n° 3",
        starts_dt=dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC),
    )  # fmt: skip
    meeting.working_groups.append(group2)
    db.session.add(meeting)
    block = db.session.scalars(sa.select(Block).where(Block.anchor == "I-1-2")).one()
    db.session.add_all(
        [
            SourceLink(block_id=block.id, contribution_id=data["contributions"][1].id),
            SourceLink(block_id=block.id, event_id=data["event"].id),
        ]
    )
    db.session.commit()
    return data


def _outcomes(html: str) -> dict[str, int]:
    table = re.search(r'<table class="table data-table group-outcomes">.*?</table>', html, re.S)
    rows = re.findall(
        r'<tr class="status-(\w+)"><th scope="row">[^<]*</th><td class="text-end">(\d+)</td>',
        table.group(0),
    )
    return {status: int(count) for status, count in rows}


def test_group_page_tells_its_story(client, database):
    data = _story_data()
    html = client.get("/groupes/2").get_data(as_text=True)
    text = page_text(client.get("/groupes/2"))
    assert "Roger Pilote" in text
    hearings = html.split('id="titre-auditions"', 1)[1].split("</section>", 1)[0]
    assert "Audition sur la médiation" in hearings and "Jeanne Experte" in hearings
    meetings = html.split('id="titre-rendez-vous"', 1)[1].split("</section>", 1)[0]
    assert "Réunion n° 3" in page_text_of(meetings) and "Audition sur" not in meetings
    expected = {
        status.value: db.session.scalar(
            sa.select(sa.func.count()).where(
                Contribution.working_group_id == data["groups"][1].id, Contribution.status == status
            )
        )
        for status in ContributionStatus
    }
    assert _outcomes(html) == expected
    assert expected["integrated"] == 1 and expected["submitted"] == 1
    chapters = html.split('id="titre-chapitres"', 1)[1].split("</section>", 1)[0]
    assert (
        'href="/texte/chapitre/I-1"' in chapters
        and "2 passages issus du groupe" in page_text_of(chapters)
    )


def page_text_of(fragment: str) -> str:
    import html as html_module

    return html_module.unescape(fragment)


def test_a_group_without_links_says_so(client, database):
    _story_data()
    html = page_text(client.get("/groupes/1"))
    assert "Aucun passage du texte n’est encore relié" in html
    assert "Aucune audition n’est rattachée à ce groupe." in html


def test_representation_attributes_units(database):
    data = build_search_data()
    data["contributions"][2].status = ContributionStatus.WITHDRAWN
    db.session.flush()
    figures = queries.representation(data["convention"].id)
    assert figures.total == 2
    assert [(f.label, f.value) for f in figures.by_federation] == [("Fédération de Isère", 2)]
    assert [(f.label, f.value) for f in figures.by_section] == [
        ("Grenoble (Isère)", 1),
        (queries.NO_SECTION, 1),
    ]
    assert [(f.label, f.value) for f in figures.by_channel] == [("Plateforme", 1), ("Courriel", 1)]
    assert [f.value for f in figures.hearings_by_group] == [0, 1]
