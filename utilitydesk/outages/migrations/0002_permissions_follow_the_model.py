# The permissions of major faults (view_majorfault, manage_major_fault, …) belong to the
# model's content type, named by app label: cases.majorfault becomes outages.majorfault.
# Renaming the content type row keeps the same Permission rows, so every group, every
# person given one directly and every admin log entry keep pointing at them: a migrated
# database lets the same people do the same things. A fresh database has no content type
# yet (they are made after migrate), and nothing is done.

from django.conf import settings
from django.db import migrations

from utilitydesk.kernel.content_types import move_content_type

MODEL = "majorfault"


def forwards(apps, schema_editor):
    move_content_type(apps, schema_editor, MODEL, "cases", "outages")


def backwards(apps, schema_editor):
    move_content_type(apps, schema_editor, MODEL, "outages", "cases")


class Migration(migrations.Migration):

    dependencies = [
        ("outages", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
