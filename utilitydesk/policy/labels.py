"""How policy rows read to a person: kinds, grades, attributes and positions by their
Chinese names instead of stored codes."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from utilitydesk.customers.models import CustomerType, Grade
from utilitydesk.notifications.models import Channel
from utilitydesk.org.models import Position

ATTRIBUTE_LABELS = {
    "customer_type": gettext_lazy("customer type"),
    "pipe_diameter_mm": gettext_lazy("pipe diameter (mm)"),
    "special": gettext_lazy("special complaint"),
    "complaint_level": gettext_lazy("complaint level"),
}
ATTRIBUTE_VALUES = {"customer_type": dict(CustomerType.choices)}


# The case kinds are named by the cases app, which registers them in its ready() (policy
# sits below cases and does not import it).
_kind_labels_registered: dict[str, str] = {}


def register_kind_labels(choices) -> None:
    """Name the case kinds that limit rules and escalation levels refer to by code."""
    _kind_labels_registered.update(dict(choices))


def _kind_labels() -> dict[str, str]:
    return _kind_labels_registered


def rule_source(source: str) -> str:
    return str(_("Company rule")) if source == "ours" else source


def limit_applies_to(rule) -> str:
    kinds = _kind_labels()
    parts = [str(kinds.get(rule.kind, rule.kind)) if rule.kind else _("every kind")]
    if rule.grade:
        parts.append(str(dict(Grade.choices).get(rule.grade, rule.grade)))
    if rule.emergency:
        parts.append(_("emergency"))
    if rule.attribute:
        name = str(ATTRIBUTE_LABELS.get(rule.attribute, rule.attribute))
        values = ATTRIBUTE_VALUES.get(rule.attribute, {})
        if rule.value:
            parts.append(f"{name} = {values.get(rule.value, rule.value)}")
        if rule.min_value is not None:
            parts.append(f"{name} ≥ {rule.min_value.normalize():f}")
        if rule.max_value is not None:
            parts.append(f"{name} ≤ {rule.max_value.normalize():f}")
    return "，".join(str(p) for p in parts)


def position_label(code: str) -> str:
    return str(dict(Position.choices).get(code, code))


def channel_label(code: str) -> str:
    return str(dict(Channel.choices).get(code, code))


def kinds_label(kinds: str) -> str:
    if not kinds:
        return _("every kind")
    labels = _kind_labels()
    return "、".join(str(labels.get(k.strip(), k.strip())) for k in kinds.split(",") if k.strip())
