"""A synthetic city at realistic volumes (``make_city``, ``make bench``).

Deterministic for a seed. Rows are written with COPY on PostgreSQL (executemany
elsewhere) with ids handed out here, so a million customers and millions of cases load in
minutes. Each step adds only what is missing, so a run can be repeated or enlarged."""

import bisect
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from utilitydesk.area.models import (
    Building,
    Community,
    District,
    Grid,
    PipeSection,
    Source,
    Substation,
    Utility,
)
from utilitydesk.cases.models import CaseDeadline
from utilitydesk.cases.services import case_number, route
from utilitydesk.customers.models import (
    Customer,
    CustomerPhone,
    CustomerType,
    Grade,
    Premises,
    SpecialCare,
)
from utilitydesk.kernel.bulk import IdBlock, RowWriter, analyze, fast_load, fix_sequences
from utilitydesk.org.models import OrgUnit, Position, UnitKind
from utilitydesk.org.services import assign_position
from utilitydesk.policy.models import warning_lead

from . import names

ROOMS_PER_BUILDING = 3 * 6 * 4  # units × floors × rooms
BUILDINGS_PER_COMMUNITY = 12
CUSTOMERS_PER_STATION = 60_000
# About one heat source (热源) per 100,000 customers; substations are spread over them.
CUSTOMERS_PER_SOURCE = 100_000
SOURCE_KINDS = ["热电厂", "锅炉房", "热源厂"]
COMMUNITY_WORDS = "阳光 幸福 锦绣 和平 翠竹 南湖 东方 金色 紫荆 丽景 春晖 盛世 滨河 秀水 书香 玉泉 长青 富康".split()  # noqa: SIM905
COMMUNITY_KINDS = ["花园", "家园", "小区", "新村", "名邸", "公寓", "雅苑", "嘉园"]
STATION_PLACES = "北郊 河西 新区 高新 滨江 港口 老城 铁西 城北 湖东 金山 龙泉 桃园 石桥 花溪 红旗 长安 平安 前进 胜利 光明 建设 文化 友谊".split()  # noqa: SIM905
EXTRA_DISTRICTS = ["北城区", "高新区", "滨江区", "经开区", "河西区"]

# Share of historical cases by kind and channel (a heating company's hotline in season).
KIND_MIX = [
    ("repair", 0.44),
    ("temperature", 0.14),
    ("consultation", 0.19),
    ("fee", 0.09),
    ("complaint", 0.05),
    ("suggestion", 0.05),
    ("praise", 0.04),
]
CHANNEL_MIX = [
    ("phone", 0.78),
    ("wechat", 0.08),
    ("gov_12345", 0.05),
    ("web", 0.04),
    ("walk_in", 0.03),
    ("letter", 0.01),
    ("email", 0.01),
]
CONTENT = {
    "repair": [
        "暖气片不热，上半部分凉",
        "阀门漏水，地板湿了",
        "暖气时冷时热",
        "卫生间暖气片不热",
        "楼道管道漏水",
        "暖气有异响",
    ],
    "temperature": ["屋里只有16度，申请测温", "家里温度低，老人怕冷", "卧室温度不到18度"],
    "consultation": ["咨询供暖开始时间", "咨询报停手续", "咨询维修是否收费", "咨询热费标准"],
    "fee": ["热费账单有疑问", "缴费后仍显示欠费", "咨询面积计费"],
    "complaint": ["维修人员未按约定上门", "多次报修仍不热", "服务态度差", "收费不合理"],
    "suggestion": ["建议增加网上缴费方式", "建议提前通知停热"],
    "praise": ["表扬维修师傅服务周到", "感谢及时抢修"],
}
FIELD_KINDS = {"repair", "temperature"}
# Calls by local hour of day: mornings and evenings after work are busiest.
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 4, 8, 12, 12, 10, 8, 6, 7, 8, 8, 8, 9, 10, 11, 10, 7, 4, 2]


class Progress:
    """What the generator reports to: ``start(label, total)`` then ``advance(n)``."""

    def start(self, label: str, total: int) -> None:
        pass

    def advance(self, n: int) -> None:
        pass

    def finish(self) -> None:
        pass


@dataclass
class CityReport:
    stations: int = 0
    sources: int = 0
    customers: int = 0
    cases: int = 0
    open_cases: int = 0
    measurements: int = 0


def _choices(mix: list[tuple[str, float]]) -> tuple[list[str], list[float]]:
    labels = [label for label, _ in mix]
    cumulative, total = [], 0.0
    for _, weight in mix:
        total += weight
        cumulative.append(total)
    return labels, [c / total for c in cumulative]


def _pick(rng: random.Random, table: tuple[list[str], list[float]]) -> str:
    labels, cumulative = table
    return labels[min(bisect.bisect_left(cumulative, rng.random()), len(labels) - 1)]


# --- organisation and area ---------------------------------------------------------------


