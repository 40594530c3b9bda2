"""A temperature measurement and stop / resume heat from the household's pages, through
the temperature and arrears apps' own services."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from utilitydesk.arrears.models import ApplicationKind, HeatApplication
from utilitydesk.arrears.tests.conftest import shipped  # noqa: F401
from utilitydesk.cases.models import Case, Channel, Kind
from utilitydesk.customers.models import Premises
from utilitydesk.selfservice import services

from .conftest import PHONE, sign_in

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def bound(customers, ss_actor):
    services.bind(PHONE, customers["east"].account_no, name="李雷")
    return Premises.objects.get(customer=customers["east"])


def test_a_temperature_request_is_a_web_temperature_case(bound, customers, org):
    case = services.request_temperature(PHONE, bound.pk, "工作日晚上在家")
    assert case.kind == Kind.TEMPERATURE and case.channel == Channel.WEB
    assert case.responsible_unit == org["east"] and case.premises == bound
    with pytest.raises(ValidationError, match=case.number):
        services.request_temperature(PHONE, bound.pk)
    west = Premises.objects.get(customer=customers["west"])
    with pytest.raises(ValidationError, match="your addresses"):
        services.request_temperature(PHONE, west.pk)


def test_stop_heat_in_the_window_opens_the_valve_work_order(bound, shipped):  # noqa: F811
    in_window = datetime(2026, 10, 10, 10, 0, tzinfo=SH)
    application = services.apply_for_heat(PHONE, bound.pk, ApplicationKind.STOP, now=in_window)
    assert application.season == 2026 and application.premises == bound
    assert Case.objects.filter(number=application.work_order).exists()
    with pytest.raises(ValidationError):
        services.apply_for_heat(PHONE, bound.pk, ApplicationKind.STOP, now=in_window)
    late = datetime(2026, 10, 20, 10, 0, tzinfo=SH)
    HeatApplication.objects.all().delete()
    with pytest.raises(ValidationError, match="2026-10-16"):
        services.apply_for_heat(PHONE, bound.pk, ApplicationKind.STOP, now=late)


def test_the_pages(client, texts, bound, shipped):  # noqa: F811
    sign_in(client, texts)
    assert client.get("/my/temperature/").status_code == 200
    response = client.post("/my/temperature/", {"premises": bound.pk, "note": "晚上在家"})
    case = Case.objects.get(kind=Kind.TEMPERATURE)
    assert response.status_code == 302 and response.url == f"/my/cases/{case.number}/"
    response = client.post("/my/temperature/", {"premises": bound.pk, "note": "再来一次"})
    assert response.status_code == 200 and case.number in response.content.decode()
    assert client.get("/my/heat/").status_code == 200
    response = client.post("/my/heat/", {"premises": bound.pk, "kind": "bogus", "note": "x"})
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()
