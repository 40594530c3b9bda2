"""Shipped routing rules (R-302). Used by the data migration and by tests; takes the model
class so a migration can pass its historical model."""

DEFAULT_ROUTING_RULES = [
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


def install_default_routing_rules(routing_rule_model) -> None:
    """Create the shipped rules unless an administrator already has rules."""
    if routing_rule_model.objects.exists():
        return
    for priority, name, kind, target, function in DEFAULT_ROUTING_RULES:
        routing_rule_model.objects.create(
            priority=priority, name=name, kind=kind, target=target, target_function=function
        )
