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
