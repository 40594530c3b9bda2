"""R-105: masking, access logging, export gating and station scope."""

import io

import pytest
from django.core.exceptions import PermissionDenied
from openpyxl import load_workbook

from utilitydesk.audit.models import AccessLog
from utilitydesk.customers import selectors, services
from utilitydesk.customers.selectors import CustomerFilters

pytestmark = pytest.mark.django_db


def test_technician_sees_masked_phones_office_sees_full(people, customers):
    account = customers["east"].account_no
    tech_view = selectors.lookup_customers(people["tech"], account_no=account)
    office_view = selectors.lookup_customers(people["office"], phone="13812345678")
    assert tech_view[0]["phones"][0] == "138****5678"
    assert office_view[0]["phones"][0] == "13812345678"


def test_technician_only_sees_own_station(people, customers):
    visible = set(selectors.visible_customers(people["tech"]).values_list("name", flat=True))
    assert visible == {"李雷"}
    with pytest.raises(PermissionDenied):
        selectors.get_customer(people["tech"], customers["west"].pk)


def test_person_with_a_company_wide_position_sees_everything(people, customers, org):
    from utilitydesk.org.models import Position
    from utilitydesk.org.services import assign_position

    tech = people["tech"]
    assign_position(tech, org["centre"], Position.AGENT)
    tech.refresh_from_db()
    tech = type(tech).objects.get(pk=tech.pk)
    assert selectors.visible_customers(tech).count() == 2


def test_viewing_a_customer_is_logged(people, customers, client):
    client.force_login(people["agent"])
    response = client.get(f"/customers/{customers['east'].pk}/")
    assert response.status_code == 200
    log = AccessLog.objects.get(action=AccessLog.Action.VIEW)
    assert log.actor == people["agent"] and log.customer == customers["east"]


def test_lookup_is_logged_for_every_customer_shown(people, customers):
    selectors.lookup_customers(people["agent"], address="阳光花园")
    logged = set(AccessLog.objects.filter(action="lookup").values_list("customer__name", flat=True))
    assert logged == {"李雷", "韩梅梅"}


def test_technician_cannot_export(people, customers, client):
    with pytest.raises(PermissionDenied):
        services.export_customers(CustomerFilters(), io.BytesIO(), actor=people["tech"])
    client.force_login(people["tech"])
    assert client.get("/customers/export/").status_code == 403
    assert not AccessLog.objects.filter(action="export").exists()


def test_office_export_is_logged_and_contains_full_data(people, customers, client):
    client.force_login(people["office"])
    response = client.get("/customers/export/", {"q": "李雷"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "户号" and len(rows) == 2
    assert rows[1][1] == "李雷" and "13812345678" in rows[1][2]
    log = AccessLog.objects.get(action="export")
    assert log.actor == people["office"] and log.detail == {"filters": {"q": "李雷"}, "rows": 1}


def test_technician_list_page_masks_phones(people, customers, client):
    client.force_login(people["tech"])
    page = client.get("/customers/").content.decode()
    assert "138****5678" in page and "13812345678" not in page
    assert "韩梅梅" not in page
    assert "/customers/export/" not in page
