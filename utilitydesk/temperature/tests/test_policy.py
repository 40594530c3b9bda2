"""The temperature values are policy data: a new version changes them for new cases only,
and a draft with unusable values is not published."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from utilitydesk.cases import services as case_services
from utilitydesk.policy import services as policy_services
from utilitydesk.policy.models import PolicyVersion
from utilitydesk.temperature import services

from .conftest import NOW, on_site, record_input, room, temperature_case

pytestmark = pytest.mark.django_db


def _publish(people, **values):
    draft = policy_services.new_draft(actor=people["admin"])
    PolicyVersion.objects.filter(pk=draft.pk).update(**values)
    return policy_services.publish(draft.pk, actor=people["admin"])


@pytest.mark.parametrize(
    "values",
    [
        {"temperature_refund_bands": [{"below": "18"}]},
        {"temperature_refund_bands": [{"below": "18", "share": "1.5"}]},
        {"temperature_refund_bands": {"below": "18"}},
        {"temperature_refund_approver": "boss"},
        {"temperature_visit_hours": "21:00-08:00"},
    ],
)
def test_unusable_temperature_values_are_not_published(people, values):
    with pytest.raises(ValidationError):
        _publish(people, **values)


def test_a_case_keeps_the_rules_it_was_created_under(people, customers, thermometer):
    old_case = on_site(people, customers)
    _publish(people, temperature_target="20.0", temperature_visit_hours="09:00-17:00")
    # The case from before is judged against 18 °C: 19 °C passes.
    rooms = [room("bedroom", "12", "19.0")]
    measurement = services.record_measurement(
        record_input(old_case, thermometer, rooms=rooms),
        actor=people["tech"],
        now=NOW + timedelta(hours=3),
    )
    assert measurement.passed and measurement.target_celsius == 18
    # A new request is booked under the new hours.
    new_case = temperature_case(people, customers, now=NOW + timedelta(hours=4))
    with pytest.raises(ValidationError) as error:
        case_services.book(
            new_case.number,
            (NOW + timedelta(hours=4)).replace(hour=18),
            actor=people["tech"],
            now=NOW + timedelta(hours=4, minutes=10),
        )
    assert "09:00-17:00" in str(error.value)
