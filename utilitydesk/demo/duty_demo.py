"""The demo company's duty (``load_demo``): this month's roster of the 客户服务中心 —
agent on the day shifts, agent2 on the nights, sc_head the manager on duty on holidays —
published through the same checks as a real one, and two duty log entries of today."""

from datetime import timedelta
from typing import Any

from django.utils import timezone

from utilitydesk.duty import selectors, services
from utilitydesk.duty.defaults import install_default_shifts
from utilitydesk.duty.models import DutyLogEntry, DutyRole, Roster, RosterStatus, Shift
from utilitydesk.org.models import OrgUnit


def load_duty_demo(users: dict[str, Any]) -> None:
    """Idempotent: a roster already there (draft or published) and log entries already
    written are left as they are."""
    install_default_shifts(Shift)
    centre = OrgUnit.objects.filter(code="D-SC").first()
    if centre is None:
        return
    office, agent, agent2, head = (users[name] for name in ("office", "agent", "agent2", "sc_head"))
    today = timezone.localdate()
    first, last = selectors.month_bounds(today.year, today.month)
    if not Roster.objects.filter(unit=centre, period_start=first).exists():
        roster = services.create_roster(centre.pk, first, last, actor=office)
        day, night = Shift.objects.get(code="day"), Shift.objects.get(code="night")
        for shift, person in ((day, agent), (night, agent2)):
            services.add_entries(
                roster.pk,
                first_day=first,
                last_day=last,
                shift_id=shift.pk,
                person_id=person.pk,
                role=DutyRole.AGENT,
                actor=office,
            )
        for holiday in selectors.holiday_names(first, last):
            services.add_entries(
                roster.pk,
                first_day=holiday,
                shift_id=day.pk,
                person_id=head.pk,
                role=DutyRole.MANAGER,
                actor=office,
            )
        if not services.roster_problems(roster):
            services.publish_roster(roster.pk, actor=office)
    if DutyLogEntry.objects.filter(unit=centre).exists():
        return
    now = timezone.now()
    found = selectors.shift_at(now)
    writer = agent
    if (
        found is not None
        and Roster.objects.filter(unit=centre, status=RosterStatus.PUBLISHED).exists()
    ):
        on_duty = selectors.on_duty_entries(centre, *found).first()
        writer = on_duty.on_duty if on_duty is not None else agent
    for minutes, kind, text in (
        (90, "call_peak", "降温后来电明显增多，一小时内接听 46 个，暖气不热为主。"),
        (30, "equipment", "3 号坐席耳麦杂音，已换备用耳麦，报信息科维修。"),
    ):
        services.write_log_entry(
            centre.pk,
            kind=kind,
            occurred_at=now - timedelta(minutes=minutes),
            text=text,
            actor=writer,
            now=now,
        )
