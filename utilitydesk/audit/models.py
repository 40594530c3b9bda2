from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    WEB = "web", _("Web")
    API = "api", _("API")
    IMPORT = "import", _("Import")
    ADMIN = "admin", _("Admin")
    SYSTEM = "system", _("System")


class ChangeRecord(models.Model):
    """One field of one record changed: who, when, old → new (R-104)."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.BigIntegerField()
    field = models.CharField(_("field"), max_length=64)
    old_value = models.TextField(_("old value"), blank=True)
    new_value = models.TextField(_("new value"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    at = models.DateTimeField(_("changed at"), default=timezone.now)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)

    class Meta:
        verbose_name = _("change record")
        verbose_name_plural = _("change records")
        indexes = [models.Index(fields=["content_type", "object_id", "at"])]
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.field}: {self.old_value} → {self.new_value}"

    def _model_field(self):
        model = self.content_type.model_class()
        try:
            return model._meta.get_field(self.field) if model else None
        except Exception:  # a field since removed from the model
            return None

    @property
    def field_label(self) -> str:
        field = self._model_field()
        if field is None:
            return self.field
        if field.is_relation and field.auto_created:
            return str(field.related_model._meta.verbose_name_plural)
        return str(field.verbose_name)

    def _display(self, value: str) -> str:
        field = self._model_field()
        choices = dict(getattr(field, "flatchoices", None) or [])
        return str(choices.get(value, value)) if choices else value

    @property
    def old_display(self) -> str:
        return self._display(self.old_value)

    @property
    def new_display(self) -> str:
        return self._display(self.new_value)


class AccessLog(models.Model):
    """Every look at or export of customers' personal data (R-105)."""

    class Action(models.TextChoices):
        VIEW = "view", _("Viewed customer record")
        LOOKUP = "lookup", _("Customer lookup")
        EXPORT = "export", _("Exported customer list")
        IMPORT = "import", _("Imported customers")
        LIST = "list", _("Listed customers")
        CASE = "case", _("Viewed case")
        PRINT = "print", _("Printed document")
        FILE = "file", _("Opened file")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("staff member"),
    )
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("personal-data access")
        verbose_name_plural = _("personal-data access log")
        indexes = [
            models.Index(fields=["customer", "at"]),
            models.Index(fields=["actor", "at"]),
        ]
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.actor} {self.action} {self.at:%Y-%m-%d %H:%M}"
