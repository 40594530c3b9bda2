"""The temperature API: a request registered as a case, a signed record sent by the
technician's app (refused exactly as the page refuses it), and the records of a case."""

import base64

import pytest
from rest_framework.test import APIClient

from tests.factories import staff
from utilitydesk.accounts.services import issue_token
from utilitydesk.audit.models import AccessLog
from utilitydesk.cases.models import Case, Kind, Status
from utilitydesk.org.models import Position
from utilitydesk.temperature.models import Measurement

from .conftest import PNG, on_site

pytestmark = pytest.mark.django_db

SIGNATURE = "data:image/png;base64," + base64.b64encode(PNG).decode()


def api_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(user).key}")
    return client


def record_body(case, thermometer, **changes):
    body = {
        "case": case.number,
        "instrument_id": thermometer.pk,
        "outdoor_celsius": "-5.0",
        "height_m": "1.20",
        "doors_windows_closed": True,
        "no_heat_source": True,
        "rooms": [
            {"kind": "bedroom", "area_m2": "12.5", "readings": [{"celsius": "18.6"}]},
            {
                "kind": "living_room",
                "name": "客厅",
                "area_m2": "24",
                "readings": [{"celsius": "18.2"}, {"celsius": "18.4"}],
            },
        ],
        "signature": SIGNATURE,
    }
    body.update(changes)
    return body


def test_a_request_is_registered_as_a_temperature_case(people, customers):
    premises = customers["east"].premises.get()
    response = api_for(people["agent"]).post(
        "/api/v1/temperature-requests/",
        {"premises_id": premises.pk, "content": "卧室很冷", "caller_phone": "13812345678"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    case = Case.objects.get(number=data["number"])
    assert case.kind == Kind.TEMPERATURE and case.premises_id == premises.pk
    assert data["status"] == case.status and data["status_label"]
    assert case.responsible_unit is not None


def test_a_request_for_unknown_premises_is_a_field_error(people, customers):
    response = api_for(people["agent"]).post(
        "/api/v1/temperature-requests/", {"premises_id": 987654}, format="json"
    )
    assert response.status_code == 400
    assert "premises" in response.json()["error"]["fields"]


def test_the_technicians_app_sends_a_signed_record(people, customers, thermometer):
    case = on_site(people, customers)
    response = api_for(people["tech"]).post(
        "/api/v1/measurements/", record_body(case, thermometer), format="json"
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["case"] == case.number and data["valid"] and data["passed"]
    assert [len(room["readings"]) for room in data["rooms"]] == [1, 2]
    assert data["rooms"][1]["name"] == "客厅" and data["rooms"][1]["celsius"] == "18.3"
    case.refresh_from_db()
    assert case.status == Status.RESOLVED


def test_a_record_without_signature_is_refused_and_nothing_is_stored(
    people, customers, thermometer
):
    case = on_site(people, customers)
    client = api_for(people["tech"])
    for body in (
        record_body(case, thermometer, signature=""),
        {k: v for k, v in record_body(case, thermometer).items() if k != "signature"},
    ):
        response = client.post("/api/v1/measurements/", body, format="json")
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "invalid" and "signature" in error["fields"]
    assert not Measurement.objects.exists()
    case.refresh_from_db()
    assert case.status == Status.ON_SITE


def test_the_api_refuses_what_the_service_refuses(people, customers, thermometer):
    case = on_site(people, customers)
    client = api_for(people["tech"])
    # A 24 m² room needs two points; one given.
    body = record_body(case, thermometer)
    body["rooms"][1]["readings"] = [{"celsius": "18.2"}]
    response = client.post("/api/v1/measurements/", body, format="json")
    assert response.status_code == 400
    assert "2" in " ".join(response.json()["error"]["fields"]["rooms"])
    # Sensor too high, doors open, a damaged signature.
    response = client.post(
        "/api/v1/measurements/",
        record_body(case, thermometer, height_m="1.6", doors_windows_closed=False),
        format="json",
    )
    fields = response.json()["error"]["fields"]
    assert response.status_code == 400 and {"height_m", "doors_windows_closed"} <= set(fields)
    response = client.post(
        "/api/v1/measurements/",
        record_body(case, thermometer, signature="data:image/png;base64,!!!"),
        format="json",
    )
    assert response.status_code == 400 and "signature" in response.json()["error"]["fields"]
    assert not Measurement.objects.exists()


def test_recording_needs_the_permission(people, customers, thermometer):
    case = on_site(people, customers)
    response = api_for(people["agent"]).post(
        "/api/v1/measurements/", record_body(case, thermometer), format="json"
    )
    assert response.status_code == 403
    assert not Measurement.objects.exists()


def test_the_records_of_a_case_with_rooms_and_readings(people, org, customers, thermometer):
    case = on_site(people, customers)
    api_for(people["tech"]).post(
        "/api/v1/measurements/", record_body(case, thermometer), format="json"
    )
    before = AccessLog.objects.count()
    data = api_for(people["office"]).get("/api/v1/measurements/", {"case": case.number}).json()
    assert data["count"] == 1
    [record] = data["results"]
    assert record["customer_id"] == customers["east"].pk
    assert record["rooms"][0]["readings"][0]["celsius"] == "18.6"
    assert AccessLog.objects.count() == before + 1
    premises = customers["east"].premises.get()
    by_premises = api_for(people["head_east"]).get(
        "/api/v1/measurements/", {"premises": premises.pk, "season": record["season"]}
    )
    assert by_premises.json()["count"] == 1
    # Another station's head does not see it.
    head_west = staff("head_west", Position.STATION_HEAD, org["west"])
    assert api_for(head_west).get("/api/v1/measurements/").json()["count"] == 0
    # The agent who answers the customer reads the record of the case they see.
    agent = api_for(people["agent"]).get("/api/v1/measurements/", {"case": case.number}).json()
    assert agent["count"] == 1


def test_bad_filters_are_field_errors(people):
    response = api_for(people["office"]).get(
        "/api/v1/measurements/", {"season": "x", "premises": "-1"}
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"season", "premises"}
