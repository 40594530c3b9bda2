"""The 供热管网 page: source › substation › building › unit with households counted by
grouped queries, children loaded when a node is opened, scope and permissions."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import BuildingFactory, CommunityFactory, make_customer, staff
from utilitydesk.area.models import Source, Substation
from utilitydesk.org.models import Position

from .workbooks import GOOD, write_workbook

pytestmark = pytest.mark.django_db


def web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def network(org, area, customers):
    """Heat source HS-1 feeds H-E (城东, 1号楼: two customers, one with two premises) and
    H-W (城西, 9号楼: one customer); H-X (城东) is fed by no recorded source."""
    heat = Source.objects.create(code="HS-1", name="临河热电厂")
    Source.objects.create(code="GS-1", name="东郊燃气门站", utility="gas")
    Substation.objects.filter(code__in=["H-E", "H-W"]).update(source=heat)
    second = make_customer(area["east"], "102", unit="2", name="王芳")
    make_customer(area["east"], "201", unit="2", name="赵四")
    # One customer with two premises in the same building counts once.
    from utilitydesk.customers.models import Premises

    Premises.objects.create(
        customer=second,
        building=area["east"],
        unit_no="2",
        room_no="103",
        station=org["east"],
        address_text="东城区阳光花园1号楼2单元103",
        heated_area="50",
    )
    loose = Substation.objects.create(code="H-X", name="东城临时站", station=org["east"])
    BuildingFactory(community=CommunityFactory(name="幸福里"), name="7号楼", substation=loose)
    return {"heat": heat, "loose": loose}


def counts(html: str, node: str) -> tuple[int, int]:
    block = html.split(f'data-node="{node}"', 1)[1]
    premises = int(re.search(r'data-premises="(\d+)"', block)[1])
    customers = int(re.search(r'data-customers="(\d+)"', block)[1])
    return premises, customers


def test_the_roots_are_sources_with_households_counted_and_children_not_loaded(network, people):
    dispatcher = staff("dispatcher", Position.DISPATCHER, people["agent"].assignments.get().unit)
    html = web(dispatcher).get("/network/").content.decode()
    assert "供热管网" in html and "临河热电厂" in html and "东郊燃气门站" in html
    heat = network["heat"]
    # 1号楼: 李雷 (101), 王芳 (102 and 103), 赵四 (201); 9号楼: 韩梅梅.
    assert counts(html, f"source-{heat.pk}") == (5, 4)
    assert "2 个换热站" in html
    assert "未接入热源" in html and counts(html, "unlinked-none") == (0, 0)
    # Substations and buildings are not on the page until their source is opened.
    assert "H-E" not in html and "阳光花园" not in html
    assert f'hx-get="/network/source/{heat.pk}/children/"' in html
    assert 'hx-trigger="toggle once"' in html


def test_opening_nodes_loads_substations_buildings_and_units(network, people, area):
    client = web(people["gm"])
    heat = network["heat"]
    html = client.get(f"/network/source/{heat.pk}/children/").content.decode()
    east = Substation.objects.get(code="H-E")
    assert "H-E" in html and "H-W" in html and "城东供热所" in html
    assert counts(html, f"substation-{east.pk}") == (4, 3)
    html = client.get(f"/network/substation/{east.pk}/children/").content.decode()
    assert "阳光花园" in html and counts(html, f"building-{area['east'].pk}") == (4, 3)
    assert "2 个单元" in html
    html = client.get(f"/network/building/{area['east'].pk}/children/").content.decode()
    assert "1单元" in html and "2单元" in html
    assert re.findall(r'data-premises="(\d+)"', html) == ["1", "3"]
    html = client.get("/network/unlinked/children/").content.decode()
    assert "H-X" in html and "东城临时站" in html
    assert client.get("/network/nonsense/1/children/").status_code == 404


def test_a_level_is_counted_in_a_fixed_number_of_queries(network, people, org):
    client = web(people["gm"])
    heat = network["heat"]
    client.get("/network/")  # warm the session and the permission cache

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    before = queries(f"/network/source/{heat.pk}/children/")
    for n in range(10):
        substation = Substation.objects.create(
            code=f"H-N{n}", name=f"新站{n}", station=org["west"], source=heat
        )
        building = BuildingFactory(name=f"N{n}号楼", substation=substation)
        make_customer(building, "101")
    assert queries(f"/network/source/{heat.pk}/children/") == before
    roots = queries("/network/")
    Source.objects.create(code="HS-3", name="第三热源")
    assert queries("/network/") == roots


def test_filter_by_utility_and_search_by_code_or_name(network, people):
    client = web(people["gm"])
    html = client.get("/network/?utility=gas").content.decode()
    assert "东郊燃气门站" in html and "临河热电厂" not in html
    html = client.get("/network/?q=H-W").content.decode()
    assert "H-W" in html and "城西供热所" in html and "H-E" not in html
    html = client.get("/network/?q=阳光").content.decode()
    assert "阳光花园" in html


def test_a_station_head_sees_only_the_substations_of_their_station(network, people, org):
    client = web(people["head_east"])
    heat = network["heat"]
    html = client.get("/network/").content.decode()
    assert counts(html, f"source-{heat.pk}") == (4, 3)  # 9号楼 of 城西 left out
    assert "东郊燃气门站" not in html  # feeds nothing of theirs
    html = client.get(f"/network/source/{heat.pk}/children/").content.decode()
    assert "H-E" in html and "H-W" not in html
    west = Substation.objects.get(code="H-W")
    assert client.get(f"/network/substation/{west.pk}/children/").status_code == 404


def test_technicians_may_not_open_the_network(network, people, area):
    client = web(people["tech"])
    assert client.get("/network/").status_code == 403
    assert client.get(f"/network/building/{area['east'].pk}/children/").status_code == 403
    assert client.get("/network/import/").status_code == 403
    assert 'href="/network/"' not in client.get("/customers/").content.decode()


def test_the_menu_offers_the_network_to_those_who_may_see_it(people):
    assert 'href="/network/"' in web(people["head_east"]).get("/customers/").content.decode()


def test_dispatchers_upload_the_workbook_and_read_the_row_report(tmp_path, people, org):
    dispatcher = staff("dispatcher", Position.DISPATCHER, org["centre"])
    client = web(dispatcher)
    assert client.get("/network/import/").status_code == 200
    template = client.get("/network/import/template.xlsx")
    assert template.status_code == 200 and template.content.startswith(b"PK")
    bad = {**GOOD, "楼宇": [*GOOD["楼宇"], ["东城区", "阳光花园", "8号楼", "H-404"]]}
    with write_workbook(tmp_path / "bad.xlsx", bad).open("rb") as upload:
        html = client.post("/network/import/", {"file": upload}).content.decode()
    assert "未写入任何内容" in html and "H-404" in html and "<td>5</td>" in html
    assert not Source.objects.exists()
    with write_workbook(tmp_path / "net.xlsx", GOOD).open("rb") as upload:
        html = client.post("/network/import/", {"file": upload, "dry_run": "on"}).content.decode()
    assert "仅检查" in html and not Source.objects.exists()
    with write_workbook(tmp_path / "net.xlsx", GOOD).open("rb") as upload:
        html = client.post("/network/import/", {"file": upload}).content.decode()
    assert "管网已导入" in html and Source.objects.count() == 3


def test_the_service_office_sees_the_network_but_does_not_import_it(people):
    client = web(people["office"])
    assert client.get("/network/").status_code == 200
    assert client.get("/network/import/").status_code == 403
    assert client.get("/network/import/template.xlsx").status_code == 403
