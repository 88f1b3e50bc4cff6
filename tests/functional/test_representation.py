"""The steering committee's representation overview: figures, SVG = table, permissions."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from convention.calendar.models import Event, EventKind, event_working_group
from convention.contributions.models import Channel, Contribution
from convention.domain.lifecycle import ContributionStatus
from convention.extensions import db
from convention.groups.models import WorkingGroup

PASSWORD = "demo-convention-2025"
FIGURES = ("graphique-federations", "graphique-sections", "graphique-canaux", "graphique-auditions")


def _login(client, email):
    response = client.post("/compte/connexion", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302


def _figure(html: str, figure_id: str) -> tuple[list[int], list[int], list[str]]:
    """(numbers in the SVG, numbers in the table, row labels of the table) of one figure."""
    block = re.search(rf'<figure[^>]*id="{figure_id}-figure".*?</figure>', html, re.S).group(0)
    svg = re.search(r"<svg.*?</svg>", block, re.S).group(0)
    svg_values = [int(v) for v in re.findall(r'<text class="chart-value"[^>]*>(\d+)</text>', svg)]
    table_values = [int(v) for v in re.findall(r'class="text-end chart-table-value">(\d+)<', block)]
    labels = re.findall(
        r'<tr><th scope="row">([^<]*)</th><td class="text-end chart-table-value">', block
    )
    return svg_values, table_values, labels


@pytest.fixture()
def committee_page(client, seeded):
    _login(client, "demo.comite@exemple.fr")
    response = client.get("/groupes/representation")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_militant_and_pilot_get_403(client, seeded):
    _login(client, "demo.militant@exemple.fr")
    assert client.get("/groupes/representation").status_code == 403
    assert "/groupes/representation" not in client.get("/groupes/").get_data(as_text=True)
    client.post("/compte/deconnexion")
    _login(client, "demo.pilote@exemple.fr")
    assert client.get("/groupes/representation").status_code == 403


def test_anonymous_is_sent_to_login(client, seeded):
    response = client.get("/groupes/representation")
    assert response.status_code == 302 and "/compte/connexion" in response.headers["Location"]


def test_bureau_national_sees_it(client, seeded):
    _login(client, "demo.bn@exemple.fr")
    assert client.get("/groupes/representation").status_code == 200


def test_navigation_links_to_it_for_the_committee(committee_page):
    assert 'href="/groupes/representation"' in committee_page


def test_svg_and_table_give_the_same_numbers(committee_page):
    for figure_id in FIGURES:
        svg_values, table_values, labels = _figure(committee_page, figure_id)
        assert table_values, figure_id
        assert svg_values == table_values, figure_id
        assert len(labels) == len(table_values)
    assert committee_page.count('role="img"') >= len(FIGURES)
    assert "<script" not in committee_page.split("<main", 1)[1].split("</main>", 1)[0]


def test_figures_equal_the_database(app, committee_page):
    with app.app_context():
        received = sa.select(Contribution).where(
            Contribution.status != ContributionStatus.WITHDRAWN
        )
        total = db.session.scalar(sa.select(sa.func.count()).select_from(received.subquery()))
        by_channel = dict(
            db.session.execute(
                sa.select(Contribution.channel, sa.func.count())
                .where(Contribution.status != ContributionStatus.WITHDRAWN)
                .group_by(Contribution.channel)
            ).all()
        )
        hearings = dict(
            db.session.execute(
                sa.select(WorkingGroup.number, sa.func.count(Event.id))
                .join(
                    event_working_group, event_working_group.c.working_group_id == WorkingGroup.id
                )
                .join(Event, Event.id == event_working_group.c.event_id)
                .where(Event.kind == EventKind.HEARING)
                .group_by(WorkingGroup.number)
            ).all()
        )
        groups = db.session.scalars(
            sa.select(WorkingGroup.number).order_by(WorkingGroup.number)
        ).all()
    assert total > 0
    _, federation_values, _ = _figure(committee_page, "graphique-federations")
    _, section_values, _ = _figure(committee_page, "graphique-sections")
    assert sum(federation_values) == total == sum(section_values)
    _, channel_values, channel_labels = _figure(committee_page, "graphique-canaux")
    assert channel_labels == ["Plateforme", "Courriel"]
    assert channel_values == [by_channel.get(Channel.PLATFORM, 0), by_channel.get(Channel.EMAIL, 0)]
    _, hearing_values, hearing_labels = _figure(committee_page, "graphique-auditions")
    assert hearing_values == [hearings.get(number, 0) for number in groups]
    assert sum(hearing_values) > 0
    assert all(
        label.startswith(f"Groupe {n} ") for label, n in zip(hearing_labels, groups, strict=True)
    )
