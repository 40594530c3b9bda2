from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet

from .models import AccessLog, ChangeRecord


def history_of(*instances: models.Model) -> QuerySet[ChangeRecord]:
    """Change records of the given objects, newest first."""
    condition = models.Q(pk__in=[])
    for instance in instances:
        content_type = ContentType.objects.get_for_model(instance)
        condition |= models.Q(content_type=content_type, object_id=instance.pk)
    return ChangeRecord.objects.filter(condition).select_related("actor", "content_type")


def access_log_for_customer(customer_id: int) -> QuerySet[AccessLog]:
    return AccessLog.objects.filter(customer_id=customer_id).select_related("actor")
