"""Adds the level-1 complaint limits to the shipped policy version 1 when it is still the
untouched factory default (no site has published its own policy yet)."""

from django.db import migrations

from utilitydesk.policy.defaults import LEVEL_ONE_COMPLAINT_LIMITS


def add(apps, schema_editor):
    PolicyVersion = apps.get_model("sla", "PolicyVersion")
    LimitRule = apps.get_model("sla", "LimitRule")
    policy = PolicyVersion.objects.filter(number=1, note="出厂默认（制度原值）").first()
    if policy is None or PolicyVersion.objects.count() > 1:
        return
    for name, kind, grade, emergency, attribute, value, low, high, amount, unit, source in LEVEL_ONE_COMPLAINT_LIMITS:
        LimitRule.objects.get_or_create(
            policy=policy, name=name, kind=kind, attribute=attribute, value=value,
            defaults={"grade": grade, "emergency": emergency, "min_value": low, "max_value": high,
                      "amount": amount, "unit": unit, "source": source},
        )


class Migration(migrations.Migration):
    dependencies = [("sla", "0005_default_callback_ratios")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
