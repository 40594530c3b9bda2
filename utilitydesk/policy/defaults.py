"""The shipped service policy: the seeds' values (R-401 – R-406, R-305, R-705) and ours
where a seed leaves a blank (marked "ours"). Takes model classes so the data migration
can pass its historical models."""

from decimal import Decimal

from chinese_calendar import constants

# Warning before a deadline (ours): when a quarter of the limit is left, at least 10 and at
# most 60 minutes before — 15 minutes before a one-hour on-site limit, an hour before a day.
DEFAULT_WARNING_SHARE = Decimal("0.25")
DEFAULT_WARNING_FLOOR_MINUTES = 10
DEFAULT_WARNING_CAP_MINUTES = 60
# A household rates (or reopens) its finished case on its own pages within a week (ours).
DEFAULT_SELFSERVICE_REOPEN_DAYS = 7
SELFSERVICE_REOPEN_DAYS_MAX = 90

# (limit, kind, grade, emergency, attribute, equals, at least, at most, amount, unit, source)
DEFAULT_LIMITS = [
    ("first_response", "", "", None, "", "", None, None, 24, "hours", "R-401"),
    ("resolution", "", "", None, "", "", None, None, 3, "working_days", "ours"),
    ("on_site", "repair", "", None, "", "", None, None, 1, "hours", "R-401"),
    ("resolution", "repair", "", None, "", "", None, None, 24, "hours", "R-401"),
    ("on_site", "", "", True, "", "", None, None, 1, "hours", "R-305"),
    (
        "on_site",
        "repair",
        "vip",
        None,
        "customer_type",
        "commercial",
        None,
        None,
        0.5,
        "hours",
        "R-403",
    ),
    (
        "on_site",
        "repair",
        "vip",
        None,
        "customer_type",
        "non_resident",
        None,
        None,
        0.5,
        "hours",
        "R-403",
    ),
    ("on_site", "temperature", "", None, "", "", None, None, 24, "hours", "R-705"),
    ("resolution", "temperature", "", None, "", "", None, None, 2, "natural_days", "ours"),
    ("resolution", "complaint", "", None, "", "", None, None, 3, "working_days", "R-402"),
    ("resolution", "complaint", "", None, "special", "1", None, None, 7, "working_days", "R-402"),
    ("first_response", "complaint", "vip", None, "", "", None, None, 1, "hours", "R-403"),
    ("resolution", "complaint", "vip", None, "", "", None, None, 1, "natural_days", "R-403"),
    ("resolution", "repair", "", None, "pipe_diameter_mm", "", None, 300, 24, "hours", "R-406"),
    (
        "resolution",
        "repair",
        "",
        None,
        "pipe_diameter_mm",
        "",
        300.01,
        999.99,
        48,
        "hours",
        "R-406",
    ),
    ("resolution", "repair", "", None, "pipe_diameter_mm", "", 1000, None, 72, "hours", "R-406"),
    ("callback", "", "", None, "", "", None, None, 2, "natural_days", "ours"),
]
# a level-1 complaint has its own limits (ours: answered within the hour, settled
# within a natural day).
LEVEL_ONE_COMPLAINT_LIMITS = [
    (
        "first_response",
        "complaint",
        "",
        None,
        "complaint_level",
        "1",
        None,
        None,
        1,
        "hours",
        "R-502",
    ),
    (
        "resolution",
        "complaint",
        "",
        None,
        "complaint_level",
        "1",
        None,
        None,
        1,
        "natural_days",
        "R-502",
    ),
]
DEFAULT_LIMITS += LEVEL_ONE_COMPLAINT_LIMITS
# repairs 100%, complaints always; other kinds a share (ours).
DEFAULT_CALLBACK_RATIOS = {"repair": 1, "temperature": 1, "complaint": 1, "*": 0.3}
# (level, after hours, position, channel, kinds) — R-405, for unhandled repair orders.
DEFAULT_ESCALATION = [
    (1, 24, "station_head", "inbox", "repair"),
    (2, 48, "general_manager", "inbox", "repair"),
    (3, 72, "deputy_gm", "sms", "repair"),
    (4, 96, "parent_gm", "sms", "repair"),
]


