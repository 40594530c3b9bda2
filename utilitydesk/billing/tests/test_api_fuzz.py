"""The billing endpoints fuzzed from the schema with an agent's and a station head's
tokens: no server error, every response as documented."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from utilitydesk.accounts.services import issue_token
from utilitydesk.billing import services
from utilitydesk.outages.tests.conftest import NOW
from utilitydesk.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application).include(
    path_regex=r"^/api/v1/(bills/|accounts/\{account_no\}/balance/)$"
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(params=["agent", "head_east"])
def token(request, people, customers):
    services.generate_bills(services.start_run(2026, actor=None, now=NOW).pk, now=NOW)
    return issue_token(people[request.param]).key


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_responses_match_the_schema(case, token):
    case.call_and_validate(
        headers={"Authorization": f"Token {token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
