from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Topic(models.TextChoices):
    """R-605's four topics, plus free text."""

    HEATING_QUALITY = "heating_quality", _("Heating quality")
    STAFF_ATTITUDE = "staff_attitude", _("Staff attitude")
    REPAIR_EFFICIENCY = "repair_efficiency", _("Repair efficiency")
    FEE_COLLECTION = "fee_collection", _("Fee collection")
    FREE_TEXT = "free_text", _("Comments")


class Survey(models.Model):
    title = models.CharField(_("title"), max_length=200)
    sample_size = models.PositiveIntegerField(_("sample size"))
    seed = models.CharField(_("seed"), max_length=40)
    link_valid_days = models.PositiveSmallIntegerField(_("online link valid (days)"), default=14)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        ordering = ["-created_at"]
        permissions = [("run_survey", _("Can run satisfaction surveys"))]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices)
    text = models.CharField(_("question"), max_length=200)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return self.text

    @property
    def is_score(self) -> bool:
        return self.topic != Topic.FREE_TEXT


class Member(models.Model):
    """A sampled customer, in one stratum (district × customer type)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="members")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    stratum = models.CharField(_("stratum"), max_length=100)
    nonce = models.CharField(max_length=32)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_via = models.CharField(_("answered via"), max_length=10, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["stratum", "id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "customer"], name="surveys_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.survey_id}:{self.customer_id}"


class Answer(models.Model):
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "question"], name="surveys_answer_unique")
        ]

    def __str__(self) -> str:
        return f"{self.member_id}:{self.question_id}"
