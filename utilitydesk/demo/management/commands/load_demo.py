"""Creates the fictional heating company used by `make run`. Safe to run again: existing
records are kept and nothing is duplicated."""

import random
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from utilitydesk.area.models import (
    Building,
    Community,
    District,
    Grid,
    PipeSection,
    Source,
    Substation,
)
from utilitydesk.customers.models import (
    Customer,
    CustomerPhone,
    CustomerType,
    Grade,
    Premises,
    SpecialCare,
)
from utilitydesk.customers.services import address_of
from utilitydesk.demo import names
from utilitydesk.org.models import DepartmentFunction, OrgUnit, Position, UnitKind
from utilitydesk.org.services import assign_position

DEMO_PASSWORD = "demo-2026"  # nosec B105: documented demo password

STATIONS = [
    ("ST-E", "城东供热所", "东城区"),
    ("ST-W", "城西供热所", "西城区"),
    ("ST-S", "城南供热所", "南湖区"),
]
DEPARTMENTS = [
    ("D-SC", "客户服务中心", DepartmentFunction.SERVICE_CENTRE),
    ("D-RP", "维修部", DepartmentFunction.REPAIR),
    ("D-BL", "收费部", DepartmentFunction.BILLING),
    ("D-OP", "运行部", DepartmentFunction.OPERATIONS),
    ("D-SO", "服务管理办公室", DepartmentFunction.SERVICE_OFFICE),
    ("D-GM", "总经理办公室", DepartmentFunction.MANAGEMENT),
]
# The heat sources (热源) and the substations each feeds; the pipe sections recorded:
# (code, from source or substation, to substation or (community, building), DN, metres, year).
SOURCES = [
    (
        "HS-1",
        "临河热电厂",
        "两台 300MW 抽凝机组，向城东、城西供热",
        ["ST-E-H1", "ST-E-H2", "ST-W-H1"],
    ),
    ("HS-2", "南湖锅炉房", "三台 58MW 燃气热水锅炉", ["ST-W-H2", "ST-S-H1", "ST-S-H2"]),
]
PIPES: list[tuple[str, str, str | tuple[str, str], int, str, int]] = [
    ("PS-E01", "HS-1", "ST-E-H1", 600, "2350.0", 2006),
    ("PS-E02", "HS-1", "ST-E-H2", 500, "3120.5", 2006),
    ("PS-W01", "HS-1", "ST-W-H1", 500, "4480.0", 2011),
    ("PS-W02", "HS-2", "ST-W-H2", 400, "1960.0", 2014),
    ("PS-S01", "HS-2", "ST-S-H1", 400, "1210.0", 2014),
    ("PS-S02", "HS-2", "ST-S-H2", 300, "880.0", 2019),
    ("PS-E11", "ST-E-H1", ("阳光花园", "1号楼"), 150, "210.0", 2006),
    ("PS-E12", "ST-E-H2", ("阳光花园", "2号楼"), 150, "180.0", 2006),
]
COMMUNITIES = {
    "东城区": ["阳光花园", "幸福里", "东湖小区"],
    "西城区": ["锦绣家园", "西苑新村", "和平小区"],
    "南湖区": ["南湖名邸", "翠竹园"],
}
# (username, first name, last name, position, unit code)
STAFF = [
    ("admin", "管理员", "系统", Position.ADMINISTRATOR, "RL"),
    ("agent", "晓燕", "王", Position.AGENT, "D-SC"),
    ("agent2", "丽", "孙", Position.AGENT, "D-SC"),
    ("dispatcher", "建国", "李", Position.DISPATCHER, "D-SC"),
    ("sc_head", "红梅", "赵", Position.DEPARTMENT_HEAD, "D-SC"),
    ("repair_head", "志强", "钱", Position.DEPARTMENT_HEAD, "D-RP"),
    ("billing", "秀英", "周", Position.BILLING_CLERK, "D-BL"),
    ("office", "敏", "吴", Position.SERVICE_OFFICE, "D-SO"),
    ("deputy_gm", "德明", "郑", Position.DEPUTY_GM, "RL"),
    ("gm", "国庆", "冯", Position.GENERAL_MANAGER, "RL"),
    ("parent_gm", "振华", "陈", Position.PARENT_GM, "GROUP"),
    ("head_east", "海涛", "刘", Position.STATION_HEAD, "ST-E"),
    ("head_west", "永红", "杨", Position.STATION_HEAD, "ST-W"),
    ("head_south", "立新", "黄", Position.STATION_HEAD, "ST-S"),
    ("leader_east", "鹏飞", "朱", Position.TEAM_LEADER, "ST-E-T1"),
    ("tech_east", "强", "马", Position.TECHNICIAN, "ST-E-T1"),
    ("tech_east2", "磊", "胡", Position.TECHNICIAN, "ST-E-T2"),
    ("tech_west", "勇", "郭", Position.TECHNICIAN, "ST-W-T1"),
    ("tech_south", "军", "何", Position.TECHNICIAN, "ST-S-T1"),
]


