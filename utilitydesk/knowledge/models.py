from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Entry(models.Model):
    """An FAQ answer or a section of the service guide (R-205)."""

    class Kind(models.TextChoices):
        FAQ = "faq", _("FAQ")
        GUIDE = "guide", _("Service guide")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.FAQ)
    question = models.CharField(_("question / title"), max_length=200)
    answer = models.TextField(_("answer"))
    keywords = models.CharField(_("keywords"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    used_count = models.PositiveIntegerField(_("times used to answer"), default=0)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("knowledge entry")
        verbose_name_plural = _("knowledge base")
        ordering = ["-used_count", "question"]

    def __str__(self) -> str:
        return self.question


class StandardPhrase(models.Model):
    """服务用语: what staff say in a given situation."""

    situation = models.CharField(_("situation"), max_length=100)
    text = models.TextField(_("phrase"))
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("standard phrase")
        verbose_name_plural = _("standard phrases")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.situation


class ForbiddenPhrase(models.Model):
    """服务忌语: never sent to a customer (R-205, seed 003 第一章 17)."""

    text = models.CharField(_("phrase"), max_length=100, unique=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("forbidden phrase")
        verbose_name_plural = _("forbidden phrases")
        ordering = ["text"]

    def __str__(self) -> str:
        return self.text
