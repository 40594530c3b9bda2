from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from utilitydesk.exchange.services import _answer_due
from utilitydesk.policy import services as policy

SH = ZoneInfo("Asia/Shanghai")


@pytest.mark.django_db
def test_the_platforms_limits_are_policy_checked_at_publish(people):
    draft = policy.new_draft(actor=people["admin"])
    assert policy.exchange_answer_days(draft, "consultation") == 3
    assert policy.exchange_answer_days(draft, "repair") == 13
    draft.exchange_answer_days = {"consultation": 0}
    draft.save()
    people["admin"].is_superuser = True
    people["admin"].save()
    with pytest.raises(ValidationError) as refused:
        policy.publish(draft.pk, actor=people["admin"])
    assert "12345" in " ".join(refused.value.messages)


@pytest.mark.django_db
def test_answer_limits_count_working_days(org):
    # Friday 2026-09-25: the weekend does not count, three working days are the 28th,
    # 29th and 30th; the limit ends at 24:00 of the 30th.
    friday = datetime(2026, 9, 25, 10, 0, tzinfo=SH)
    assert _answer_due(friday, 3).due_at == datetime(2026, 10, 1, 0, 0, tzinfo=SH)
