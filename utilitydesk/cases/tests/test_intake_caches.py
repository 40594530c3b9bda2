"""What the intake keeps per process (routing rules, permissions) follows every change at
once: a change made here, and a change another worker made (seen through the data
version it raised)."""

import uuid

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from utilitydesk.accounts.services import issue_token
from utilitydesk.cases.models import Case, RoutingRule
from utilitydesk.kernel.models import DataVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(people):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(people['agent']).key}")

    def create(customer, kind="repair"):
        return client.post(
            "/api/v1/contacts/",
            {
                "channel": "phone",
                "kind": kind,
                "content": "暖气不热",
                "customer_id": customer.pk,
                "allow_duplicate": True,
            },
            format="json",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        )

    return create


def unit_of(response) -> str:
    assert response.status_code == 201, response.content
    return Case.objects.get(number=response.json()["case"]["number"]).responsible_unit.code


def another_worker_changed(name: str) -> None:
    """What another gunicorn worker's committed change leaves in the database: the data
    changed (here by a queryset update, which tells no one in this process) and the
    version it raised."""
    DataVersion.objects.update_or_create(name=name, defaults={"value": 987654321})


def test_a_new_routing_rule_takes_effect_on_the_next_create(api, customers, org):
    assert unit_of(api(customers["east"])) == "E"
    RoutingRule.objects.create(
        priority=1,
        name="维修先到客服中心",
        kind="repair",
        target=RoutingRule.Target.UNIT,
        target_unit=org["centre"],
    )
    assert unit_of(api(customers["east"])) == "SC"


def test_a_rule_changed_by_another_worker_takes_effect_on_the_next_create(api, customers, org):
    assert unit_of(api(customers["east"])) == "E"
    rule = RoutingRule.objects.create(
        priority=1,
        name="维修先到客服中心",
        kind="repair",
        target=RoutingRule.Target.UNIT,
        target_unit=org["centre"],
        is_active=True,
    )
    assert unit_of(api(customers["east"])) == "SC"
    RoutingRule.objects.filter(pk=rule.pk).update(is_active=False)
    another_worker_changed("routing")
    assert unit_of(api(customers["east"])) == "E"


def test_a_revoked_permission_refuses_the_next_create(api, people, customers):
    assert api(customers["east"]).status_code == 201
    people["agent"].groups.clear()
    assert api(customers["east"]).status_code == 403


def test_a_permission_revoked_by_another_worker_refuses_the_next_create(api, people, customers):
    assert api(customers["east"]).status_code == 201
    groups = list(people["agent"].groups.values_list("pk", flat=True))
    Group.permissions.through.objects.filter(
        group_id__in=groups, permission__codename="add_contact"
    ).delete()
    assert api(customers["east"]).status_code == 201  # this worker was not told yet
    another_worker_changed("permissions")
    assert api(customers["east"]).status_code == 403
