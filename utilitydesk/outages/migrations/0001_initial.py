# Major faults move from cases to outages. State only: the model keeps its table
# (cases_majorfault) and its three link tables (cases_majorfault_units, _buildings,
# _substations), so no row moves and the database is not touched. cases 0012 points the
# foreign keys of cases and contacts here and deletes cases.MajorFault from the state;
# 0002 hands the permissions over (content type cases.majorfault → outages.majorfault).

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("area", "0001_initial"),
        ("org", "0001_initial"),
        ("cases", "0010_case_building_and_export_permission"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="MajorFault",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("title", models.CharField(max_length=200, verbose_name="title")),
                        ("occurred_at", models.DateTimeField(verbose_name="time")),
                        ("place", models.CharField(max_length=200, verbose_name="place")),
                        ("symptoms", models.TextField(verbose_name="symptoms")),
                        ("response_plan", models.TextField(verbose_name="response plan")),
                        ("reported_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="reported at")),
                        ("state", models.CharField(choices=[("open", "Being handled"), ("closed", "Closed with analysis")], default="open", max_length=8, verbose_name="state")),
                        ("impact", models.TextField(blank=True, verbose_name="impact")),
                        ("handling", models.TextField(blank=True, verbose_name="handling")),
                        ("root_cause", models.TextField(blank=True, verbose_name="root cause")),
                        ("corrective_actions", models.TextField(blank=True, verbose_name="corrective actions")),
                        ("preventive_actions", models.TextField(blank=True, verbose_name="preventive actions")),
                        ("closed_at", models.DateTimeField(blank=True, null=True, verbose_name="closed at")),
                        ("report_shared_at", models.DateTimeField(blank=True, null=True, verbose_name="report shared with customers")),
                        ("reported_by", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="reported by")),
                        ("units", models.ManyToManyField(db_table="cases_majorfault_units", related_name="major_faults", to="org.orgunit", verbose_name="responsible units")),
                        ("buildings", models.ManyToManyField(blank=True, db_table="cases_majorfault_buildings", related_name="major_faults", to="area.building", verbose_name="affected buildings")),
                        ("substations", models.ManyToManyField(blank=True, db_table="cases_majorfault_substations", related_name="major_faults", to="area.substation", verbose_name="affected substations")),
                    ],
                    options={
                        "verbose_name": "major fault",
                        "verbose_name_plural": "major faults",
                        "db_table": "cases_majorfault",
                        "ordering": ["-occurred_at"],
                        "permissions": [("manage_major_fault", "Can report and analyse major faults")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
