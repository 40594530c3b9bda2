# The permissions of major faults (view_majorfault, manage_major_fault, …) belong to the
# model's content type, named by app label: cases.majorfault becomes outages.majorfault.
# Renaming the content type row keeps the same Permission rows, so every group, every
# person given one directly and every admin log entry keep pointing at them: a migrated
# database lets the same people do the same things. A fresh database has no content type
# yet (they are made after migrate), and nothing is done.

from django.conf import settings
from django.db import migrations

MODEL = "majorfault"


def _move(apps, schema_editor, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    db = schema_editor.connection.alias
    types = ContentType.objects.using(db)
    old = types.filter(app_label=source, model=MODEL).first()
    if old is None:
        return
    new = types.filter(app_label=target, model=MODEL).first()
    if new is None:
        old.app_label = target
        old.save(update_fields=["app_label"])
        return
    # Both exist (post-migrate ran in between): the old permissions join the new type;
    # where the new type has the same codename, its holders get the old row's holders.
    perms = Permission.objects.using(db)
    for permission in perms.filter(content_type=old):
        twin = perms.filter(content_type=new, codename=permission.codename).first()
        if twin is None:
            permission.content_type = new
            permission.save(update_fields=["content_type"])
            continue
        twin.group_set.add(*permission.group_set.all())
        twin.user_set.add(*permission.user_set.all())
        permission.delete()
    # The old type stays, without permissions (admin log entries still name it).


def forwards(apps, schema_editor):
    _move(apps, schema_editor, "cases", "outages")


def backwards(apps, schema_editor):
    _move(apps, schema_editor, "outages", "cases")


class Migration(migrations.Migration):

    dependencies = [
        ("outages", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
