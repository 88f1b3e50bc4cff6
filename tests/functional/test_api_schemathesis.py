"""Property-based run of schemathesis over the API's own OpenAPI document (a few examples each).

schemathesis' pytest integration (``from_fixture``) breaks on pytest 9 (``Function`` has no
``_nodeid``), so each operation's strategy is driven by Hypothesis directly.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from convention.extensions import db
from tests.conftest import empty_tables
from tests.functional.test_api import PATHS, build


@pytest.fixture(scope="module")
def api_schema(app):
    with app.app_context():
        empty_tables()
        build(db)
        yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
        empty_tables()


@pytest.mark.slow
def test_api_conforms_to_its_openapi_document(api_schema):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert sorted(op.path for op in operations) == sorted(PATHS)
    statuses: set[int] = set()
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=30,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def check(case):
            statuses.add(case.call_and_validate().status_code)

        check()
    assert 200 in statuses and statuses & {404, 422}, statuses
    assert not any(code >= 500 for code in statuses)
