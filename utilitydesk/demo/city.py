"""Bulk generation of a realistic customer base for benchmarks (and, later, make_city).

Deterministic for a seed; adds only what is missing, so it can be re-run."""

import random
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction

from utilitydesk.area.models import Building, Community, District, Substation
from utilitydesk.customers.models import Customer, CustomerPhone, CustomerType, Premises
from utilitydesk.customers.services import address_of

from . import names

ROOMS_PER_BUILDING = 3 * 6 * 4  # units × floors × rooms
COMMUNITY_WORDS = "阳光 幸福 锦绣 和平 翠竹 南湖 东方 金色 紫荆 丽景 春晖 盛世 滨河 秀水 书香 玉泉 长青 富康".split()  # noqa: SIM905
COMMUNITY_KINDS = ["花园", "家园", "小区", "新村", "名邸", "公寓", "雅苑", "嘉园"]


def generate_customers(
    total: int,
    seed: int = 7,
    progress: Callable[[int, int], None] | None = None,
    account_prefix: str = "8",
    batch: int = 5000,
) -> int:
    """Make sure ``total`` generated customers exist; returns how many were created."""
    existing = Customer.objects.filter(account_no__startswith=account_prefix).count()
    if existing >= total:
        return 0
    rng = random.Random(seed)
    substations = list(Substation.objects.select_related("station"))
    if not substations:
        raise RuntimeError("load the organisation first (load_demo)")
    districts = list(District.objects.all()) or [District.objects.create(name="东城区")]
    buildings_needed = -(-total // ROOMS_PER_BUILDING)
    buildings = _ensure_buildings(buildings_needed, districts, substations, rng)
    created = 0
    index = existing
    while index < total:
        upper = min(total, index + batch)
        with transaction.atomic():
            customers, premises, phones = [], [], []
            for i in range(index, upper):
                building = buildings[i // ROOMS_PER_BUILDING]
                slot = i % ROOMS_PER_BUILDING
                unit_no = str(slot // 24 + 1)
                room_no = f"{(slot % 24) // 4 + 1}0{slot % 4 + 1}"
                roll = rng.random()
                customer = Customer(
                    account_no=f"{account_prefix}{i:09d}",
                    name=names.person_name(rng),
                    customer_type=CustomerType.RESIDENT
                    if roll < 0.92
                    else (CustomerType.NON_RESIDENT if roll < 0.97 else CustomerType.COMMERCIAL),
                )
                customers.append(customer)
                premises.append(
                    Premises(
                        customer=customer,
                        building=building,
                        unit_no=unit_no,
                        room_no=room_no,
                        station=building.substation.station,
                        address_text=address_of(building, unit_no, room_no),
                        heated_area=Decimal(rng.randrange(4500, 16000)) / 100,
                    )
                )
                numbers = [names.mobile(rng)]
                if rng.random() < 0.15:
                    numbers.append(names.landline(rng))
                phones.append((customer, numbers))
            Customer.objects.bulk_create(customers)
            for p in premises:
                p.customer_id = p.customer.pk
            Premises.objects.bulk_create(premises)
            CustomerPhone.objects.bulk_create(
                [
                    CustomerPhone(customer_id=c.pk, number=n, position=k)
                    for c, numbers in phones
                    for k, n in enumerate(numbers)
                ]
            )
        created += upper - index
        index = upper
        if progress:
            progress(index, total)
    return created


def _ensure_buildings(count, districts, substations, rng) -> list[Building]:
    buildings = list(
        Building.objects.filter(name__startswith="B")
        .select_related("community__district", "substation__station")
        .order_by("pk")
    )
    per_community = 12
    while len(buildings) < count:
        n = len(buildings) // per_community
        district = districts[n % len(districts)]
        name = f"{COMMUNITY_WORDS[n % len(COMMUNITY_WORDS)]}{COMMUNITY_KINDS[(n // len(COMMUNITY_WORDS)) % len(COMMUNITY_KINDS)]}{n // 144 or ''}"
        community, _ = Community.objects.get_or_create(district=district, name=name)
        for b in range(per_community):
            building, _ = Building.objects.get_or_create(
                community=community,
                name=f"B{b + 1}号楼",
                defaults={"substation": substations[(n + b) % len(substations)]},
            )
            buildings.append(
                Building.objects.select_related("community__district", "substation__station").get(
                    pk=building.pk
                )
            )
    return buildings[:count]


def generate_open_cases(
    count: int,
    now,
    prefix: str = "BM",
    batch: int = 5000,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Bulk-create ``count`` open repair cases received just now, dispatched to their
    premises' station, with the deadlines policy v-current gives them (benchmarks)."""
    from datetime import timedelta

    from utilitydesk.cases.models import Case, CaseEvent, Channel, Kind, Status
    from utilitydesk.cases.services import creation_events
    from utilitydesk.org.models import OrgUnit
    from utilitydesk.sla import deadlines as arithmetic
    from utilitydesk.sla import services as sla
    from utilitydesk.sla.models import CaseDeadline

    policy = sla.current_policy()
    limits = sla.limits_for(policy, Kind.REPAIR, "general", False, {})
    calendar = sla.calendar(refresh=True)
    premises = list(
        Premises.objects.select_related("customer")
        .filter(station__isnull=False)
        .order_by("pk")[:count]
    )
    agent_id = None
    from django.contrib.auth import get_user_model

    agent_id = (
        get_user_model().objects.filter(username="agent").values_list("pk", flat=True).first()
    )
    units = {u.pk: u for u in OrgUnit.objects.all()}
    created = 0
    for start in range(0, len(premises), batch):
        chunk = premises[start : start + batch]
        with transaction.atomic():
            cases = []
            for index, p in enumerate(chunk, start=start):
                cases.append(
                    Case(
                        number=f"{prefix}{index:010d}",
                        kind=Kind.REPAIR,
                        channel=Channel.PHONE,
                        content="暖气不热（压测）",
                        received_at=now,
                        customer_id=p.customer_id,
                        premises=p,
                        caller_name=p.customer.name,
                        address_text=p.address_text,
                        first_responder_id=agent_id,
                        status=Status.DISPATCHED,
                        responsible_unit_id=p.station_id,
                        dispatched_at=now,
                        policy_version=policy,
                        last_event_seq=2,
                        created_at=now,
                        updated_at=now,
                        next_check_at=now + timedelta(minutes=30),
                    )
                )
            Case.objects.bulk_create(cases)
            deadlines, events = [], []
            for case in cases:
                for limit in limits:
                    due = arithmetic.compute(now, limit, calendar).due_at
                    deadlines.append(
                        CaseDeadline(
                            case=case,
                            name=limit.name,
                            due_at=due,
                            original_due_at=due,
                            amount=limit.amount,
                            unit=limit.unit,
                            warned_at=now if due - now <= timedelta(hours=1) else None,
                        )
                    )
                events += creation_events(
                    case, agent_id, now, units[case.responsible_unit_id], None
                )
            CaseDeadline.objects.bulk_create(deadlines)
            CaseEvent.objects.bulk_create(events)
        created += len(chunk)
        if progress:
            progress(created, len(premises))
    return created
