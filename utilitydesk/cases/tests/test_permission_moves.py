"""Permissions follow a model moved between apps (cases 0015, outages 0002): whoever held
them under the old app label holds them under the new one."""

from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from tests.factories import staff
from utilitydesk.kernel.content_types import move_content_type
from utilitydesk.org.models import Position

pytestmark = pytest.mark.django_db

# What a data migration hands over that the function reads: the connection.
EDITOR = SimpleNamespace(connection=connection)


def _grant_old(user, app_label: str, model: str, codename: str) -> None:
    old_type = ContentType.objects.create(app_label=app_label, model=model)
    user.user_permissions.add(
        Permission.objects.create(content_type=old_type, codename=codename, name=codename)
    )


def test_holders_of_the_left_behind_sla_permissions_hold_the_cases_ones(org):
    person = staff("auditor", Position.SERVICE_OFFICE, org["office"])
    _grant_old(person, "sla", "casepause", "view_casepause")
    assert not get_user_model().objects.get(pk=person.pk).has_perm("cases.view_casepause")
    move_content_type(apps, EDITOR, "casepause", "sla", "cases")
    ContentType.objects.clear_cache()
    assert get_user_model().objects.get(pk=person.pk).has_perm("cases.view_casepause")
    assert not Permission.objects.filter(content_type__app_label="sla", codename="view_casepause")


def test_a_type_not_yet_made_under_the_new_label_is_renamed(org):
    person = staff("auditor", Position.SERVICE_OFFICE, org["office"])
    _grant_old(person, "sla", "ghostmodel", "view_ghostmodel")
    move_content_type(apps, EDITOR, "ghostmodel", "sla", "cases")
    ContentType.objects.clear_cache()
    assert ContentType.objects.filter(app_label="cases", model="ghostmodel").exists()
    assert get_user_model().objects.get(pk=person.pk).has_perm("cases.view_ghostmodel")
