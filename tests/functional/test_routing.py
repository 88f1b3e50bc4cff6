"""Ids in URLs: a number past what the database stores is a plain 404, never a database error."""

from __future__ import annotations

import pytest

from convention.core.routing import MAX_ID

HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    "path",
    [
        f"/vote/{HUGE}",
        f"/vote/{HUGE}/verifier",
        f"/travaux/{HUGE}",
        f"/travaux/{HUGE}/etat",
        f"/groupes/{HUGE}",
        f"/calendrier/{HUGE}",
        f"/contributions/{HUGE}",
        f"/vote/{MAX_ID + 1}",
    ],
)
def test_an_id_too_large_for_the_database_is_not_found(client, database, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "La page demandée n'existe pas" in response.get_data(as_text=True)


def test_the_largest_stored_id_still_reaches_its_view(client, database):
    # The job page asks an anonymous visitor to log in: the route matched, the view ran.
    response = client.get(f"/travaux/{MAX_ID}")
    assert response.status_code == 302 and "/compte/connexion" in response.headers["Location"]
    assert client.get(f"/travaux/{MAX_ID + 1}").status_code == 404
