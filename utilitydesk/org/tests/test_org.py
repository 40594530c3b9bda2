import pytest
from django.contrib.auth.models import Group

from utilitydesk.org.models import Position
from utilitydesk.org.roles import ROLE_PERMISSIONS
from utilitydesk.org.selectors import holders_of, station_scope
from utilitydesk.org.services import assign_position, end_assignment

pytestmark = pytest.mark.django_db


def test_every_position_is_a_group_with_its_permissions(db):
    assert set(Group.objects.values_list("name", flat=True)) >= {p.value for p in Position}
    for position, codes in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=position.value)
        granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        assert granted == set(codes), position


def test_a_person_can_hold_positions_in_several_units(people, org):
    head = people["head_east"]
    assign_position(head, org["east_team"], Position.TEAM_LEADER)
    assert set(head.groups.values_list("name", flat=True)) == {"station_head", "team_leader"}
    assert station_scope(type(head).objects.get(pk=head.pk)) == {org["east"].pk}


def test_ending_an_assignment_removes_its_permissions(people):
    assignment = people["agent"].assignments.get()
    end_assignment(assignment)
    agent = type(people["agent"]).objects.get(pk=people["agent"].pk)
    assert not agent.has_perm("customers.view_customer")


def test_holders_are_found_at_the_unit_or_above(people, org):
    assert holders_of(Position.STATION_HEAD, org["east_team"]) == [people["head_east"]]
    assert holders_of(Position.GENERAL_MANAGER, org["east_team"]) == [people["gm"]]
    assert holders_of(Position.PARENT_GM, org["east_team"]) == []
