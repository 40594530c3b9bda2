"""Shipped routing rules (R-302); administrators change them as data afterwards."""

from django.db import migrations

RULES = [
    (10, "热费咨询 → 收费部", "fee", "function", "billing"),
    (20, "报修 → 房屋所属供热所", "repair", "premises_station", ""),
    (30, "报修（无房屋）→ 维修部", "repair", "function", "repair"),
    (40, "测温 → 房屋所属供热所", "temperature", "premises_station", ""),
    (50, "测温（无房屋）→ 运行部", "temperature", "function", "operations"),
    (60, "投诉 → 客户服务中心协调", "complaint", "function", "service_centre"),
    (70, "建议 → 服务管理办公室", "suggestion", "function", "service_office"),
    (80, "表扬 → 服务管理办公室", "praise", "function", "service_office"),
    (90, "咨询（未当场答复）→ 客户服务中心", "consultation", "function", "service_centre"),
]


def seed(apps, schema_editor):
    RoutingRule = apps.get_model("cases", "RoutingRule")
    if RoutingRule.objects.exists():
        return
    for priority, name, kind, target, function in RULES:
        RoutingRule.objects.create(
            priority=priority, name=name, kind=kind, target=target, target_function=function
        )


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
