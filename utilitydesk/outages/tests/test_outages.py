"""Major faults (R-306), moved from cases to the outages app: the leaders notified once,
the report texted once per linked case; a database migrated before the move keeps its
faults, their links and area, and the same people may see and act on them; cases never
imports outages."""

import ast
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from tests.factories import open_case, staff
from utilitydesk.cases.models import Case, Contact
from utilitydesk.notifications.models import Message
from utilitydesk.org.models import Position
from utilitydesk.org.services import sync_role_groups
from utilitydesk.outages import services
from utilitydesk.outages.models import MajorFault
from utilitydesk.outages.selectors import may_act_on_fault, visible_faults


@pytest.mark.django_db
def test_major_fault_notifies_leaders_once_and_shares_the_report(people, customers, org):
    dispatcher = staff("dispatcher", Position.DISPATCHER, org["centre"])
    fault = services.report_major_fault(
        actor=dispatcher,
        title="城东主管网爆管",
        occurred_at=timezone.now(),
        place="东城区阳光花园",
        symptoms="大面积停热",
        response_plan="关阀抢修",
        unit_ids=[org["east"].pk],
    )
    inbox = set(
        Message.objects.filter(channel="inbox").values_list("recipient__username", flat=True)
    )
    assert inbox == {"head_east", "gm"}
    assert Message.objects.filter(channel="inbox").first().link == f"/cases/faults/{fault.pk}/"
    case = open_case(people["agent"], customers["east"])
    services.link_case_to_fault(case.number, fault.pk, actor=dispatcher)
    note = case.events.order_by("-seq").first()
    assert note.action == "note" and note.data == {"fault_id": fault.pk}
    with pytest.raises(ValidationError):
        services.share_fault_report(fault.pk, actor=dispatcher)
    services.close_major_fault(
        fault.pk,
        actor=dispatcher,
        impact="200户",
        handling="抢修6小时",
        root_cause="管道腐蚀",
        corrective_actions="更换管段",
        preventive_actions="加强巡检",
    )
    assert services.share_fault_report(fault.pk, actor=dispatcher) == 1
    assert services.share_fault_report(fault.pk, actor=dispatcher) == 0  # once per case
    assert MajorFault.objects.get().state == "closed"


def test_cases_never_imports_outages():
    """outages sits above cases (docs/architecture.md): cases keeps the link to a fault
    as a string reference and learns the rest through cases.hooks."""
    root = Path(__file__).resolve().parents[3] / "utilitydesk" / "cases"
    offenders = []
    for path in root.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if "outages" in n]
    assert offenders == []


# --- a database migrated before the move ----------------------------------------------------


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    ContentType.objects.clear_cache()
    return MigrationExecutor(connection)  # a fresh loader: what is applied now


def _applied_state(executor: MigrationExecutor):
    graph, applied = executor.loader.graph, set(executor.loader.applied_migrations)
    leaves = [n for n in applied if not (graph.node_map[n].children & applied)]
    return executor.loader.project_state(leaves, at_end=True).apps


