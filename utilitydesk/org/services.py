from django.contrib.auth.models import Group, Permission
from django.db import transaction

from utilitydesk.accounts.typing import Actor

from .models import Assignment, OrgUnit
from .roles import ROLE_PERMISSIONS, STAFF_POSITIONS


def sync_role_groups(using: str = "default") -> None:
    """Create one group per position and give it exactly the permissions of roles.py."""
    for position, codes in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=str(position.value))
        perms = []
        for code in codes:
            app_label, codename = code.split(".")
            perm = (
                Permission.objects.using(using)
                .filter(content_type__app_label=app_label, codename=codename)
                .first()
            )
            if perm is not None:
                perms.append(perm)
        group.permissions.set(perms)


@transaction.atomic
def assign_position(user: Actor, unit: OrgUnit, position: str) -> Assignment:
    """Give ``user`` a position in ``unit``; their groups follow their active positions."""
    assignment, created = Assignment.objects.get_or_create(
        user=user, unit=unit, position=position, defaults={"is_active": True}
    )
    if not created and not assignment.is_active:
        assignment.is_active = True
        assignment.save(update_fields=["is_active"])
    sync_user_groups(user)
    return assignment


@transaction.atomic
def end_assignment(assignment: Assignment) -> None:
    assignment.is_active = False
    assignment.save(update_fields=["is_active"])
    sync_user_groups(assignment.user)


def sync_user_groups(user: Actor) -> None:
    positions = set(
        Assignment.objects.filter(user=user, is_active=True).values_list("position", flat=True)
    )
    user.groups.set(Group.objects.filter(name__in=positions))
    is_staff = bool(positions & {p.value for p in STAFF_POSITIONS}) or user.is_superuser
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])