class Command(BaseCommand):
    help = "Load the demo heating company (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=20261115)

    @transaction.atomic
    def handle(self, *args, **options):
        rng = random.Random(options["seed"])  # nosec B311: demo data
        units = self._organisation()
        users = self._staff(units)
        buildings = self._area(units, users)
        self._network()
        created = self._customers(buildings, options["customers"], rng)
        self._knowledge()
        self._cases(users, rng)
        from utilitydesk.demo.temperature_demo import load_temperature_demo

        load_temperature_demo(users)
        from utilitydesk.demo.duty_demo import load_duty_demo

        load_duty_demo(users)
        from utilitydesk.demo.wechat_demo import load_wechat_demo

        load_wechat_demo()
        # The account the households' own pages (/my/) act as.
        from utilitydesk.selfservice.services import create_account

        create_account(units["D-SC"])
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo company ready: {len(users)} staff, {len(buildings)} buildings, "
                f"{Customer.objects.count()} customers ({created} new). Password: {DEMO_PASSWORD}"
            )
        )

    def _unit(self, code, name, kind, parent=None, function=""):
        unit, _ = OrgUnit.objects.get_or_create(
            code=code, defaults={"name": name, "kind": kind, "parent": parent, "function": function}
        )
        return unit

    def _organisation(self) -> dict[str, OrgUnit]:
        units = {}
        units["GROUP"] = self._unit("GROUP", "市热力集团", UnitKind.PARENT_COMPANY)
        units["RL"] = self._unit("RL", "临河热力有限公司", UnitKind.COMPANY, units["GROUP"])
        for code, name, function in DEPARTMENTS:
            units[code] = self._unit(code, name, UnitKind.DEPARTMENT, units["RL"], function)
        for code, name, _district in STATIONS:
            units[code] = self._unit(code, name, UnitKind.STATION, units["RL"])
            for n in (1, 2):
                team_code = f"{code}-T{n}"
                units[team_code] = self._unit(
                    team_code, f"{name}维修{n}班", UnitKind.TEAM, units[code]
                )
        return units

    def _staff(self, units) -> dict[str, Any]:
        User = get_user_model()
        users = {}
        for username, first, last, position, unit_code in STAFF:
            user, created = User.objects.get_or_create(
                username=username, defaults={"first_name": first, "last_name": last}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.is_superuser = username == "admin"
                user.save()
            assign_position(user, units[unit_code], position)
            users[username] = user
        # One person, two positions: the east station head also leads its first team.
        assign_position(users["head_east"], units["ST-E-T1"], Position.TEAM_LEADER)
        return users

    def _area(self, units, users) -> list[Building]:
        buildings = []
        leaders = {
            "ST-E": users["leader_east"],
            "ST-W": users["head_west"],
            "ST-S": users["head_south"],
        }
        for code, station_name, district_name in STATIONS:
            station = units[code]
            district, _ = District.objects.get_or_create(name=district_name)
            substations = [
                Substation.objects.get_or_create(
                    code=f"{code}-H{n}",
                    defaults={"name": f"{station_name[:2]}{n}号换热站", "station": station},
                )[0]
                for n in (1, 2)
            ]
            grids = [
                Grid.objects.get_or_create(
                    code=f"{code}-G{n}",
                    defaults={
                        "name": f"{station_name[:2]}第{n}网格",
                        "station": station,
                        "responsible": leaders[code],
                    },
                )[0]
                for n in (1, 2)
            ]
            for c_index, community_name in enumerate(COMMUNITIES[district_name]):
                community, _ = Community.objects.get_or_create(
                    district=district, name=community_name
                )
                count = 4 if len(COMMUNITIES[district_name]) == 3 else 5
                for b in range(1, count + 1):
                    building, _ = Building.objects.get_or_create(
                        community=community,
                        name=f"{b}号楼",
                        defaults={
                            "substation": substations[(c_index + b) % 2],
                            "grid": grids[c_index % 2],
                        },
                    )
                    buildings.append(building)
        return buildings

    def _network(self) -> None:
        """Two heat sources feeding the six substations, and the main pipe sections.
        Substations of a database loaded before sources existed are attached too."""
        sources = {}
        for code, name, description, fed in SOURCES:
            sources[code], _ = Source.objects.get_or_create(
                code=code, defaults={"name": name, "description": description}
            )
            Substation.objects.filter(code__in=fed, source__isnull=True).update(
                source=sources[code]
            )
        substations = {s.code: s for s in Substation.objects.filter(code__startswith="ST-")}
        for code, start, end, diameter, length, year in PIPES:
            target: dict[str, Any]
            if isinstance(end, tuple):
                target = {
                    "to_building": Building.objects.filter(
                        community__name=end[0], name=end[1]
                    ).first()
                }
            else:
                target = {"to_substation": substations.get(end)}
            origin = (
                {"from_source": sources[start]}
                if start in sources
                else {"from_substation": substations.get(start)}
            )
            if None in target.values() or None in origin.values():
                continue
            PipeSection.objects.get_or_create(
                code=code,
                defaults={
                    **origin,
                    **target,
                    "diameter_mm": diameter,
                    "length_m": Decimal(length),
                    "laid_year": year,
                },
            )

    def _customers(self, buildings, wanted: int, rng: random.Random) -> int:
        existing_accounts = set(Customer.objects.values_list("account_no", flat=True))
        occupied = set(Premises.objects.values_list("building_id", "unit_no", "room_no"))
        slots = []
        for building in buildings:
            for unit in (1, 2, 3):
                for floor in range(1, 7):
                    for room in (1, 2, 3, 4):
                        slots.append((building, str(unit), f"{floor}0{room}"))
        rng.shuffle(slots)
        slots = sorted(slots[:wanted], key=lambda s: (s[0].pk, s[1], s[2]))
        new_customers, new_premises, new_phones = [], [], []
        building_cache = {
            b.pk: b
            for b in Building.objects.select_related(
                "community__district", "substation__station", "grid__station"
            )
        }
        for index, (building, unit_no, room_no) in enumerate(slots, start=1):
            account_no = f"1001{index:06d}"
            kind_roll = rng.random()
            name = names.person_name(rng)
            phones = [names.mobile(rng)] + ([names.landline(rng)] if rng.random() < 0.15 else [])
            if account_no in existing_accounts or (building.pk, unit_no, room_no) in occupied:
                continue
            customer = Customer(
                account_no=account_no,
                name=name,
                customer_type=CustomerType.RESIDENT
                if kind_roll < 0.92
                else (CustomerType.NON_RESIDENT if kind_roll < 0.97 else CustomerType.COMMERCIAL),
                grade=Grade.VIP if rng.random() < 0.01 else Grade.GENERAL,
                special_care=rng.choice(
                    [SpecialCare.ELDERLY, SpecialCare.SICK, SpecialCare.DISABLED]
                )
                if rng.random() < 0.03
                else SpecialCare.NONE,
            )
            b = building_cache[building.pk]
            new_customers.append(customer)
            new_premises.append(
                (
                    customer,
                    Premises(
                        building=b,
                        unit_no=unit_no,
                        room_no=room_no,
                        station=b.station,
                        address_text=address_of(b, unit_no, room_no),
                        heated_area=Decimal(rng.randrange(5500, 14000)) / 100,
                    ),
                )
            )
            new_phones.append((customer, phones))
        Customer.objects.bulk_create(new_customers, batch_size=1000)
        for customer, premises in new_premises:
            premises.customer = customer
        Premises.objects.bulk_create([p for _c, p in new_premises], batch_size=1000)
        CustomerPhone.objects.bulk_create(
            [
                CustomerPhone(customer=c, number=n, position=i)
                for c, ns in new_phones
                for i, n in enumerate(ns)
            ],
            batch_size=2000,
        )
        return len(new_customers)

    FAQ = [
        (
            "供暖期从哪天开始到哪天结束？",
            "本市供暖期为每年11月15日至次年3月20日，遇极端天气可提前或延长供暖。",
            "供暖期 开始 结束 时间",
        ),
        (
            "室内温度多少算达标？",
            "供暖期间卧室、起居室温度不低于18℃为达标。如觉得不热，可申请上门测温，我们会在24小时内预约。",
            "温度 达标 18度 测温",
        ),
        (
            "暖气不热怎么办？",
            "请先检查户内阀门是否全部打开、暖气片是否需要排气；仍不热请报修，维修人员会在1小时内联系您。",
            "不热 报修 排气 阀门",
        ),
        (
            "热费怎么交？有哪些缴费方式？",
            "可通过银行代扣、网上缴费、自助缴费机或到营业厅现金缴纳。",
            "缴费 热费 交费 方式",
        ),
        (
            "申请停热（报停）需要什么手续？",
            "本人携带身份证和缴费凭证到营业厅办理，申请须在供暖期开始前30天提交。",
            "停热 报停 申请",
        ),
        (
            "家里暖气漏水了怎么办？",
            "请立即关闭户内进、回水阀门并拨打热线报修，我们按紧急抢修处理。",
            "漏水 抢修 紧急",
        ),
    ]

    def _knowledge(self) -> None:
        from utilitydesk.knowledge.models import Entry

        for question, answer, keywords in self.FAQ:
            Entry.objects.get_or_create(
                question=question, defaults={"answer": answer, "keywords": keywords}
            )
        Entry.objects.get_or_create(
            question="服务承诺",
            defaults={
                "kind": Entry.Kind.GUIDE,
                "keywords": "承诺 时限",
                "answer": "一小时上门维修；非热源原因故障24小时内恢复供热；计划停热提前48小时公告；投诉、咨询24小时内答复。",
            },
        )

    def _cases(self, users, rng) -> None:
        """A few cases in different states, made through the same services as real work."""
        from datetime import timedelta

        from django.utils import timezone

        from utilitydesk.cases import services as case_services
        from utilitydesk.cases.models import Case

        if Case.objects.exists():
            return
        customers = list(
            Customer.objects.filter(premises__station__code="ST-E").order_by("account_no")[:8]
        )
        texts = [
            "暖气片不热，上半部分凉",
            "家里只有16度，老人怕冷",
            "阀门漏水，地板湿了",
            "暖气有异响",
            "楼道管道漏水",
            "屋里温度低，申请测温",
            "暖气时冷时热",
            "卫生间暖气片不热",
        ]
        agent, tech = users["agent"], users["tech_east"]
        for index, customer in enumerate(customers):
            kind = "temperature" if "测温" in texts[index] or "16度" in texts[index] else "repair"
            contact = case_services.create_contact(
                case_services.ContactInput(
                    channel="phone",
                    kind=kind,
                    content=texts[index],
                    customer_id=customer.pk,
                    emergency="漏水" in texts[index],
                    allow_duplicate=True,
                ),
                actor=agent,
            )
            if contact.case is None:
                raise RuntimeError("an unanswered contact opens a case")
            number = contact.case.number
            if index % 4 >= 1:
                case_services.accept(number, actor=tech)
            if index % 4 >= 2:
                case_services.book(number, timezone.now() + timedelta(hours=2 + index), actor=tech)
            if index % 4 == 3:
                case_services.arrive(number, actor=tech)
            if index == 7:  # one finished job waiting for its callback
                case_services.exempt_signoff(number, "演示：电话确认", actor=users["head_east"])
                case_services.resolve(
                    number, case_services.Resolution(work_done="排气后恢复正常"), actor=tech
                )
