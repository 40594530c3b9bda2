import os

import factory
from django.contrib.auth import get_user_model

from utilitydesk.area.models import Building, Community, District, Grid, Substation
from utilitydesk.customers.models import Customer, CustomerPhone, Premises
from utilitydesk.customers.services import address_of
from utilitydesk.org.models import OrgUnit, UnitKind
from utilitydesk.org.services import assign_position


def is_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"U{n}")
    name = factory.Sequence(lambda n: f"单位{n}")
    kind = UnitKind.DEPARTMENT


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "小明"
    last_name = "王"
    password = factory.django.Password("pw-for-tests-1")


def staff(username: str, position: str, unit: OrgUnit):
    user = UserFactory(username=username)
    assign_position(user, unit, position)
    return get_user_model().objects.get(pk=user.pk)


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District
        django_get_or_create = ("name",)

    name = "东城区"


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community
        django_get_or_create = ("district", "name")

    district = factory.SubFactory(DistrictFactory)
    name = "阳光花园"


class SubstationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Substation
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"H{n}")
    name = factory.Sequence(lambda n: f"{n}号换热站")
    station = factory.SubFactory(UnitFactory, kind=UnitKind.STATION)


class GridFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Grid
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"G{n}")
    name = factory.Sequence(lambda n: f"第{n}网格")
    station = factory.SubFactory(UnitFactory, kind=UnitKind.STATION)


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Building
        django_get_or_create = ("community", "name")

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"{n + 1}号楼")
    substation = factory.SubFactory(SubstationFactory)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    account_no = factory.Sequence(lambda n: f"9{n:07d}")
    name = factory.Sequence(lambda n: f"张{n}")


def make_customer(building: Building, room: str, phones=("13812345678",), unit: str = "1", **kw):
    customer = CustomerFactory(**kw)
    for i, number in enumerate(phones):
        CustomerPhone.objects.create(customer=customer, number=number, position=i)
    Premises.objects.create(
        customer=customer,
        building=building,
        unit_no=unit,
        room_no=room,
        station=building.station,
        address_text=address_of(building, unit, room),
        heated_area="88.50",
    )
    return customer


def open_case(agent, customer, kind: str = "repair", content: str = "暖气不热", now=None, **kw):
    """A case opened through intake the way an agent does it."""
    from utilitydesk.cases import services

    data = services.ContactInput(
        channel=kw.pop("channel", "phone"),
        kind=kind,
        content=content,
        customer_id=customer.pk,
        allow_duplicate=kw.pop("allow_duplicate", True),
        **kw,
    )
    return services.create_contact(data, actor=agent, now=now).case


def settled_deadline(case, name: str, *, late: bool = False, breached: bool = False):
    """A 24-hour deadline of ``case`` already settled: met an hour early (or, ``late``, an
    hour after it was due) or breached at its due time — the rows KPIs count."""
    from datetime import timedelta
    from decimal import Decimal

    from utilitydesk.cases.deadline_models import CaseDeadline

    due = case.received_at + timedelta(hours=24)
    return CaseDeadline.objects.create(
        case=case,
        name=name,
        due_at=due,
        original_due_at=due,
        amount=Decimal(24),
        unit="hours",
        state=CaseDeadline.State.BREACHED if breached else CaseDeadline.State.MET,
        met_at=None if breached else due + timedelta(hours=1 if late else -1),
        breached_at=due if breached else None,
    )
