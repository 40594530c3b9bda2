from django.db import models
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    """The last moment a runner of background work proved it runs: the periodic job
    `kernel.heartbeat` writes it, so an old beat means the periodic jobs (Celery beat and a
    worker, or the embedded companion) have stopped; `/readyz` and `/metrics` read it."""

    name = models.CharField(_("name"), max_length=40, unique=True)
    beat_at = models.DateTimeField(_("last beat"))

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return self.name


class DataVersion(models.Model):
    """A version number set anew (at random) whenever some cached reference data changes
    (permissions, routing rules): a process keeps its copy while the number it read is the
    current one, so every process — every gunicorn worker — sees a change on its next
    request (kernel/versions.py)."""

    name = models.CharField(_("name"), max_length=40, primary_key=True)
    value = models.BigIntegerField(_("version"), default=0)

    class Meta:
        verbose_name = _("data version")
        verbose_name_plural = _("data versions")

    def __str__(self) -> str:
        return f"{self.name}: {self.value}"
