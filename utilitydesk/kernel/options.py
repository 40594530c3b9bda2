"""Parsing of command-line options shared by the management commands."""

from datetime import datetime

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime


def moment_option(raw: str | None, option: str, example: str) -> datetime:
    """The moment an ISO-8601 option names (Asia/Shanghai when it has no offset), or now
    when it was not given; a clear CommandError otherwise."""
    if not raw:
        return timezone.now()
    moment = parse_datetime(raw)
    if moment is None:
        raise CommandError(f"{option} must be ISO-8601, e.g. {example}")
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment
