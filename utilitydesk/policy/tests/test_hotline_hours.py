"""R-206: the hotline is staffed 24 hours in the heating season, working hours outside it."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from utilitydesk.policy.services import current_policy, hotline_hours

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    "moment,staffed,season",
    [
        (at(2026, 12, 25, 3, 0), True, True),  # a winter night
        (at(2027, 3, 20, 23, 0), True, True),  # last day of the season
        (at(2026, 11, 15, 0, 30), True, True),  # first night of the season
        (at(2026, 7, 8, 9, 0), True, False),  # a summer Wednesday morning
        (at(2026, 7, 8, 17, 30), False, False),  # closing time
        (at(2026, 7, 8, 7, 59), False, False),
        (at(2026, 7, 11, 10, 0), False, False),  # a Saturday
        (at(2026, 10, 2, 10, 0), False, False),  # National Day holiday (a Friday)
        (at(2026, 9, 20, 10, 0), True, False),  # a Sunday worked in lieu (调休)
    ],
)
def test_hotline_hours_follow_the_season_and_the_calendar(org, moment, staffed, season):
    result = hotline_hours(now=moment)
    assert (result.staffed, result.heating_season) == (staffed, season)


def test_off_season_hours_are_policy_data(org):
    policy = current_policy()
    policy.hotline_hours_off_season = "09:00-12:00"
    assert hotline_hours(policy, now=at(2026, 7, 8, 13, 0)).staffed is False
    assert hotline_hours(policy, now=at(2026, 7, 8, 11, 0)).staffed is True


def test_the_phone_system_asks_the_api(people):
    client = APIClient()
    client.force_authenticate(people["agent"])
    body = client.get("/api/v1/hotline/").json()
    assert set(body) == {"staffed", "heating_season", "hours"}


def test_agents_see_the_hotline_hours_in_the_top_bar(people, client):
    client.force_login(people["agent"])
    html = client.get("/").content.decode()
    assert "hotline-hours" in html and "热线" in html
    client.force_login(people["tech"])
    assert "hotline-hours" not in client.get("/field/").content.decode()
