# Major faults move to the outages app (outages 0001_initial). State only: the foreign
# keys of cases and contacts now name outages.MajorFault, whose table is still
# cases_majorfault, and cases.MajorFault leaves the state; the database is not touched.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0011_case_deadlines_move_from_sla"),
        ("outages", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="case",
                    name="major_fault",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="cases", to="outages.majorfault", verbose_name="major fault"),
                ),
                migrations.AlterField(
                    model_name="contact",
                    name="major_fault",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="contacts", to="outages.majorfault", verbose_name="major fault"),
                ),
                migrations.DeleteModel(name="MajorFault"),
            ],
            database_operations=[],
        ),
    ]