def expand_organisation(stations_wanted: int, seed: int = 7) -> list[OrgUnit]:
    """Make sure ``stations_wanted`` stations exist, each with two repair teams, a head,
    team leaders, technicians, eight substations and four grids. Needs ``load_demo``."""
    company = OrgUnit.objects.filter(kind=UnitKind.COMPANY).order_by("pk").first()
    if company is None:
        raise RuntimeError("load the organisation first (load_demo)")
    stations = list(OrgUnit.objects.filter(kind=UnitKind.STATION).order_by("pk"))
    password = make_password("demo-2026")
    User = get_user_model()
    rng = random.Random(seed)  # nosec B311: synthetic city
    index = len(stations)
    with transaction.atomic():
        while len(stations) < stations_wanted:
            index += 1
            code = f"ST-{index:02d}"
            place = STATION_PLACES[(index - 4) % len(STATION_PLACES)]
            station, _ = OrgUnit.objects.get_or_create(
                code=code,
                defaults={
                    "name": f"{place}供热所"
                    if index - 4 < len(STATION_PLACES)
                    else f"{place}{index}供热所",
                    "kind": UnitKind.STATION,
                    "parent": company,
                },
            )
            stations.append(station)
            people = []
            for role, position, unit_code in (
                ("head", Position.STATION_HEAD, code),
                ("lead1", Position.TEAM_LEADER, f"{code}-T1"),
                ("lead2", Position.TEAM_LEADER, f"{code}-T2"),
                *[
                    (f"tech{t}{n}", Position.TECHNICIAN, f"{code}-T{t}")
                    for t in (1, 2)
                    for n in (1, 2, 3)
                ],
            ):
                if unit_code != code:
                    OrgUnit.objects.get_or_create(
                        code=unit_code,
                        defaults={
                            "name": f"{station.name}维修{unit_code[-1]}班",
                            "kind": UnitKind.TEAM,
                            "parent": station,
                        },
                    )
                name = names.person_name(rng)
                user, created = User.objects.get_or_create(
                    username=f"{code.lower()}-{role}",
                    defaults={"first_name": name[1:], "last_name": name[0], "password": password},
                )
                assign_position(user, OrgUnit.objects.get(code=unit_code), position)
                people.append(user)
        for station in stations:
            existing = Substation.objects.filter(station=station).count()
            Substation.objects.bulk_create(
                [
                    Substation(
                        code=f"{station.code}-H{n}",
                        name=f"{station.name[:2]}{n}号换热站",
                        station=station,
                    )
                    for n in range(existing + 1, 9)
                ]
            )
            leader = (
                User.objects.filter(
                    assignments__unit__parent=station, assignments__position=Position.TEAM_LEADER
                )
                .order_by("pk")
                .first()
            )
            existing = Grid.objects.filter(station=station).count()
            Grid.objects.bulk_create(
                [
                    Grid(
                        code=f"{station.code}-G{n}",
                        name=f"{station.name[:2]}第{n}网格",
                        station=station,
                        responsible=leader,
                    )
                    for n in range(existing + 1, 5)
                ]
            )
        agents = User.objects.filter(username__startswith="agent").count()
        service_centre = OrgUnit.objects.filter(code="D-SC").first()
        if service_centre:
            for n in range(agents + 1, max(agents, stations_wanted * 2) + 1):
                name = names.person_name(rng)
                user, _ = User.objects.get_or_create(
                    username=f"agent{n:02d}",
                    defaults={"first_name": name[1:], "last_name": name[0], "password": password},
                )
                assign_position(user, service_centre, Position.AGENT)
    return stations[:stations_wanted] if stations_wanted else stations


