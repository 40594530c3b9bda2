"""Shipped notice templates (Chinese). Placeholders are filled in order of first
appearance: the provider's template for each code numbers them {1}, {2}, … in that order.

Values the outage notices take:

- ``area``: where (楼宇、换热站或小区名称), ``service``: 热 / 气 / 水
- ``reason``: why (管道抢修、计划检修 …)
- ``start``, ``end``: the interruption and its expected restoration (e.g. 12月3日08:00)
- ``restored``: when supply came back
- ``hotline``: the service hotline
"""

OUTAGE_PLANNED = "outage_planned"
OUTAGE_UNPLANNED = "outage_unplanned"
OUTAGE_RESTORATION_CHANGED = "outage_restoration_changed"
OUTAGE_RESTORED = "outage_restored"

DEFAULT_TEMPLATES: list[dict[str, str]] = [
    {
        "code": OUTAGE_PLANNED,
        "name": "计划停供通知",
        "text": (
            "尊敬的用户：因{reason}，您所在的{area}将于{start}至{end}暂停供{service}，"
            "请提前做好准备，给您带来不便敬请谅解。咨询电话{hotline}。"
        ),
    },
    {
        "code": OUTAGE_UNPLANNED,
        "name": "突发停供通知",
        "text": (
            "尊敬的用户：因{reason}，您所在的{area}自{start}起暂停供{service}，"
            "我们正在全力抢修，预计{end}恢复，给您带来不便敬请谅解。咨询电话{hotline}。"
        ),
    },
    {
        "code": OUTAGE_RESTORATION_CHANGED,
        "name": "恢复时间调整通知",
        "text": (
            "尊敬的用户：您所在的{area}暂停供{service}，因{reason}，预计恢复时间调整为{end}，"
            "给您带来不便敬请谅解。咨询电话{hotline}。"
        ),
    },
    {
        "code": OUTAGE_RESTORED,
        "name": "恢复供应通知",
        "text": (
            "尊敬的用户：您所在的{area}已于{restored}恢复供{service}，感谢您的理解与支持。"
            "如仍有异常，请致电{hotline}。"
        ),
    },
]


def install_default_templates(model) -> None:
    """Create the shipped templates that are missing (an edited one is kept as it is)."""
    for row in DEFAULT_TEMPLATES:
        if not model.objects.filter(code=row["code"]).exists():
            model.objects.create(channel="sms", **row)