def install_default_policy(policy_model, limit_model, escalation_model, published_at=None) -> None:
    """Publish policy version 1 with the shipped values, unless a policy exists."""
    if policy_model.objects.exists():
        return
    policy = policy_model.objects.create(
        number=1, status="published", note="出厂默认（制度原值）", published_at=published_at
    )
    if hasattr(policy, "callback_ratios"):
        policy.callback_ratios = DEFAULT_CALLBACK_RATIOS
        policy.save(update_fields=["callback_ratios"])
    for (
        name,
        kind,
        grade,
        emergency,
        attribute,
        value,
        low,
        high,
        amount,
        unit,
        source,
    ) in DEFAULT_LIMITS:
        limit_model.objects.create(
            policy=policy,
            name=name,
            kind=kind,
            grade=grade,
            emergency=emergency,
            attribute=attribute,
            value=value,
            min_value=low,
            max_value=high,
            amount=amount,
            unit=unit,
            source=source,
        )
    for level, hours, position, channel, kinds in DEFAULT_ESCALATION:
        escalation_model.objects.create(
            policy=policy,
            level=level,
            after_hours=hours,
            position=position,
            channel=channel,
            kinds=kinds,
        )


HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


def install_builtin_calendar(year_model, day_model) -> list[int]:
    """Load every year the chinese-calendar package knows; returns the years loaded."""
    # Imported here: only migrations and `holidays load-builtin` need the package's tables
    # (defaults.py is imported by the policy models in every process).
    import chinese_calendar

    years = sorted({d.year for d in constants.holidays} | {d.year for d in constants.workdays})
    known = set(year_model.objects.values_list("year", flat=True))
    existing = set(day_model.objects.values_list("date", flat=True))
    rows = []
    for source, kind in ((constants.holidays, "holiday"), (constants.workdays, "workday")):
        for day, name in source.items():
            if day not in existing and day.year not in known:
                rows.append(day_model(date=day, kind=kind, name=HOLIDAY_NAMES.get(name, name)))
    day_model.objects.bulk_create(rows, batch_size=500)
    for year in years:
        if year not in known:
            year_model.objects.create(
                year=year, source=f"chinese-calendar {chinese_calendar.__version__}"
            )
    return [y for y in years if y not in known]


def default_refund_bands() -> list[dict[str, str]]:
    """R-706 (the Xi'an example): under 18 °C a fifth of the affected period's fee, under
    16 °C half, under 14 °C all of it."""
    return [
        {"below": "18.0", "share": "0.20"},
        {"below": "16.0", "share": "0.50"},
        {"below": "14.0", "share": "1.00"},
    ]


def default_exchange_answer_days() -> dict[str, int]:
    """The 12345 platform's answer limits in working days by case kind (ours, as the city
    platforms commonly set them): consultations and fee enquiries 3, everything else 13;
    "*" is every kind not named."""
    return {"consultation": 3, "fee": 3, "*": 13}


def default_kpi_targets() -> dict[str, str]:
    """R-904 targets by KPI code (docs/kpis.md). The seeds': repair timeliness ≥ 90 % and
    valid complaints < 1 % (003 投诉服务规范 11), leak repair ≥ 98 % (001-15), repair
    callbacks ≥ 90 % and satisfaction ≥ 98 % (003 第七条); the rest ours. Whether a figure
    must stay above or below its target is the KPI's own (kpis/definitions.py)."""
    return {
        "complaint_timeliness": "0.95",
        "repair_on_site_timeliness": "0.90",
        "repair_resolution_timeliness": "0.90",
        "leak_repair_timeliness": "0.98",
        "callback_rate": "0.90",
        "satisfaction_rate": "0.98",
        "valid_complaint_rate": "0.01",
        "first_contact_resolution": "0.80",
        "entry_error_rate": "0.01",
        "temperature_pass_rate": "0.95",  # nosec B105 - a KPI target, not a password
        "outage_notice_timeliness": "1.00",
    }


def default_assessment_weights() -> dict[str, str]:
    """Points each KPI carries in the monthly assessment (ours; 100 in all). A figure at or
    better than its target earns its points in full, a worse one in proportion."""
    return {
        "complaint_timeliness": "15",
        "repair_on_site_timeliness": "15",
        "repair_resolution_timeliness": "15",
        "callback_rate": "10",
        "satisfaction_rate": "20",
        "valid_complaint_rate": "15",
        "first_contact_resolution": "5",
        "entry_error_rate": "5",
    }


def default_assessment_deductions() -> dict[str, str]:
    """Points taken off a unit's or person's monthly score per event (ours, after 002
    奖惩: a complaint caused, a broken commitment)."""
    return {
        "valid_complaint": "2",
        "breached_deadline": "0.5",
        "entry_error": "0.5",
    }
