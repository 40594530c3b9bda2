"""Moving a model's content type to another app label in a data migration.

A model moved between apps by a state-only migration keeps its table, but its content
type (and so its permissions) still names the old app. Renaming the content type row
keeps the same Permission rows, so every group, every person given one directly and every
admin log entry keep pointing at them. When both rows exist (post-migrate created the
new one in between), the holders of each old permission join its twin under the new type.
A fresh database has no content type yet (they are made after migrate): nothing is done."""

from typing import Any


def move_content_type(apps: Any, schema_editor: Any, model: str, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    db = schema_editor.connection.alias
    types = ContentType.objects.using(db)
    old = types.filter(app_label=source, model=model).first()
    if old is None:
        return
    new = types.filter(app_label=target, model=model).first()
    if new is None:
        old.app_label = target
        old.save(update_fields=["app_label"])
        return
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
