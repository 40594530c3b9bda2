from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from utilitydesk.accounts.typing import Actor

from .models import ChangeRecord


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, models.Model):
        return str(value.pk)
    return str(value)


def diff_values(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """Fields whose text form differs between two snapshots: {field: (old, new)}."""
    changed: dict[str, tuple[str, str]] = {}
    for field, new in after.items():
        old_text, new_text = _as_text(before.get(field)), _as_text(new)
        if old_text != new_text:
            changed[field] = (old_text, new_text)
    return changed


def change_records_for(
    instance: models.Model,
    changes: Mapping[str, tuple[str, str]],
    source: str,
    at: datetime | None = None,
    *,
    actor: Actor | None,
    now: datetime | None = None,
) -> list[ChangeRecord]:
    """Unsaved ChangeRecord rows for ``changes`` (callers bulk-create them)."""
    content_type = ContentType.objects.get_for_model(instance)
    at = at or now or timezone.now()
    return [
        ChangeRecord(
            content_type=content_type,
            object_id=instance.pk,
            field=field,
            old_value=old,
            new_value=new,
            actor=actor,
            source=source,
            at=at,
        )
        for field, (old, new) in changes.items()
    ]


def record_changes(
    instance: models.Model,
    changes: Mapping[str, tuple[str, str]],
    source: str,
    *,
    actor: Actor | None,
    now: datetime | None = None,
) -> list[ChangeRecord]:
    now = now or timezone.now()
    return ChangeRecord.objects.bulk_create(
        change_records_for(instance, changes, source, at=now, actor=actor)
    )
