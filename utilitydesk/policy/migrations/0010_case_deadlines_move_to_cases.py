# The deadlines, pauses and escalations of cases move to the cases app
# (cases/deadline_models.py, migration cases 0011_case_deadlines_move_from_sla). State only:
# the tables sla_casedeadline, sla_casepause and sla_caseescalation, their indexes and
# constraints stay as they are, and no row moves (docs/decisions/0003).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("sla", "0009_hotline_hours"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="CasePause"),
                migrations.DeleteModel(name="CaseDeadline"),
                migrations.DeleteModel(name="CaseEscalation"),
            ],
            database_operations=[],
        ),
    ]
