"""A suspected incident seen in the calls (issue 13 part 6; docs/outages.md "Seeing an
incident before anyone reports it"): imported by `models.py`, so it is a model of the
outages app like the others."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from utilitydesk.area.models import Utility


class SignalPlace(models.TextChoices):
    SUBSTATION = "substation", _("Substation")
    BUILDING = "building", _("Building")


class SignalState(models.TextChoices):
    OPEN = "open", _("To confirm")
    CONFIRMED = "confirmed", _("Confirmed")
    DISMISSED = "dismissed", _("Dismissed")


class IncidentSignal(models.Model):
    """No-supply calls from one substation (or one building) passed the policy's threshold
    within its window: the station's dispatchers and head are asked to confirm an
    interruption over that place, or to dismiss it with a reason. One open signal per
    place (`place_key`, a unique constraint); later calls only raise its count."""

    Place = SignalPlace
    State = SignalState

    place_kind = models.CharField(_("place"), max_length=12, choices=SignalPlace.choices)
    # "substation:12" or "building:34": one open signal per place.
    place_key = models.CharField(_("place key"), max_length=40)
    substation = models.ForeignKey(
        "area.Substation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("substation"),
    )
    building = models.ForeignKey(
        "area.Building",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("building"),
    )
    # The station answering for the place (who is alerted, who sees and decides it).
    station = models.ForeignKey(
        "org.OrgUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("heating station"),
    )
    utility = models.CharField(
        _("utility"), max_length=8, choices=Utility.choices, default=Utility.HEAT
    )
    calls = models.PositiveIntegerField(_("calls counted"))
    threshold = models.PositiveIntegerField(_("threshold"))
    window_minutes = models.PositiveIntegerField(_("window (minutes)"))
    first_call_at = models.DateTimeField(_("first call"))
    last_call_at = models.DateTimeField(_("last call"))
    raised_at = models.DateTimeField(_("raised at"))
    state = models.CharField(
        _("state"), max_length=10, choices=SignalState.choices, default=SignalState.OPEN
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    dismiss_reason = models.CharField(_("reason for dismissing"), max_length=500, blank=True)
    interruption = models.ForeignKey(
        "outages.Interruption",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="signals",
        verbose_name=_("interruption"),
    )

    class Meta:
        verbose_name = _("suspected incident")
        verbose_name_plural = _("suspected incidents")
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["place_key"],
                condition=models.Q(state=SignalState.OPEN),
                name="outages_signal_open_once",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        place_kind=SignalPlace.SUBSTATION,
                        substation__isnull=False,
                        building__isnull=True,
                    )
                    | models.Q(
                        place_kind=SignalPlace.BUILDING,
                        building__isnull=False,
                        substation__isnull=True,
                    )
                ),
                name="outages_signal_one_place",
            ),
        ]
        indexes = [
            # "Was this place signalled within the window?" and the list, newest first.
            models.Index(fields=["place_key", "raised_at"], name="signal_place_raised"),
            models.Index(fields=["state", "raised_at"], name="signal_state_raised"),
        ]

    def __str__(self) -> str:
        return f"{self.place_key} {self.state} {self.calls}"

    def get_absolute_url(self) -> str:
        return reverse("outages:signal", args=[self.pk])

    @property
    def place(self) -> object:
        return self.substation if self.place_kind == SignalPlace.SUBSTATION else self.building
