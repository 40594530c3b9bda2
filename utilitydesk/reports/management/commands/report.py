"""manage.py report weekly|monthly|callbacks|consultation|assessment --unit CODE --period
CODE [--now ISO] [--due]: generate and store a report (monthly = the supervision report)
and print where its files are; --due runs the schedule (every report due and not stored)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from utilitydesk.kernel.options import moment_option
from utilitydesk.org.models import OrgUnit

from ...models import Report, ReportKind
from ...services import generate, generate_due


class Command(BaseCommand):
    help = "Generate and store a report; print where its Excel and PDF files are."

    def add_arguments(self, parser):
        parser.add_argument("kind", nargs="?", choices=[k.value for k in ReportKind])
        parser.add_argument("--unit", help="the unit's code or id (default: the company)")
        parser.add_argument("--period", help="2026-W48 (weekly), 2026-11 (monthly), 2026-Q4")
        parser.add_argument("--now", help="the moment to act at, ISO-8601 (default: now)")
        parser.add_argument(
            "--due", action="store_true", help="generate every report due and not yet stored"
        )

    def handle(self, *args, **options):
        now = moment_option(options["now"], "--now", "2026-12-01T01:00")
        if options["due"]:
            reports = generate_due(now=now)
            for report in reports:
                self._print(report)
            self.stdout.write(f"{len(reports)} report(s) generated")
            return
        if not options["kind"] or not options["period"]:
            raise CommandError("Give a report kind and --period (or --due).")
        unit = self._unit(options["unit"])
        try:
            report = generate(options["kind"], unit, options["period"], actor=None, now=now)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self._print(report)

    def _unit(self, raw: str | None) -> OrgUnit:
        if not raw:
            companies = list(OrgUnit.objects.filter(kind="company", is_active=True)[:2])
            if len(companies) != 1:
                raise CommandError("Give --unit (the unit's code or id).")
            return companies[0]
        condition = Q(code=raw)
        if raw.isdecimal() and len(raw) < 19:
            condition |= Q(pk=int(raw))
        unit = OrgUnit.objects.filter(condition).first()
        if unit is None:
            raise CommandError(f"No unit with code or id {raw!r}.")
        return unit

    def _print(self, report: Report) -> None:
        self.stdout.write(
            f"{report.get_kind_display()} {report.unit.code} {report.period} "
            f"(revision {report.revision}, report {report.pk})\n"
            f"  Excel: {report.xlsx.path}\n"
            f"  PDF:   {report.pdf.path}"
        )