def attach_sources(customers: int) -> int:
    """Make sure there is about one heat source per CUSTOMERS_PER_SOURCE customers (at
    least the demo's two) and that every substation is fed by one: substations without a
    source are given, in station order, to the sources feeding the fewest, so each source
    feeds neighbouring stations and about the same number of households. Each substation
    gets the pipe section from its source. Returns the number of heat sources."""
    wanted = max(2, -(-customers // CUSTOMERS_PER_SOURCE))
    sources = list(Source.objects.filter(utility=Utility.HEAT).order_by("pk"))
    with transaction.atomic():
        taken = set(Source.objects.values_list("code", flat=True))
        fresh: list[Source] = []
        n = len(sources)
        while len(sources) + len(fresh) < wanted:
            n += 1
            code = f"HS-{n}"
            if code in taken:
                continue
            place = STATION_PLACES[(n - 1) % len(STATION_PLACES)]
            fresh.append(
                Source(
                    code=code,
                    name=f"{place}{SOURCE_KINDS[n % len(SOURCE_KINDS)]}",
                    utility=Utility.HEAT,
                    description="合成城市",
                )
            )
        sources += Source.objects.bulk_create(fresh)
        loose = list(
            Substation.objects.filter(source__isnull=True, kind=Substation.Kind.HEAT_EXCHANGE)
            .order_by("station_id", "pk")
            .values_list("pk", flat=True)
        )
        fed = dict(
            Substation.objects.filter(source__in=sources)
            .values("source_id")
            .annotate(n=Count("id"))
            .values_list("source_id", "n")
        )
        total = sum(fed.values()) + len(loose)
        share = -(-total // len(sources))
        given: dict[int, list[int]] = {}
        queue = list(loose)
        for source in sources:
            room = max(0, share - fed.get(source.pk, 0))
            given[source.pk], queue = queue[:room], queue[room:]
        for index, substation_id in enumerate(queue):  # rounding leftovers
            given[sources[index % len(sources)].pk].append(substation_id)
        for source_id, ids in given.items():
            if ids:
                Substation.objects.filter(pk__in=ids).update(source_id=source_id)
        piped = set(
            PipeSection.objects.filter(to_substation__isnull=False).values_list(
                "to_substation_id", flat=True
            )
        )
        codes = set(PipeSection.objects.values_list("code", flat=True))
        rows = Substation.objects.filter(source__isnull=False).values_list(
            "pk", "code", "source_id"
        )
        PipeSection.objects.bulk_create(
            [
                PipeSection(
                    code=f"PS-{code}",
                    utility=Utility.HEAT,
                    from_source_id=source_id,
                    to_substation_id=pk,
                    diameter_mm=(300, 400, 500)[pk % 3],
                    length_m=Decimal(800 + (pk * 137) % 4000),
                    laid_year=2000 + pk % 24,
                )
                for pk, code, source_id in rows
                if pk not in piped and f"PS-{code}" not in codes
            ],
            batch_size=1000,
        )
    return len(sources)


def _ensure_buildings(count: int) -> list[tuple[int, int, int, str]]:
    """Generated buildings (name starts with "B"): (id, station id, grid id, address prefix)."""
    stations = list(OrgUnit.objects.filter(kind=UnitKind.STATION).order_by("pk"))
    substations = {
        s.pk: list(Substation.objects.filter(station=s).order_by("pk")) for s in stations
    }
    grids = {s.pk: list(Grid.objects.filter(station=s).order_by("pk")) for s in stations}
    districts = list(District.objects.order_by("pk"))
    for name in EXTRA_DISTRICTS:
        if len(districts) >= max(3, len(stations) // 3):
            break
        districts.append(District.objects.get_or_create(name=name)[0])
    existing = Building.objects.filter(name__startswith="B").count()
    n = existing // BUILDINGS_PER_COMMUNITY
    with transaction.atomic():
        while existing < count:
            station = stations[n % len(stations)]
            district = districts[(n % len(stations)) % len(districts)]
            words = COMMUNITY_WORDS[n % len(COMMUNITY_WORDS)]
            kind = COMMUNITY_KINDS[(n // len(COMMUNITY_WORDS)) % len(COMMUNITY_KINDS)]
            suffix = n // (len(COMMUNITY_WORDS) * len(COMMUNITY_KINDS)) or ""
            community, _ = Community.objects.get_or_create(
                district=district, name=f"{words}{kind}{suffix}"
            )
            subs, station_grids = substations[station.pk], grids[station.pk]
            Building.objects.bulk_create(
                [
                    Building(
                        community=community,
                        name=f"B{b + 1}号楼",
                        substation=subs[(n + b) % len(subs)],
                        grid=station_grids[(n + b) % len(station_grids)] if station_grids else None,
                    )
                    for b in range(BUILDINGS_PER_COMMUNITY)
                ]
            )
            existing += BUILDINGS_PER_COMMUNITY
            n += 1
    rows = (
        Building.objects.filter(name__startswith="B")
        .order_by("pk")
        .values_list(
            "pk",
            "substation__station_id",
            "grid_id",
            "community__district__name",
            "community__name",
            "name",
        )[:count]
    )
    return [(pk, st, grid, f"{d}{c}{b}") for pk, st, grid, d, c, b in rows]


# --- customers ---------------------------------------------------------------------------


def generate_customers(
    total: int,
    seed: int = 7,
    progress: Callable[[int, int], None] | None = None,
    account_prefix: str = "8",
) -> int:
    """Make sure ``total`` generated customers exist (accounts ``8…``); returns how many
    were created. Each has one premises in a generated building and one or two phones."""
    existing = Customer.objects.filter(account_no__startswith=account_prefix).count()
    if existing >= total:
        return 0
    if not Substation.objects.exists():
        raise RuntimeError("load the organisation first (load_demo)")
    buildings = _ensure_buildings(-(-total // ROOMS_PER_BUILDING))
    rng = random.Random(seed * 1_000_003 + existing)  # nosec B311: synthetic city
    now = timezone.now()
    customer_ids, premises_ids, phone_ids = (
        IdBlock(Customer),
        IdBlock(Premises),
        IdBlock(CustomerPhone),
    )
    chunk = 50_000
    index = existing
    while index < total:
        upper = min(total, index + chunk)
        with (
            transaction.atomic(),
            RowWriter(Customer) as customers,
            RowWriter(Premises) as premises,
            RowWriter(CustomerPhone) as phones,
        ):
            for i in range(index, upper):
                building_id, station_id, _grid, prefix = buildings[i // ROOMS_PER_BUILDING]
                slot = i % ROOMS_PER_BUILDING
                unit_no = str(slot // 24 + 1)
                room_no = f"{(slot % 24) // 4 + 1}0{slot % 4 + 1}"
                roll = rng.random()
                customer_type = (
                    CustomerType.RESIDENT
                    if roll < 0.92
                    else (CustomerType.NON_RESIDENT if roll < 0.97 else CustomerType.COMMERCIAL)
                )
                customer_id = customer_ids.take()
                customers.write(
                    id=customer_id,
                    account_no=f"{account_prefix}{i:09d}",
                    name=names.person_name(rng),
                    customer_type=customer_type,
                    grade=Grade.VIP if rng.random() < 0.01 else Grade.GENERAL,
                    special_care=rng.choice(
                        [SpecialCare.ELDERLY, SpecialCare.SICK, SpecialCare.DISABLED]
                    )
                    if rng.random() < 0.03
                    else SpecialCare.NONE,
                    long_term_since=date(2020 + rng.randrange(6), 1 + rng.randrange(12), 1)
                    if customer_type == CustomerType.COMMERCIAL and rng.random() < 0.3
                    else None,
                    created_at=now,
                    updated_at=now,
                )
                premises.write(
                    id=premises_ids.take(),
                    customer_id=customer_id,
                    building_id=building_id,
                    unit_no=unit_no,
                    room_no=room_no,
                    station_id=station_id,
                    address_text=f"{prefix}{unit_no}单元{room_no}室",
                    heated_area=Decimal(rng.randrange(4500, 16000)) / 100,
                )
                phones.write(
                    id=phone_ids.take(),
                    customer_id=customer_id,
                    number=names.mobile(rng),
                    position=0,
                )
                if rng.random() < 0.15:
                    phones.write(
                        id=phone_ids.take(),
                        customer_id=customer_id,
                        number=names.landline(rng),
                        position=1,
                    )
        if progress:
            progress(upper, total)
        index = upper
    fix_sequences([Customer, Premises, CustomerPhone])
    return total - existing


# --- cases -------------------------------------------------------------------------------


@dataclass
class _Place:
    premises_id: int
    customer_id: int
    station_id: int
    grid_id: int | None
    address: str
    name: str
    grade: str
    phone: str

    def case_fields(self) -> dict:
        """The case columns that come from the caller's account and premises."""
        return {
            "customer_id": self.customer_id,
            "premises_id": self.premises_id,
            "caller_name": self.name,
            "caller_phone": self.phone,
            "address_text": self.address,
        }


def _places() -> list[_Place]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.id, p.customer_id, p.station_id, b.grid_id, p.address_text, c.name, c.grade, "
            "COALESCE(ph.number, '') FROM customers_premises p "
            "JOIN customers_customer c ON c.id = p.customer_id "
            "JOIN area_building b ON b.id = p.building_id "
            "LEFT JOIN customers_customerphone ph ON ph.customer_id = c.id AND ph.position = 0 "
            "WHERE p.station_id IS NOT NULL ORDER BY p.id"
        )
        return [_Place(*row) for row in cursor.fetchall()]


class _CaseFactory:
    """What every generated case needs: routing, staff, limits and numbers, cached."""

    def __init__(self, seed: int):
        from types import SimpleNamespace

        from utilitydesk.cases.models import RoutingRule
        from utilitydesk.policy import services as sla

        self.rng = random.Random(seed)  # nosec B311: synthetic city
        self.sla = sla
        policy = sla.current_policy()
        if policy is None:
            raise RuntimeError("no published deadline policy")
        self.policy = policy
        self.calendar = sla.calendar(refresh=True)
        self._ns = SimpleNamespace
        self._routes: dict = {}
        self._limits: dict = {}
        self.rules = {r.pk: r.name for r in RoutingRule.objects.all()}
        self.units: dict[int | None, OrgUnit] = {u.pk: u for u in OrgUnit.objects.all()}
        User = get_user_model()
        self.agents = list(
            User.objects.filter(
                assignments__position=Position.AGENT, assignments__is_active=True
            ).values_list("pk", flat=True)
        ) or list(User.objects.values_list("pk", flat=True)[:1])
        self.office = (
            User.objects.filter(assignments__position=Position.SERVICE_OFFICE)
            .values_list("pk", flat=True)
            .first()
        )
        self.technicians: dict[int | None, list[int]] = {}
        for user_id, unit_id, parent_id in User.objects.filter(
            assignments__position=Position.TECHNICIAN, assignments__is_active=True
        ).values_list("pk", "assignments__unit_id", "assignments__unit__parent_id"):
            for unit in (unit_id, parent_id):
                if unit:
                    self.technicians.setdefault(unit, []).append(user_id)
        self.service_centre = (
            OrgUnit.objects.filter(code="D-SC").values_list("pk", flat=True).first()
        )
        self.kinds = _choices(KIND_MIX)
        self.channels = _choices(CHANNEL_MIX)
        self.counters: dict[str, int] = {}

    def route(self, kind: str, place: _Place) -> tuple[int | None, int | None]:
        key = (kind, place.station_id, place.grid_id)
        if key not in self._routes:
            premises: Any = self._ns(  # a stand-in with what route() reads
                station_id=place.station_id,
                station=self.units.get(place.station_id),
                building=self._ns(grid_id=place.grid_id),
            )
            unit, rule = route(kind, premises)
            self._routes[key] = (
                unit.pk if unit else self.service_centre,
                rule.pk if rule else None,
            )
        return self._routes[key]

    def limits(self, kind: str, grade: str, emergency: bool):
        key = (kind, grade, emergency)
        if key not in self._limits:
            self._limits[key] = (
                self.sla.limits_for(self.policy, kind, grade, emergency, {}),
                self.sla.limits_for(self.policy, kind, grade, emergency, {}, names=("callback",)),
            )
        return self._limits[key]

    def number(self, received: datetime) -> str:
        day = timezone.localtime(received).strftime("%Y%m%d")
        value = self.counters.get(day, 0) + 1
        self.counters[day] = value
        return case_number(day, value)

    def save_counters(self) -> None:
        from utilitydesk.cases import numbering

        for day, last in self.counters.items():
            numbering.reserve_through(day, last)

    @staticmethod
    def deadline_state(met_at: datetime | None, due: datetime, now: datetime | None = None):
        """Met in time, met late or overdue at ``now`` (breached), or still running."""
        if met_at is not None:
            return CaseDeadline.State.MET if met_at <= due else CaseDeadline.State.BREACHED
        if now is not None and due <= now:
            return CaseDeadline.State.BREACHED
        return CaseDeadline.State.PENDING

    @staticmethod
    def write_deadline(writer, deadline_id, case_id, limit, due, state, met_at, warned_at):
        writer.write(
            id=deadline_id,
            case_id=case_id,
            name=limit.name,
            due_at=due,
            original_due_at=due,
            amount=Decimal(str(limit.amount)),
            unit=limit.unit,
            state=state,
            met_at=met_at,
            breached_at=due if state == CaseDeadline.State.BREACHED else None,
            warned_at=warned_at,
        )

    def compute(self, received: datetime, limit) -> datetime:
        from utilitydesk.policy import deadlines as arithmetic

        return arithmetic.compute(received, limit, self.calendar).due_at


def _minutes(rng: random.Random, median: float, spread: float = 0.8) -> timedelta:
    return timedelta(minutes=median * math.exp(rng.gauss(0, spread)))


def _season_times(rng: random.Random, count: int, seasons: int, now: datetime) -> list[float]:
    """``count`` receipt moments (epoch seconds, sorted) over the ``seasons`` heating
    seasons before the current one: most calls in the first cold weeks, by hour of day."""
    local = timezone.localtime(now)
    current = local.year if (local.month, local.day) >= (11, 15) else local.year - 1
    days: list[date] = []
    weights: list[float] = []
    for year in range(current - seasons, current):
        start, end = date(year, 11, 15), date(year + 1, 3, 15)
        for offset in range((end - start).days + 1):
            days.append(start + timedelta(days=offset))
            weights.append(1 + 6 * math.exp(-offset / 20))
    cumulative = []
    total = 0.0
    for weight in weights:
        total += weight
        cumulative.append(total / 1)
    hour_table = _choices([(str(h), w) for h, w in enumerate(HOUR_WEIGHTS)])
    zone = timezone.get_default_timezone()
    moments = []
    for _ in range(count):
        day = days[min(bisect.bisect_left(cumulative, rng.random() * total), len(days) - 1)]
        hour = int(_pick(rng, hour_table))
        moment = datetime.combine(day, time(hour), tzinfo=zone) + timedelta(
            seconds=rng.randrange(3600)
        )
        moments.append(moment.timestamp())
    moments.sort()
    return moments


def generate_history(
    count: int, seasons: int, now: datetime, seed: int = 7, progress: Progress | None = None
) -> int:
    """Closed cases of past heating seasons with their intake contacts, timelines,
    deadlines (met or breached), callbacks and complaints. Adds ``count`` minus the
    historical cases already there."""
    from utilitydesk.callbacks.models import CallbackTask, Outcome
    from utilitydesk.callbacks.services import callback_wanted
    from utilitydesk.cases.models import Case, Status
    from utilitydesk.complaints.models import Complaint, Responsibility

    local = timezone.localtime(now)
    season_start = datetime(
        local.year if (local.month, local.day) >= (11, 15) else local.year - 1,
        11,
        15,
        tzinfo=local.tzinfo,
    )
    existing = Case.objects.filter(received_at__lt=season_start).count()
    if existing >= count:
        return 0
    count -= existing
    factory = _CaseFactory(seed + existing)
    rng = factory.rng
    places = _places()
    if not places:
        raise RuntimeError("generate customers first")
    progress = progress or Progress()
    progress.start("history: planning", count)
    moments = _season_times(rng, count, seasons, now)
    progress.finish()
    ids = {m: IdBlock(m) for m in (Case, CaseDeadline, CallbackTask, Complaint)}
    # Continue the daily numbering after what is already there.
    from utilitydesk.cases import numbering

    factory.counters = numbering.issued()
    satisfied = _choices(
        [(Outcome.SATISFIED, 0.83), (Outcome.BASICALLY, 0.11), (Outcome.DISSATISFIED, 0.06)]
    )
    categories = ["repair", "heating_quality", "fee", "conduct", "other"]
    responsibilities = _choices(
        [
            (Responsibility.MISTAKE, 0.22),
            (Responsibility.NEGLIGENCE, 0.1),
            (Responsibility.VIOLATION, 0.03),
            (Responsibility.MISUNDERSTANDING, 0.4),
            (Responsibility.CUSTOMER_OWN, 0.25),
        ]
    )
    company_fault = {Responsibility.MISTAKE, Responsibility.NEGLIGENCE, Responsibility.VIOLATION}
    progress.start("history: cases", count)
    chunk = 100_000
    for start in range(0, count, chunk):
        with (
            transaction.atomic(),
            RowWriter(Case, batch=chunk) as cases,
            RowWriter(CaseDeadline) as deadlines,
            RowWriter(CallbackTask) as callbacks,
            RowWriter(Complaint) as complaints,
        ):
            for moment in moments[start : start + chunk]:
                received = datetime.fromtimestamp(moment, UTC)
                place = places[rng.randrange(len(places))]
                kind = _pick(rng, factory.kinds)
                channel = _pick(rng, factory.channels)
                emergency = kind == "repair" and rng.random() < 0.03
                unit_id, rule_id = factory.route(kind, place)
                number = factory.number(received)
                agent = factory.agents[rng.randrange(len(factory.agents))]
                techs = factory.technicians.get(unit_id) or []
                assignee = (
                    techs[rng.randrange(len(techs))] if techs and kind in FIELD_KINDS else None
                )
                dispatched = received + timedelta(seconds=rng.randrange(30, 300))
                accepted: datetime | None = None
                on_site: datetime | None = None
                work_ended: datetime | None = None
                resolved: datetime | None
                if kind in FIELD_KINDS:
                    accepted = dispatched + _minutes(rng, 6)
                    on_site = accepted + _minutes(rng, 25 if kind == "repair" else 300)
                    work_ended = on_site + _minutes(rng, 45)
                    resolved = work_ended
                else:
                    resolved = dispatched + _minutes(rng, 900 if kind == "complaint" else 180)
                cancelled = rng.random() < 0.01
                case_id = ids[Case].take()
                content = rng.choice(CONTENT[kind])
                limits, callback_limits = factory.limits(kind, place.grade, emergency)
                if cancelled:
                    closed = dispatched + _minutes(rng, 40)
                    status, accepted = Status.CANCELLED, None
                    on_site = work_ended = resolved = None
                    callback_at = None
                else:
                    wants_callback = callback_wanted(
                        number, kind, place.grade == Grade.VIP, factory.policy.callback_ratios
                    )
                    callback_at = resolved + _minutes(rng, 900, 0.7) if wants_callback else None
                    closed = (callback_at or resolved) + _minutes(rng, 30)
                    status = Status.CLOSED
                cases.write(
                    id=case_id,
                    number=number,
                    kind=kind,
                    channel=channel,
                    content=content,
                    received_at=received,
                    **place.case_fields(),
                    first_responder_id=agent,
                    status=status,
                    emergency=emergency,
                    responsible_unit_id=unit_id,
                    routing_rule_id=rule_id,
                    assignee_id=assignee,
                    dispatched_at=dispatched,
                    accepted_at=accepted,
                    on_site_at=on_site,
                    work_ended_at=work_ended,
                    resolved_at=resolved,
                    closed_at=closed,
                    resolution="处理完毕，客户确认" if resolved else "",
                    policy_version_id=factory.policy.pk,
                    next_check_at=None,
                    last_event_seq=2
                    + (accepted is not None)
                    + (resolved is not None)
                    + (callback_at is not None)
                    + 1,
                    created_at=received,
                    updated_at=closed,
                )
                met_moments = {
                    "first_response": accepted or resolved,
                    "on_site": on_site,
                    "resolution": resolved,
                    "callback": callback_at,
                }
                planned = [(limit, received) for limit in limits]
                if callback_at and resolved:  # a callback follows a resolution
                    planned += [(limit, resolved) for limit in callback_limits]
                for limit, since in planned:
                    due = factory.compute(since, limit)
                    met_at = met_moments.get(limit.name)
                    state = factory.deadline_state(met_at, due)
                    factory.write_deadline(
                        deadlines,
                        ids[CaseDeadline].take(),
                        case_id,
                        limit,
                        due,
                        state,
                        met_at,
                        due - timedelta(hours=1) if state == CaseDeadline.State.BREACHED else None,
                    )
                if callback_at and resolved:  # a callback follows a resolution
                    reached = rng.random() < 0.94
                    callbacks.write(
                        id=ids[CallbackTask].take(),
                        case_id=case_id,
                        customer_id=place.customer_id,
                        purpose=CallbackTask.Purpose.FIRST,
                        caller_id=agent,
                        due_at=factory.compute(resolved, callback_limits[0])
                        if callback_limits
                        else resolved + timedelta(days=2),
                        status=CallbackTask.Status.DONE
                        if reached
                        else CallbackTask.Status.UNREACHABLE,
                        attempts=1 if reached else 3,
                        outcome=_pick(rng, satisfied) if reached else Outcome.UNREACHABLE,
                        called_by_id=agent,
                        completed_at=callback_at,
                        created_at=resolved,
                    )
                if kind == "complaint":
                    responsibility = _pick(rng, responsibilities) if resolved else ""
                    complaints.write(
                        id=ids[Complaint].take(),
                        case_id=case_id,
                        category=rng.choice(categories),
                        responsibility=responsibility,
                        valid=(responsibility in company_fault) if responsibility else None,
                        responsible_unit_id=unit_id if responsibility in company_fault else None,
                        corrective_actions="加强培训，按时上门"
                        if responsibility in company_fault
                        else "",
                        determined_at=resolved,
                        determined_by_id=factory.office if resolved else None,
                        created_at=received,
                    )
            cases.flush()
            callbacks.flush()
            first = ids[Case].next - min(chunk, count - start)
            _derive_contacts_and_timelines(first, ids[Case].next - 1)
        progress.advance(min(chunk, count - start))
    progress.finish()
    factory.save_counters()
    fix_sequences([Case, CaseDeadline, CallbackTask, Complaint])
    return count


# Each finished case's timeline, in order: (action, from status, to status, moment, actor,
# whether the case has the step). Written set-wise from the case rows themselves.
_TIMELINE = [
    ("registered", "''", "'registered'", "c.received_at", "c.first_responder_id", "TRUE"),
    ("dispatched", "'registered'", "'dispatched'", "c.received_at", "c.first_responder_id", "TRUE"),
    (
        "accept",
        "'dispatched'",
        "'accepted'",
        "c.accepted_at",
        "COALESCE(c.assignee_id, c.first_responder_id)",
        "c.accepted_at IS NOT NULL",
    ),
    (
        "resolve",
        "CASE WHEN c.accepted_at IS NULL THEN 'dispatched' ELSE 'accepted' END",
        "'resolved'",
        "c.resolved_at",
        "COALESCE(c.assignee_id, c.first_responder_id)",
        "c.resolved_at IS NOT NULL",
    ),
    (
        "record_callback",
        "'resolved'",
        "'callback_done'",
        "t.completed_at",
        "c.first_responder_id",
        "t.id IS NOT NULL",
    ),
    (
        "close",
        "CASE WHEN t.id IS NULL THEN 'resolved' ELSE 'callback_done' END",
        "'closed'",
        "c.closed_at",
        "c.first_responder_id",
        "c.status = 'closed'",
    ),
    (
        "cancel",
        "'dispatched'",
        "'cancelled'",
        "c.closed_at",
        "c.first_responder_id",
        "c.status = 'cancelled'",
    ),
]


def _derive_contacts_and_timelines(first_id: int, last_id: int) -> None:
    """The intake contact and the timeline events of finished cases [first_id, last_id],
    derived in the database from the case rows (far faster than sending them)."""
    where = f"c.id BETWEEN {int(first_id)} AND {int(last_id)}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Statistics lag behind a fresh load; a nested loop over it would be quadratic.
            cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute(
            "INSERT INTO cases_contact (channel, kind, content, received_at, recorded_at, "  # nosec B608: demo generator, no outside input
            "customer_id, caller_name, caller_phone, first_responder_id, case_id, "
            "closed_on_spot, answer) SELECT channel, kind, content, received_at, received_at, "
            "customer_id, caller_name, caller_phone, first_responder_id, id, FALSE, '' "
            f"FROM cases_case c WHERE {where}"
        )
        previous = "0"
        for action, before, after, at, actor, present in _TIMELINE:
            seq = f"({previous}) + 1"
            data = "'{}'"
            if action == "dispatched":
                data = (
                    "json_build_object('unit', u.name)::jsonb"
                    if connection.vendor == "postgresql"
                    else "json_object('unit', u.name)"
                )
            cursor.execute(
                "INSERT INTO cases_caseevent (case_id, seq, at, actor_id, action, from_status, "  # nosec B608: demo generator, values from code
                f"to_status, note, data) SELECT c.id, {seq}, {at}, {actor}, '{action}', {before}, "
                f"{after}, '', {data} FROM cases_case c "
                "JOIN org_orgunit u ON u.id = c.responsible_unit_id "
                "LEFT JOIN callbacks_callbacktask t ON t.case_id = c.id AND t.purpose = 'first' "
                f"AND t.case_id BETWEEN {int(first_id)} AND {int(last_id)} "
                f"WHERE {where} AND {present}"
            )
            previous = f"{previous} + CASE WHEN {present} THEN 1 ELSE 0 END"


OPEN_MIX = [("dispatched", 0.45), ("accepted", 0.3), ("booked", 0.15), ("on_site", 0.1)]


def generate_open_cases(
    count: int,
    now: datetime,
    seed: int = 7,
    progress: Progress | None = None,
    within_hours: float = 48,
    prefix: str = "",
) -> int:
    """Open cases of the current season, received in the ``within_hours`` before ``now``,
    at their stations in every open state, with the deadlines, warnings and next sweep
    time the deadline engine gives them (some already overdue, as on a real morning).

    ``prefix`` numbers them apart (``BM…``) so a benchmark can find and reset its own."""
    from utilitydesk.cases.models import (
        OPEN_STATUSES,
        Case,
        CaseEscalation,
        CaseEvent,
        Contact,
        Status,
    )
    from utilitydesk.complaints.models import Complaint

    existing = Case.objects.filter(status__in=OPEN_STATUSES)
    existing = existing.filter(number__startswith=prefix) if prefix else existing
    count -= existing.count()
    if count <= 0:
        return 0
    factory = _CaseFactory(seed + count)
    if not prefix:
        from utilitydesk.cases import numbering

        factory.counters = numbering.issued()
    rng = factory.rng
    places = _places()
    states = _choices(OPEN_MIX)
    levels = factory.sla.escalation_levels(factory.policy.pk)
    ids = {
        m: IdBlock(m) for m in (Case, Contact, CaseEvent, CaseDeadline, CaseEscalation, Complaint)
    }
    moments = sorted(
        now - timedelta(seconds=rng.uniform(0, within_hours * 3600)) for _ in range(count)
    )
    progress = progress or Progress()
    progress.start("open cases", count)
    kinds = _choices([("repair", 0.75), ("temperature", 0.2), ("complaint", 0.05)])
    with (
        transaction.atomic(),
        RowWriter(Case) as cases,
        RowWriter(Contact) as contacts,
        RowWriter(CaseEvent) as events,
        RowWriter(CaseDeadline) as deadlines,
        RowWriter(CaseEscalation) as escalations,
        RowWriter(Complaint) as complaints,
    ):
        for index, received in enumerate(moments):
            place = places[(index * 7919 + rng.randrange(7919)) % len(places)]
            kind = _pick(rng, kinds)
            emergency = kind == "repair" and rng.random() < 0.03
            unit_id, rule_id = factory.route(kind, place)
            techs = factory.technicians.get(unit_id) or []
            status = _pick(rng, states) if techs else Status.DISPATCHED
            assignee = techs[rng.randrange(len(techs))] if status != Status.DISPATCHED else None
            agent = factory.agents[rng.randrange(len(factory.agents))]
            age = now - received
            accepted = received + min(age, _minutes(rng, 6)) if assignee else None
            on_site = (
                accepted + (now - accepted) / 2
                if status == Status.ON_SITE and accepted is not None  # ON_SITE: accepted
                else None
            )
            appointment = now + _minutes(rng, 120) if status == Status.BOOKED else None
            case_id = ids[Case].take()
            number = f"{prefix}{index:010d}" if prefix else factory.number(received)
            content = rng.choice(CONTENT[kind])
            chain: list[tuple[str, str, str, datetime | None]] = [
                ("registered", "", Status.REGISTERED, received),
                ("dispatched", Status.REGISTERED, Status.DISPATCHED, received),
            ]
            if accepted:
                chain.append(("accept", Status.DISPATCHED, Status.ACCEPTED, accepted))
            if status == Status.BOOKED:
                chain.append(("book", Status.ACCEPTED, Status.BOOKED, accepted))
            if on_site:
                chain.append(("arrive", Status.ACCEPTED, Status.ON_SITE, on_site))
            for seq, (action, before, after, at) in enumerate(chain, start=1):
                events.write(
                    id=ids[CaseEvent].take(),
                    case_id=case_id,
                    seq=seq,
                    at=at,
                    actor_id=assignee if action in ("accept", "book", "arrive") else agent,
                    action=action,
                    from_status=before,
                    to_status=after,
                    data={"unit": factory.units[unit_id].name} if action == "dispatched" else {},
                )
            limits, _callback = factory.limits(kind, place.grade, emergency)
            met = {"first_response": accepted, "on_site": on_site}
            moments_to_check = []
            for limit in limits:
                due = factory.compute(received, limit)
                met_at = met.get(limit.name)
                state = factory.deadline_state(met_at, due, now)
                lead = warning_lead(factory.policy, limit.amount, limit.unit)
                warned = due - lead if due - lead <= now else None
                if state == CaseDeadline.State.PENDING:
                    moments_to_check.append(due if warned else due - lead)
                factory.write_deadline(
                    deadlines,
                    ids[CaseDeadline].take(),
                    case_id,
                    limit,
                    due,
                    state,
                    met_at,
                    warned if state != CaseDeadline.State.MET else None,
                )
            # Levels whose time has passed were sent when they fell due; the next is pending.
            for level in levels:
                if not level.applies_to(kind):
                    continue
                at = received + timedelta(hours=level.after_hours)
                if at > now:
                    moments_to_check.append(at)
                    break
                escalations.write(
                    id=ids[CaseEscalation].take(),
                    case_id=case_id,
                    level=level.level,
                    position=level.position,
                    at=at,
                    targets=[],
                )
            cases.write(
                id=case_id,
                number=number,
                kind=kind,
                channel="phone",
                content=content,
                received_at=received,
                **place.case_fields(),
                first_responder_id=agent,
                status=status,
                emergency=emergency,
                responsible_unit_id=unit_id,
                routing_rule_id=rule_id,
                assignee_id=assignee,
                dispatched_at=received,
                accepted_at=accepted,
                appointment_at=appointment,
                on_site_at=on_site,
                policy_version_id=factory.policy.pk,
                next_check_at=min(moments_to_check) if moments_to_check else None,
                last_event_seq=len(chain),
                created_at=received,
                updated_at=chain[-1][3],
            )
            contacts.write(
                id=ids[Contact].take(),
                channel="phone",
                kind=kind,
                content=content,
                received_at=received,
                recorded_at=received,
                customer_id=place.customer_id,
                caller_name=place.name,
                caller_phone=place.phone,
                first_responder_id=agent,
                case_id=case_id,
            )
            if kind == "complaint":
                complaints.write(
                    id=ids[Complaint].take(),
                    case_id=case_id,
                    category=rng.choice(["repair", "heating_quality", "conduct"]),
                    created_at=received,
                )
            if index % 5000 == 4999:
                progress.advance(5000)
        progress.advance(count % 5000)
    progress.finish()
    if not prefix:
        factory.save_counters()
    fix_sequences([Case, Contact, CaseEvent, CaseDeadline, CaseEscalation, Complaint])
    return count


def make_city(
    customers: int,
    cases: int,
    seasons: int,
    open_cases: int,
    now: datetime,
    seed: int = 7,
    progress: Progress | None = None,
    measurements: int | None = None,
) -> CityReport:
    """The whole city: organisation sized to the customer base, customers, past seasons'
    cases and this morning's open ones, and the current season's indoor temperature
    records (``measurements``; by default one per five households). Needs ``load_demo``
    first."""
    progress = progress or Progress()
    stations = expand_organisation(max(3, -(-customers // CUSTOMERS_PER_STATION)), seed)
    sources = attach_sources(customers)
    progress.start("customers", customers)
    done = [Customer.objects.filter(account_no__startswith="8").count()]

    def customer_progress(upto: int, _total: int) -> None:
        progress.advance(upto - done[0])
        done[0] = upto

    with fast_load([Customer, Premises, CustomerPhone]):
        generate_customers(customers, seed, customer_progress)
        progress.finish()
    analyze()
    from utilitydesk.callbacks.models import CallbackTask
    from utilitydesk.cases.models import OPEN_STATUSES, Case, CaseEscalation, CaseEvent, Contact
    from utilitydesk.complaints.models import Complaint

    with fast_load(
        [Case, Contact, CaseEvent, CaseDeadline, CallbackTask, Complaint, CaseEscalation]
    ):
        generate_history(cases - open_cases, seasons, now, seed, progress)
        generate_open_cases(open_cases, now, seed, progress)
        progress.start("indexes", 1)
    progress.finish()
    analyze()
    from utilitydesk.temperature.models import MeasuredRoom, Measurement, Reading, RefundCredit

    from .city_temperature import MEASUREMENTS_PER_CUSTOMER, generate_measurements

    wanted = round(customers * MEASUREMENTS_PER_CUSTOMER) if measurements is None else measurements
    progress.start("temperature measurements", wanted)
    with fast_load([Measurement, MeasuredRoom, Reading, RefundCredit]):
        generate_measurements(wanted, now, seed, progress.advance)
        progress.finish()
    analyze()

    return CityReport(
        stations=len(stations),
        sources=sources,
        customers=Customer.objects.count(),
        cases=Case.objects.count(),
        open_cases=Case.objects.filter(status__in=OPEN_STATUSES).count(),
        measurements=Measurement.objects.filter(valid=True).count(),
    )
