"""manage.py selfservice_account [--unit CODE]: create (or repair) the account the
household's actions are recorded as (docs/selfservice.md)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from utilitydesk.org.models import DepartmentFunction, OrgUnit
from utilitydesk.selfservice.services import create_account


class Command(BaseCommand):
    help = "Create the self-service account: a hotline agent of the service centre, no password."

    def add_arguments(self, parser):
        parser.add_argument("--unit", help="the unit's code (default: the service centre)")

    def handle(self, *args, **options):
        units = OrgUnit.objects.filter(is_active=True)
        if options["unit"]:
            unit = units.filter(code=options["unit"]).first()
        else:
            unit = units.filter(function=DepartmentFunction.SERVICE_CENTRE).order_by("pk").first()
        if unit is None:
            raise CommandError("No such unit: give --unit with the service centre's code.")
        account = create_account(unit)
        self.stdout.write(
            f"{settings.SELFSERVICE_ACTOR} (id {account.pk}): hotline agent of {unit.code}"
        )
