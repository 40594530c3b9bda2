"""R-104 change history and entry-error hook, R-102 grade approval."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from utilitydesk.audit.models import ChangeRecord
from utilitydesk.audit.selectors import history_of
from utilitydesk.customers import services
from utilitydesk.customers.models import EntryError, Grade, GradeChangeRequest
from utilitydesk.customers.selectors import entry_error_counts

pytestmark = pytest.mark.django_db


def test_update_records_who_when_old_and_new(people, customers):
    customer = customers["east"]
    services.update_customer(
        customer.pk, {"name": "李蕾", "phones": ["13812345678"]}, actor=people["agent"]
    )
    records = {r.field: r for r in history_of(customer)}
    assert records["name"].old_value == "李雷" and records["name"].new_value == "李蕾"
    assert records["name"].actor == people["agent"]
    assert records["phones"].old_value == "13812345678;05391234567"
    assert records["phones"].new_value == "13812345678"
    customer.refresh_from_db()
    assert customer.updated_by == people["agent"]


def test_saving_the_same_values_records_nothing(people, customers):
    services.update_customer(customers["east"].pk, {"name": "李雷"}, actor=people["agent"])
    assert not ChangeRecord.objects.exists()


def test_invalid_phone_is_refused_and_nothing_changes(people, customers):
    with pytest.raises(ValidationError) as error:
        services.update_customer(
            customers["east"].pk, {"phones": "12345", "name": "X"}, actor=people["agent"]
        )
    assert "phones" in error.value.message_dict
    customers["east"].refresh_from_db()
    assert customers["east"].name == "李雷"


def test_premises_changes_are_recorded(people, customers):
    premises = customers["east"].premises.get()
    services.update_premises(
        premises.pk, {"heated_area": "90.5", "status": "suspended"}, actor=people["agent"]
    )
    fields = {r.field: (r.old_value, r.new_value) for r in history_of(premises)}
    assert fields == {"heated_area": ("88.50", "90.50"), "status": ("supplied", "suspended")}


def test_premises_area_must_be_positive(people, customers):
    premises = customers["east"].premises.get()
    with pytest.raises(ValidationError):
        services.update_premises(premises.pk, {"heated_area": "-3"}, actor=people["agent"])


def test_correcting_an_entry_error_counts_it_against_the_clerk(people, customers):
    customer = customers["east"]
    services.update_customer(customer.pk, {"name": "李雷雷"}, actor=people["agent"])
    services.update_customer(
        customer.pk, {"name": "李雷"}, actor=people["office"], correcting_entry_error=True
    )
    error = EntryError.objects.get()
    assert (
        error.clerk == people["agent"]
        and error.field == "name"
        and error.noted_by == people["office"]
    )
    from django.utils import timezone

    counts = entry_error_counts(
        timezone.now().replace(day=1, hour=0), timezone.now() + timezone.timedelta(days=1)
    )
    assert counts == [
        {
            "clerk_id": people["agent"].pk,
            "clerk__username": "agent",
            "kind": "wrong_value",
            "errors": 1,
        }
    ]


def test_agent_cannot_flag_entry_errors(people, customers):
    with pytest.raises(PermissionDenied):
        services.update_customer(
            customers["east"].pk, {"name": "x"}, actor=people["agent"], correcting_entry_error=True
        )


def test_grade_change_needs_a_leaders_approval(people, customers):
    customer = customers["east"]
    request = services.request_grade_change(
        customer.pk, Grade.VIP, "人大代表", actor=people["agent"]
    )
    customer.refresh_from_db()
    assert customer.grade == Grade.GENERAL
    with pytest.raises(PermissionDenied):
        services.decide_grade_change(request.pk, actor=people["agent"], approve=True)
    services.decide_grade_change(request.pk, actor=people["gm"], approve=True, note="同意")
    customer.refresh_from_db()
    assert customer.grade == Grade.VIP
    record = history_of(customer).get(field="grade")
    assert (record.old_value, record.new_value, record.actor) == ("general", "vip", people["gm"])
    assert (record.field_label, record.old_display, record.new_display) == (
        "服务等级",
        "普通",
        "VIP",
    )


def test_a_leader_cannot_approve_their_own_request(people, customers, org):
    from utilitydesk.org.models import Position
    from utilitydesk.org.services import assign_position

    assign_position(people["gm"], org["centre"], Position.AGENT)
    gm = type(people["gm"]).objects.get(pk=people["gm"].pk)
    request = services.request_grade_change(customers["east"].pk, Grade.VIP, "媒体", actor=gm)
    with pytest.raises(PermissionDenied):
        services.decide_grade_change(request.pk, actor=gm, approve=True)


def test_only_one_pending_request_and_decisions_are_final(people, customers):
    request = services.request_grade_change(
        customers["east"].pk, Grade.VIP, "媒体", actor=people["agent"]
    )
    with pytest.raises(ValidationError):
        services.request_grade_change(
            customers["east"].pk, Grade.VIP, "again", actor=people["agent"]
        )
    services.decide_grade_change(request.pk, actor=people["gm"], approve=False)
    assert GradeChangeRequest.objects.get().status == "rejected"
    with pytest.raises(ValidationError):
        services.decide_grade_change(request.pk, actor=people["gm"], approve=True)


def test_edit_page_records_history(people, customers, client):
    client.force_login(people["agent"])
    url = f"/customers/{customers['east'].pk}/edit/"
    response = client.post(
        url,
        {
            "name": "李雷",
            "phones": "13812345678; 13700000000",
            "customer_type": "resident",
            "special_care": "elderly",
            "notes": "",
        },
    )
    assert response.status_code == 302
    assert set(history_of(customers["east"]).values_list("field", flat=True)) == {
        "phones",
        "special_care",
    }
    bad = client.post(url, {"name": "李雷", "phones": "123", "customer_type": "resident"})
    assert bad.status_code == 200 and "不是有效的电话号码" in bad.content.decode()


def test_admin_edits_go_through_the_service_and_its_history(people, customers, client):
    customer = customers["east"]
    client.force_login(people["admin"])
    url = f"/admin/customers/customer/{customer.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if k in form.fields}
    data.update({"name": "李雷（改）", "phones": form.fields["phones"].initial})
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:500]
    record = history_of(customer).get(field="name")
    assert (record.old_value, record.new_value, record.source, record.actor) == (
        "李雷",
        "李雷（改）",
        "admin",
        people["admin"],
    )
