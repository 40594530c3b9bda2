import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from utilitydesk.area.models import PipeSection, Source, Substation
from utilitydesk.customers.models import Customer, CustomerPhone
from utilitydesk.org.models import Assignment, Position

pytestmark = pytest.mark.django_db


def test_demo_company_is_complete_and_loading_twice_duplicates_nothing():
    call_command("load_demo", "--customers", "300")
    counts = (
        Customer.objects.count(),
        CustomerPhone.objects.count(),
        get_user_model().objects.count(),
    )
    call_command("load_demo", "--customers", "300")
    assert (
        Customer.objects.count(),
        CustomerPhone.objects.count(),
        get_user_model().objects.count(),
    ) == counts
    assert counts[0] == 300
    held = set(Assignment.objects.values_list("position", flat=True))
    assert held == {p.value for p in Position}


def test_demo_logins_work(client):
    call_command("load_demo", "--customers", "20")
    from utilitydesk.demo.management.commands.load_demo import DEMO_PASSWORD

    assert client.login(username="agent", password=DEMO_PASSWORD)
    assert client.get("/customers/").status_code == 200


def test_the_demo_administrator_is_greeted_by_a_proper_name(client):
    call_command("load_demo", "--customers", "20")
    client.login(username="admin", password="demo-2026")
    html = client.get("/").content.decode()
    assert "系统管理员" in html and "管理员系统" not in html


def test_the_demo_network_has_two_heat_sources_feeding_every_substation():
    call_command("load_demo", "--customers", "20")
    # A database loaded before the network existed gets its substations attached.
    Substation.objects.update(source=None)
    call_command("load_demo", "--customers", "20")
    assert list(Source.objects.values_list("code", flat=True)) == ["HS-1", "HS-2"]
    assert not Substation.objects.filter(source__isnull=True).exists()
    assert Substation.objects.filter(source__code="HS-1").count() == 3
    assert PipeSection.objects.count() == 8
    assert PipeSection.objects.filter(to_building__isnull=False).count() == 2
