"""API fuzzing (issue 6): schemathesis generates requests from the project's own OpenAPI
schema; no response may be a server error and every response must match the schema.
Bounded: a few examples per operation, so it runs in every `make test`."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from utilitydesk.accounts.services import issue_token
from utilitydesk.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Requests go straight to the WSGI app; like Django's test client, stop the end of a
    request from closing the connection that holds the test's transaction."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(people, customers):
    return issue_token(people["agent"]).key


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_responses_match_the_schema(case, token):
    case.call_and_validate(
        headers={"Authorization": f"Token {token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
