import pytest
from rest_framework.test import APIClient

from utilitydesk.accounts.services import issue_token
from utilitydesk.audit.models import AccessLog

pytestmark = pytest.mark.django_db


def api_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(user).key}")
    return client


def test_token_is_obtained_with_username_and_password(people):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "agent", "password": "pw-for-tests-1"}
    )
    assert response.status_code == 200 and response.json()["token"]


def test_unauthenticated_requests_are_refused_as_json(customers):
    response = APIClient().get("/api/v1/customers/lookup/", {"phone": "13812345678"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_lookup_by_any_of_the_phone_numbers(people, customers):
    client = api_for(people["agent"])
    for phone in ("13812345678", "0539-1234567", "+86 138 1234 5678"):
        data = client.get("/api/v1/customers/lookup/", {"phone": phone}).json()
        assert [c["name"] for c in data] == ["李雷"]
    summary = data[0]
    assert (
        summary["station"] == "城东供热所" and summary["address"] == "东城区阳光花园1号楼1单元101室"
    )
    assert summary["phones"] == ["13812345678", "05391234567"]


def test_lookup_by_account_and_address_fragment(people, customers):
    client = api_for(people["agent"])
    account = customers["west"].account_no
    assert [
        c["name"] for c in client.get("/api/v1/customers/lookup/", {"account_no": account}).json()
    ] == ["韩梅梅"]
    names = {
        c["name"] for c in client.get("/api/v1/customers/lookup/", {"address": "阳光花园"}).json()
    }
    assert names == {"李雷", "韩梅梅"}
    assert (
        client.get("/api/v1/customers/lookup/", {"address": "9号楼1单元901"}).json()[0]["name"]
        == "韩梅梅"
    )


def test_lookup_without_criteria_is_a_400_with_field_messages(people):
    response = api_for(people["agent"]).get("/api/v1/customers/lookup/", {"limit": "x"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and "limit" in error["fields"]


def test_technician_lookup_is_masked_and_scoped(people, customers):
    client = api_for(people["tech"])
    assert client.get("/api/v1/customers/lookup/", {"address": "9号楼"}).json() == []
    account = customers["east"].account_no
    data = client.get("/api/v1/customers/lookup/", {"account_no": account}).json()
    assert data[0]["phones"] == ["138****5678", "053****4567"]
    response = client.get(f"/api/v1/customers/{customers['west'].pk}/")
    assert response.status_code == 404


def test_detail_is_logged_and_patch_records_history(people, customers):
    client = api_for(people["agent"])
    pk = customers["east"].pk
    detail = client.get(f"/api/v1/customers/{pk}/").json()
    assert detail["premises"][0]["heated_area"] == "88.50"
    assert AccessLog.objects.filter(action="view", customer_id=pk).exists()
    response = client.patch(f"/api/v1/customers/{pk}/", {"phones": ["bad"]}, format="json")
    assert response.status_code == 400 and "phones" in response.json()["error"]["fields"]
    response = client.patch(f"/api/v1/customers/{pk}/", {"name": "李雷雷"}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "李雷雷"


def test_technician_cannot_patch(people, customers):
    response = api_for(people["tech"]).patch(
        f"/api/v1/customers/{customers['east'].pk}/", {"name": "x"}, format="json"
    )
    assert response.status_code == 403


def test_unknown_api_path_is_json_404(people):
    response = api_for(people["agent"]).get("/api/v1/nothing-here/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_schema_and_docs_are_served_locally(people, client):
    client.force_login(people["agent"])
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200 and b"/api/v1/customers/lookup/" in schema.content
    docs = client.get("/api/v1/docs/").content.decode()
    assert (
        "swagger-ui" in docs
        and "cdn" not in docs.lower()
        and "://" not in docs.split("<body")[0].replace("http://www.w3.org", "")
    )


def test_list_is_paginated(people, customers):
    data = api_for(people["office"]).get("/api/v1/customers/").json()
    assert data["count"] == 2 and len(data["results"]) == 2


def test_nul_characters_are_refused_with_a_400_not_a_server_error(people, customers, client):
    response = api_for(people["agent"]).get("/api/v1/cases/", {"q": "a\x00b"})
    assert response.status_code == 400 and "q" in response.json()["error"]["fields"]
    client.force_login(people["agent"])
    assert client.get("/customers/", {"q": "\x00"}).status_code == 400
