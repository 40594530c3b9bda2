"""Satisfaction surveys (R-605): a stratified sample, answers by phone or through a
signed one-time link, and the report (docs/rates.md)."""

import random
import secrets
from collections import defaultdict
from datetime import datetime

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from utilitydesk.accounts.typing import Actor
from utilitydesk.customers.models import Customer

from .models import Answer, Member, Question, Survey, Topic

DEFAULT_QUESTIONS = [
    (Topic.HEATING_QUALITY, "您对本供暖季的供热质量（室温）是否满意？"),
    (Topic.STAFF_ATTITUDE, "您对我们工作人员的服务态度是否满意？"),
    (Topic.REPAIR_EFFICIENCY, "您对报修响应和维修效率是否满意？"),
    (Topic.FEE_COLLECTION, "您对热费收缴（缴费方式、票据）是否满意？"),
    (Topic.FREE_TEXT, "您还有什么意见或建议？"),
]
SALT = "utilitydesk.surveys.link"


def allocate(strata_sizes: dict[str, int], n: int) -> dict[str, int]:
    """Proportional allocation with largest remainders: n_h = n·N_h/N, rounded so the
    parts add up to exactly n (never more than a stratum holds)."""
    total = sum(strata_sizes.values())
    n = min(n, total)
    if total == 0 or n == 0:
        return dict.fromkeys(strata_sizes, 0)
    exact = {key: n * size / total for key, size in strata_sizes.items()}
    shares = {key: int(value) for key, value in exact.items()}
    left = n - sum(shares.values())
    for key in sorted(exact, key=lambda k: (-(exact[k] - shares[k]), k))[:left]:
        shares[key] += 1
    return shares


def stratum_of(district: str, customer_type: str) -> str:
    return f"{district}|{customer_type}"


@transaction.atomic
def create_survey(
    title: str,
    sample_size: int,
    seed: str = "",
    link_valid_days: int = 14,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> Survey:
    now = now or timezone.now()
    if not actor.has_perm("surveys.run_survey"):
        raise PermissionDenied(_("You are not allowed to run surveys."))
    if sample_size <= 0:
        raise ValidationError({"sample_size": [_("The sample needs at least one customer.")]})
    seed = seed or secrets.token_hex(4)
    population: dict[str, list[int]] = defaultdict(list)
    rows = (
        Customer.objects.filter(premises__isnull=False)
        .values_list("pk", "premises__building__community__district__name", "customer_type")
        .distinct()
        .order_by("pk")
    )
    seen = set()
    for pk, district, customer_type in rows:
        if pk not in seen:
            seen.add(pk)
            population[stratum_of(district, customer_type)].append(pk)
    quotas = allocate({key: len(ids) for key, ids in population.items()}, sample_size)
    survey = Survey.objects.create(
        title=title.strip() or _("Satisfaction survey"),
        sample_size=sum(quotas.values()),
        seed=seed,
        link_valid_days=link_valid_days,
        created_by=actor,
    )
    Question.objects.bulk_create(
        [
            Question(survey=survey, position=i, topic=t, text=text)
            for i, (t, text) in enumerate(DEFAULT_QUESTIONS)
        ]
    )
    members = []
    for key in sorted(population):
        chosen = random.Random(f"{seed}:{key}").sample(population[key], quotas[key])  # nosec B311: seeded, reproducible sample
        members += [
            Member(survey=survey, customer_id=pk, stratum=key, nonce=secrets.token_hex(8))
            for pk in sorted(chosen)
        ]
    Member.objects.bulk_create(members)
    return survey


def link_token(member: Member) -> str:
    return signing.TimestampSigner(salt=SALT).sign(f"{member.pk}.{member.nonce}")


class LinkError(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def member_for_token(token: str) -> Member:
    """The survey member a link belongs to; refuses tampered, expired and used links."""
    signer = signing.TimestampSigner(salt=SALT)
    try:
        value = signer.unsign(token)
    except signing.BadSignature:
        raise LinkError(_("This survey link is not valid.")) from None
    member_id, _sep, nonce = value.partition(".")
    member = (
        Member.objects.select_related("survey", "customer")
        .filter(pk=member_id, nonce=nonce)
        .first()
    )
    if member is None:
        raise LinkError(_("This survey link is not valid."))
    try:
        signer.unsign(token, max_age=member.survey.link_valid_days * 86400)
    except signing.SignatureExpired:
        raise LinkError(_("This survey link has expired."), status=410) from None
    if member.answered_at is not None:
        raise LinkError(_("This survey has already been answered. Thank you!"), status=410)
    return member


@transaction.atomic
def record_answers(
    member_id: int,
    answers: dict[int, str],
    via: str,
    *,
    actor: Actor | None = None,
    now: datetime | None = None,
) -> Member:
    """Answers keyed by question id: a score 1–5, or text for the comments question."""
    member = Member.objects.select_for_update().get(pk=member_id)
    if member.answered_at is not None:
        raise ValidationError(_("This survey has already been answered. Thank you!"))
    if via == "phone" and (actor is None or not actor.has_perm("surveys.run_survey")):
        raise PermissionDenied(_("You are not allowed to record survey answers."))
    rows, errors = [], {}
    for question in member.survey.questions.all():
        raw = (answers.get(question.pk) or "").strip()
        if question.is_score:
            if raw not in {"1", "2", "3", "4", "5"}:
                errors[f"q{question.pk}"] = [_("Choose a score from 1 to 5.")]
                continue
            rows.append(Answer(member=member, question=question, score=int(raw)))
        elif raw:
            rows.append(Answer(member=member, question=question, text=raw[:2000]))
    if errors:
        raise ValidationError(errors)
    Answer.objects.bulk_create(rows)
    member.answered_at, member.answered_via, member.recorded_by = now or timezone.now(), via, actor
    member.save(update_fields=["answered_at", "answered_via", "recorded_by"])
    return member
