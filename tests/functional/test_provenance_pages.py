"""Provenance: pilots link contributions and hearings to the text; pages and the API show it."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from flask import render_template_string
from sqlalchemy import event as sa_event

from convention.calendar.models import Event, EventKind
from convention.core.audit import AuditEntry
from convention.domain.lifecycle import ContributionStatus as S
from convention.extensions import db
from convention.provenance.models import SourceLink
from tests.contribution_fixtures import build_world, log_in, make_contribution

API = "/api/v1"


@pytest.fixture()
def world(database):
    return build_world("after")


def text(response) -> str:
    return response.get_data(as_text=True)


def block_html(page: str, anchor: str) -> str:
    return page.split(f'id="{anchor}"', 1)[1].split('<div class="text-block', 1)[0]


def link(client, path: str, blocks, note: str = ""):
    return client.post(
        f"{path}?chapitre=I-1", data={"blocks": [b.id for b in blocks], "note": note}
    )


def test_a_pilot_links_an_integrated_contribution_to_paragraphs_and_proposals(client, world):
    contribution = make_contribution(world, status=S.INTEGRATED, title="Maisons de la justice")
    b1, b2, b3 = world.blocks
    path = f"/provenance/contributions/{contribution.id}"
    log_in(client, world.users["pilot_this_group"])
    assert f'href="{path}"' in text(client.get(f"/contributions/{contribution.id}"))
    chooser = text(client.get(path))
    assert f'href="{path}?chapitre=I-1"' in chooser
    editor = text(client.get(f"{path}?chapitre=I-1"))
    assert editor.count('type="checkbox" name="blocks"') == 3
    assert "Proposition I.1.1" in editor

    response = link(client, path, [b1, b2], note="Reprise presque mot pour mot")
    assert response.status_code == 302
    links = db.session.scalars(sa.select(SourceLink).order_by(SourceLink.block_id)).all()
    assert [(row.block_id, row.contribution_id) for row in links] == [
        (b1.id, contribution.id),
        (b2.id, contribution.id),
    ]
    assert links[0].created_by_id == world.users["pilot_this_group"].id
    assert links[0].note == "Reprise presque mot pour mot"
    assert text(client.get(f"{path}?chapitre=I-1")).count(" checked") == 2

    chapter = text(client.get("/texte/chapitre/I-1"))
    for anchor in ("I-1-1", "I-1-2"):
        block = block_html(chapter, anchor)
        assert "Issu de" in block and f'href="/contributions/{contribution.id}"' in block
        assert "Maisons de la justice" in block and "Contribution" in block
    assert "Issu de" not in block_html(chapter, "I-1-3")

    page = text(client.get(f"/contributions/{contribution.id}"))
    assert "Dans le texte" in page
    assert 'href="/texte/chapitre/I-1#I-1-2"' in page and "Proposition I.1.1" in page
    assert 'href="/texte/chapitre/I-1#I-1-1"' in page and "Lignes 1 à 2" in page

    # Unticking a block removes its link; everything is in the audit log.
    assert link(client, path, [b2]).status_code == 302
    assert db.session.scalars(sa.select(SourceLink.block_id)).all() == [b2.id]
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.object_type == "SourceLink")
        .order_by(AuditEntry.id)
    ).all()  # fmt: skip
    assert actions == ["source_link.create", "source_link.create", "source_link.delete"]
    assert b3.id not in db.session.scalars(sa.select(SourceLink.block_id)).all()


@pytest.mark.parametrize(
    ("role", "status", "expected"),
    [
        ("pilot_this_group", S.UNDER_REVIEW, 409),
        ("pilot_this_group", S.NOT_RETAINED, 409),
        ("pilot_other_group", S.INTEGRATED, 403),
        ("militant", S.INTEGRATED, 403),
        ("section_secretary", S.INTEGRATED, 403),
        ("committee", S.PARTIALLY_INTEGRATED, 302),
        ("national_bureau", S.INTEGRATED, 302),
    ],
)
def test_who_links_a_contribution(client, world, role, status, expected):
    contribution = make_contribution(world, status=status)
    log_in(client, world.users[role])
    response = link(client, f"/provenance/contributions/{contribution.id}", world.blocks[:1])
    assert response.status_code == expected
    count = db.session.scalar(sa.select(sa.func.count(SourceLink.id)))
    assert count == (1 if expected == 302 else 0)


def test_a_pilot_of_the_group_links_a_hearing(client, world, app):
    hearing = world.hearing
    path = f"/provenance/auditions/{hearing.id}"
    log_in(client, world.users["pilot_other_group"])
    assert link(client, path, world.blocks[2:]).status_code == 403
    client.post("/compte/deconnexion")
    log_in(client, world.users["pilot_this_group"])
    assert link(client, path, world.blocks[2:], note="Témoignage").status_code == 302
    link_row = db.session.scalars(sa.select(SourceLink)).one()
    assert link_row.event_id == hearing.id and link_row.contribution_id is None

    chapter = text(client.get("/texte/chapitre/I-1"))
    block = block_html(chapter, "I-1-3")
    assert f'href="/calendrier/{hearing.id}"' in block and "Audition" in block

    # The include for the event page (the calendar's template includes it).
    with app.test_request_context("/"):
        html = render_template_string(
            '{% include "provenance/_sources_of_event.html" %}',
            event=db.session.get(Event, hearing.id),
        )
    assert "Dans le texte" in html and 'href="/texte/chapitre/I-1#I-1-3"' in html
    assert "Témoignage" in html


def test_only_hearings_are_linked(client, world):
    meeting = Event(convention_id=world.convention.id, kind=EventKind.WORKING_GROUP,
                    title="Réunion", starts_dt=Event.local_midnight(dt.date.today()))  # fmt: skip
    meeting.working_groups.append(world.group1)
    db.session.add(meeting)
    db.session.commit()
    log_in(client, world.users["committee"])
    assert link(client, f"/provenance/auditions/{meeting.id}", world.blocks[:1]).status_code == 403


def test_the_chapter_page_loads_its_sources_in_constant_queries(client, world):
    def count_queries(n_links: int) -> int:
        db.session.execute(sa.delete(SourceLink))
        for index in range(n_links):
            contribution = make_contribution(world, status=S.INTEGRATED, title=f"C{index}")
            for block in world.blocks:
                db.session.add(SourceLink(block_id=block.id, contribution_id=contribution.id))
        db.session.commit()
        statements = []

        def record(*args):
            statements.append(args[2])

        sa_event.listen(db.engine, "before_cursor_execute", record)
        try:
            page = text(client.get("/texte/chapitre/I-1"))
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", record)
        assert page.count("Issu de") == (3 if n_links else 0)
        return len(statements)

    assert count_queries(1) == count_queries(6)


def test_the_api_exposes_the_links(client, world):
    contribution = make_contribution(world, status=S.INTEGRATED, title="Source")
    db.session.add_all([
        SourceLink(block_id=world.blocks[1].id, contribution_id=contribution.id, note="n"),
        SourceLink(block_id=world.blocks[1].id, event_id=world.hearing.id),
    ])  # fmt: skip
    db.session.commit()
    body = client.get(f"{API}/texts/{world.text.id}").get_json()
    blocks = body["version"]["parts"][0]["chapters"][0]["blocks"]
    assert blocks[0]["sources"] == []
    assert blocks[1]["sources"] == [
        {"kind": "contribution", "id": contribution.id, "title": "Source",
         "url": f"/contributions/{contribution.id}", "note": "n"},
        {"kind": "event", "id": world.hearing.id, "title": world.hearing.title,
         "url": f"/calendrier/{world.hearing.id}", "note": ""},
    ]  # fmt: skip
    expected_link = {"chapter": "I-1", "block": "I-1-2", "version": 1,
                     "url": "/texte/chapitre/I-1#I-1-2"}  # fmt: skip
    items = client.get(f"{API}/contributions").get_json()["items"]
    assert [{k: v for k, v in link.items() if k != "note"} for link in items[0]["text_links"]] == [
        expected_link
    ]
    events = client.get(f"{API}/events").get_json()["items"]
    assert events[0]["text_links"] == [{**expected_link, "note": ""}]
