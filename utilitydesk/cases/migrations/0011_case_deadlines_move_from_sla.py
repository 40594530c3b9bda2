# The deadlines, pauses and escalations of cases, moved from the policy app (label sla,
# migration sla 0010_case_deadlines_move_to_cases). State only: the models keep their
# tables (db_table), indexes and constraints by name, so no row moves and the database is
# not touched (docs/decisions/0003-policy-keeps-the-sla-label.md).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0010_case_building_and_export_permission"),
        ("sla", "0010_case_deadlines_move_to_cases"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="CaseDeadline",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(choices=[("first_response", "First response"), ("on_site", "Arrival on site"), ("resolution", "Resolution"), ("callback", "Callback")], max_length=16, verbose_name="limit")),
                        ("due_at", models.DateTimeField(verbose_name="due")),
                        ("original_due_at", models.DateTimeField(verbose_name="originally due")),
                        ("amount", models.DecimalField(decimal_places=2, max_digits=8)),
                        ("unit", models.CharField(choices=[("hours", "clock hours"), ("natural_days", "natural days"), ("working_days", "working days")], max_length=16)),
                        ("provisional", models.BooleanField(default=False, verbose_name="provisional")),
                        ("state", models.CharField(choices=[("pending", "Running"), ("paused", "Paused"), ("met", "Met"), ("breached", "Breached")], default="pending", max_length=10, verbose_name="state")),
                        ("met_at", models.DateTimeField(blank=True, null=True, verbose_name="met at")),
                        ("breached_at", models.DateTimeField(blank=True, null=True, verbose_name="breached at")),
                        ("warned_at", models.DateTimeField(blank=True, null=True, verbose_name="warned at")),
                        ("paused_at", models.DateTimeField(blank=True, null=True)),
                        ("case", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="deadlines", to="cases.case")),
                    ],
                    options={
                        "verbose_name": "case deadline",
                        "verbose_name_plural": "case deadlines",
                        "db_table": "sla_casedeadline",
                        "ordering": ["due_at"],
                        "indexes": [
                            models.Index(fields=["provisional", "state"], name="sla_casedea_provisi_d1a8a8_idx"),
                            models.Index(condition=models.Q(("state", "pending")), fields=["case", "due_at"], name="sla_deadline_pending_due"),
                        ],
                        "constraints": [models.UniqueConstraint(fields=("case", "name"), name="sla_case_deadline_unique")],
                    },
                ),
                migrations.CreateModel(
                    name="CasePause",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("started_at", models.DateTimeField()),
                        ("ended_at", models.DateTimeField(blank=True, null=True)),
                        ("reason", models.TextField()),
                        ("case", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="pauses", to="cases.case")),
                    ],
                    options={
                        "db_table": "sla_casepause",
                        "ordering": ["started_at"],
                    },
                ),
                migrations.CreateModel(
                    name="CaseEscalation",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("level", models.PositiveSmallIntegerField(verbose_name="level")),
                        ("position", models.CharField(max_length=20, verbose_name="position")),
                        ("at", models.DateTimeField(verbose_name="at")),
                        ("targets", models.JSONField(default=list, verbose_name="notified")),
                        ("case", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="escalations", to="cases.case")),
                    ],
                    options={
                        "verbose_name": "escalation",
                        "verbose_name_plural": "escalations",
                        "db_table": "sla_caseescalation",
                        "ordering": ["case", "level"],
                        "constraints": [models.UniqueConstraint(fields=("case", "level"), name="sla_case_escalation_unique")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
