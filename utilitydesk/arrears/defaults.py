"""The shipped arrears policy (R-803, R-805; values marked "ours" where the rules leave a
blank). Takes model classes so the data migration can pass its historical models."""

# The attribute of the valve work orders this app opens (cases.attributes), and its values;
# a policy time limit matches ``restore`` (R-805: heat back within 24 h of payment).
VALVE_ATTRIBUTE = "arrears_valve"
RESTORE = "restore"

# (order, kind, required, days after the previous step, written notice days, approved by)
DEFAULT_STEPS = [
    (1, "notice", True, 0, 0, "billing_clerk"),  # the payment notice
    (2, "reminder", True, 15, 0, "billing_clerk"),  # R-803 reminder (ours: 15 days)
    (3, "phone", False, 7, 0, "billing_clerk"),  # ours
    (4, "visit", False, 7, 0, "station_head"),  # ours
    (5, "letter", True, 7, 0, "station_head"),  # 催缴通知书 (ours: 7 days)
    (6, "limit", False, 15, 3, "department_head"),  # R-805: 15 days' wait; notice ours
    (7, "stop", False, 15, 3, "deputy_gm"),
]
DEFAULT_CLOSE_DAYS = 30
DEFAULT_RESTORE_HOURS = 24
# The policy (label sla) time limit of the restoration work order.
RESTORE_LIMIT = (
    "resolution",
    "repair",
    "",
    None,
    VALVE_ATTRIBUTE,
    RESTORE,
    None,
    None,
    DEFAULT_RESTORE_HOURS,
    "hours",
    "R-805",
)


def install_default_arrears_policy(policy_model, step_model, published_at=None) -> None:
    """Publish arrears policy version 1 with the shipped values, unless one exists."""
    if policy_model.objects.exists():
        return
    policy = policy_model.objects.create(
        number=1,
        status="published",
        note="出厂默认",
        application_close_days=DEFAULT_CLOSE_DAYS,
        restore_hours=DEFAULT_RESTORE_HOURS,
        published_at=published_at,
    )
    step_model.objects.bulk_create(
        step_model(
            policy=policy,
            order=order,
            kind=kind,
            required=required,
            wait_days=wait,
            advance_notice_days=notice,
            approver_position=position,
        )
        for order, kind, required, wait, notice, position in DEFAULT_STEPS
    )


def install_restore_limit(policy_model, limit_model) -> None:
    """Add the restoration limit to every policy version not retired (a draft or the
    published one), unless it has one."""
    name, kind, grade, emergency, attribute, value, low, high, amount, unit, source = RESTORE_LIMIT
    for policy in policy_model.objects.exclude(status="retired"):
        limit_model.objects.get_or_create(
            policy=policy,
            name=name,
            kind=kind,
            attribute=attribute,
            value=value,
            defaults={
                "grade": grade,
                "emergency": emergency,
                "min_value": low,
                "max_value": high,
                "amount": amount,
                "unit": unit,
                "source": source,
            },
        )
