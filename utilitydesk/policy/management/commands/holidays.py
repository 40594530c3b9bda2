import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from utilitydesk.policy import services
from utilitydesk.policy.calendar_files import read_calendar_file
from utilitydesk.policy.defaults import install_builtin_calendar
from utilitydesk.policy.models import CalendarDay, CalendarYear


class Command(BaseCommand):
    help = (
        "The working-day calendar: import a year's schedule, show a year, load the built-in years."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        importing = sub.add_parser("import", help="load whole years from a CSV or JSON file")
        importing.add_argument("file")
        show = sub.add_parser("show", help="print a year's holidays and make-up working days")
        show.add_argument("year", type=int)
        sub.add_parser("load-builtin", help="load every year the chinese-calendar package knows")

    def handle(self, *args, **options):
        if options["action"] == "import":
            path = Path(options["file"])
            if not path.exists():
                raise CommandError(f"{path} does not exist")
            try:
                rows, years = read_calendar_file(path.read_bytes(), path.name)
                recomputed = services.import_calendar(rows, years, actor=None, source=path.name)
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from None
            self.stdout.write(
                json.dumps(
                    {
                        "years": sorted(years),
                        "days": len(rows),
                        "provisional_deadlines_recomputed": recomputed,
                    }
                )
            )
        elif options["action"] == "show":
            year = options["year"]
            known = CalendarYear.objects.filter(year=year).first()
            days = [
                {"date": d.date.isoformat(), "kind": d.kind, "name": d.name}
                for d in CalendarDay.objects.filter(date__year=year)
            ]
            self.stdout.write(
                json.dumps(
                    {
                        "year": year,
                        "loaded": bool(known),
                        "source": known.source if known else None,
                        "days": days,
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
        else:
            years = install_builtin_calendar(CalendarYear, CalendarDay)
            services.calendar(refresh=True)
            self.stdout.write(json.dumps({"loaded_years": years}))