@pytest.mark.django_db(transaction=True)
def test_a_database_from_before_the_move_keeps_faults_links_area_and_permissions(
    people, customers, org, area
):
    case = open_case(people["agent"], customers["east"])
    # Before the move: no outages migration applied, the model is cases.MajorFault.
    before = _applied_state(_migrate([("outages", None)]))
    assert ("outages", "0001_initial") not in MigrationExecutor(
        connection
    ).loader.applied_migrations
    OldFault = before.get_model("cases", "MajorFault")
    fault = OldFault.objects.create(
        title="城东主管网爆管",
        occurred_at=timezone.now(),
        place="建设路",
        symptoms="停热",
        response_plan="关阀抢修",
        reported_by_id=people["office"].pk,
    )
    fault.units.set([org["east"].pk])
    fault.buildings.set([area["east"].pk])
    fault.substations.set([area["east"].substation_id])
    before.get_model("cases", "Case").objects.filter(pk=case.pk).update(major_fault=fault.pk)
    before.get_model("cases", "Contact").objects.filter(case_id=case.pk).update(
        major_fault=fault.pk
    )
    # The permissions were the cases app's, held by the station head's group.
    old_view = Permission.objects.get(content_type__app_label="cases", codename="view_majorfault")
    assert old_view.group_set.filter(name=Position.STATION_HEAD).exists()
    # (Content types of the app's later models, made when the test database was built,
    # stay when the app is migrated back: only the moved model's matters.)
    assert not ContentType.objects.filter(app_label="outages", model="majorfault").exists()

    executor = _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    assert not executor.migration_plan(executor.loader.graph.leaf_nodes())

    moved = MajorFault.objects.get(pk=fault.pk)
    assert moved.title == "城东主管网爆管" and moved.state == MajorFault.State.OPEN
    assert list(moved.units.all()) == [org["east"]]
    assert list(moved.buildings.all()) == [area["east"]]
    assert list(moved.substations.all()) == [area["east"].substation]
    assert list(moved.cases.all()) == [Case.objects.get(pk=case.pk)]
    assert list(moved.contacts.all()) == list(Contact.objects.filter(case=case))
    # The same Permission rows, now outages.*: the groups did not need to be synced.
    assert Permission.objects.get(pk=old_view.pk).content_type.app_label == "outages"
    assert not ContentType.objects.filter(app_label="cases", model="majorfault").exists()
    for when in ("migrated", "groups synced again"):
        head = get_user_model().objects.get(pk=people["head_east"].pk)
        assert head.has_perm("outages.view_majorfault"), when
        assert list(visible_faults(head)) == [moved] and may_act_on_fault(head, moved), when
        client = Client()
        client.force_login(head)
        assert "城东主管网爆管" in client.get("/cases/faults/").content.decode(), when
        page = client.get(f"/cases/faults/{fault.pk}/").content.decode()
        assert case.number in page, when
        sync_role_groups()


@pytest.mark.django_db(transaction=True)
def test_permissions_merge_when_both_content_types_exist(people, org):
    """post_migrate may have made outages.majorfault already: the holders of the old
    permissions get the new ones."""
    _migrate([("outages", None)])
    own = staff("someone", Position.TECHNICIAN, org["east_team"])
    own.user_permissions.add(
        Permission.objects.get(content_type__app_label="cases", codename="manage_major_fault")
    )
    new_type = ContentType.objects.create(app_label="outages", model="majorfault")
    Permission.objects.create(content_type=new_type, codename="view_majorfault", name="v")
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    head = get_user_model().objects.get(pk=people["head_east"].pk)
    someone = get_user_model().objects.get(pk=own.pk)
    assert head.has_perm("outages.view_majorfault") and head.has_perm("outages.manage_major_fault")
    assert someone.has_perm("outages.manage_major_fault")
    assert not Permission.objects.filter(
        content_type__app_label="cases", content_type__model="majorfault"
    ).exists()


@pytest.mark.django_db
def test_the_case_page_links_a_case_to_a_fault_through_the_outages_section(people, customers, org):
    dispatcher = staff("dispatcher", Position.DISPATCHER, org["centre"])
    fault = services.report_major_fault(
        actor=dispatcher,
        title="城东主管网爆管",
        occurred_at=timezone.now(),
        place="建设路",
        symptoms="停热",
        response_plan="抢修",
        unit_ids=[org["east"].pk],
    )
    case = open_case(people["agent"], customers["east"])
    client = Client()
    client.force_login(dispatcher)
    page = client.get(f"/cases/{case.number}/").content.decode()
    assert f'action="/cases/{case.number}/act/link_fault/"' in page and "关联重大故障" in page
    # People who do not manage faults are not offered the form.
    agent = Client()
    agent.force_login(people["agent"])
    assert "link_fault" not in agent.get(f"/cases/{case.number}/").content.decode()
    response = client.post(f"/cases/{case.number}/act/link_fault/", {"fault_id": fault.pk})
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.number}/"
    assert Case.objects.get(pk=case.pk).major_fault == fault
    page = client.get(f"/cases/{case.number}/").content.decode()
    assert f'href="/cases/faults/{fault.pk}/"' in page
