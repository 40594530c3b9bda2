import pytest

from tests.factories import (
    BuildingFactory,
    SubstationFactory,
    UnitFactory,
    is_postgres,  # noqa: F401  (re-exported for tests)
    make_customer,
    staff,
)
from utilitydesk.org.models import DepartmentFunction, Position, UnitKind


@pytest.fixture(autouse=True)
def _background_inline(settings, tmp_path):
    settings.BACKGROUND_MODE = "sync"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttles and harvest counters live in the cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the product's default language, whatever an earlier one chose."""
    from django.utils import translation

    with translation.override("zh-hans"):
        yield


@pytest.fixture
def org(db):
    """A small company: two stations with a team each, a service centre and an office.

    The data migrations' shipped defaults are installed again here: a transactional test
    flushes the database, migration data included."""
    from utilitydesk.billing.defaults import install_default_tariffs
    from utilitydesk.billing.models import AuthorityLimit, TariffRate, TariffSchedule
    from utilitydesk.cases.defaults import install_default_routing_rules
    from utilitydesk.cases.models import RoutingRule
    from utilitydesk.knowledge.defaults import install_default_phrases
    from utilitydesk.knowledge.models import ForbiddenPhrase, StandardPhrase
    from utilitydesk.policy import services as sla_services
    from utilitydesk.policy.defaults import install_builtin_calendar, install_default_policy
    from utilitydesk.policy.models import (
        CalendarDay,
        CalendarYear,
        EscalationLevel,
        LimitRule,
        PolicyVersion,
    )

    install_default_routing_rules(RoutingRule)
    install_default_phrases(ForbiddenPhrase, StandardPhrase)
    install_default_policy(PolicyVersion, LimitRule, EscalationLevel)
    install_builtin_calendar(CalendarYear, CalendarDay)
    install_default_tariffs(TariffSchedule, TariffRate, AuthorityLimit)
    sla_services.reset_caches()
    group = UnitFactory(code="GROUP", name="集团", kind=UnitKind.PARENT_COMPANY)
    company = UnitFactory(code="CO", name="热力公司", kind=UnitKind.COMPANY, parent=group)
    centre = UnitFactory(
        code="SC",
        name="客服中心",
        kind=UnitKind.DEPARTMENT,
        parent=company,
        function=DepartmentFunction.SERVICE_CENTRE,
    )
    office = UnitFactory(
        code="SO",
        name="服务办",
        kind=UnitKind.DEPARTMENT,
        parent=company,
        function=DepartmentFunction.SERVICE_OFFICE,
    )
    east = UnitFactory(code="E", name="城东供热所", kind=UnitKind.STATION, parent=company)
    west = UnitFactory(code="W", name="城西供热所", kind=UnitKind.STATION, parent=company)
    east_team = UnitFactory(code="E-T1", name="城东维修班", kind=UnitKind.TEAM, parent=east)
    return {
        "group": group,
        "company": company,
        "centre": centre,
        "office": office,
        "east": east,
        "west": west,
        "east_team": east_team,
    }


@pytest.fixture
def people(org):
    return {
        "agent": staff("agent", Position.AGENT, org["centre"]),
        "office": staff("office", Position.SERVICE_OFFICE, org["office"]),
        "tech": staff("tech", Position.TECHNICIAN, org["east_team"]),
        "head_east": staff("head_east", Position.STATION_HEAD, org["east"]),
        "gm": staff("gm", Position.GENERAL_MANAGER, org["company"]),
        "admin": staff("admin", Position.ADMINISTRATOR, org["company"]),
    }


@pytest.fixture
def area(org):
    east_building = BuildingFactory(
        name="1号楼", substation=SubstationFactory(code="H-E", station=org["east"])
    )
    west_building = BuildingFactory(
        name="9号楼", substation=SubstationFactory(code="H-W", station=org["west"])
    )
    return {"east": east_building, "west": west_building}


@pytest.fixture
def customers(area):
    return {
        "east": make_customer(
            area["east"], "101", phones=("13812345678", "05391234567"), name="李雷"
        ),
        "west": make_customer(area["west"], "901", phones=("13900001111",), name="韩梅梅"),
    }
