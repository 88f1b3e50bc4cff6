"""The read API over the convention seeded from its document (shared, read-only)."""

from __future__ import annotations

import re

import pytest

API = "/api/v1"


@pytest.fixture(scope="module", autouse=True)
def _seeded(seeded):
    return seeded


def test_convention_and_its_phases(client):
    body = client.get(f"{API}/convention").get_json()
    assert body["slug"] and body["title"] and body["initiator"]
    assert len(body["phases"]) >= 5
    assert all(p["label"] and p["starts_on"] for p in body["phases"])


def test_lists_have_the_document_content(client):
    groups = client.get(f"{API}/working-groups").get_json()
    assert groups["total"] == 7
    assert [g["number"] for g in groups["items"]] == list(range(1, 8))
    assert all(g["animators"] for g in groups["items"])
    events = client.get(f"{API}/events?per_page=1000").get_json()
    assert events["total"] == len(events["items"]) > 0
    for item in events["items"]:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[12]:00", item["start"]), item[
            "start"
        ]
    contributions = client.get(f"{API}/contributions?per_page=1000").get_json()
    assert contributions["total"] == len(contributions["items"]) > 0


def test_the_seeded_text_down_to_its_proposals(client):
    texts = client.get(f"{API}/texts").get_json()
    assert texts["total"] >= 1
    text_id = texts["items"][0]["id"]
    body = client.get(f"{API}/texts/{text_id}").get_json()
    blocks = [b for p in body["version"]["parts"] for c in p["chapters"] for b in c["blocks"]]
    assert blocks
    assert len({b["id"] for b in blocks}) == len(blocks)  # anchors unique in the version
    lines = [(b["line_start"], b["line_end"]) for b in blocks]
    assert lines[0][0] == 1
    assert all(a[1] + 1 == b[0] for a, b in zip(lines, lines[1:], strict=False))
    proposals = [b for b in blocks if b["kind"] == "proposal"]
    assert proposals and all(b["reference"] for b in proposals)
    assert len({b["reference"] for b in proposals}) == len(proposals)
