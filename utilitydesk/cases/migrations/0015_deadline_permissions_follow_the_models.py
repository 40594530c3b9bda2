# Case deadlines, pauses and escalations moved from sla to cases (0011, state only): their
# content types, and so their permissions and whoever holds them, follow (decision 0003
# left them behind; docs/decisions/0004 found custom grants on them).

from django.conf import settings
from django.db import migrations

from utilitydesk.kernel.content_types import move_content_type

MODELS = ("casedeadline", "casepause", "caseescalation")


def forwards(apps, schema_editor):
    for model in MODELS:
        move_content_type(apps, schema_editor, model, "sla", "cases")


def backwards(apps, schema_editor):
    for model in MODELS:
        move_content_type(apps, schema_editor, model, "cases", "sla")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0014_settle_permission"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
