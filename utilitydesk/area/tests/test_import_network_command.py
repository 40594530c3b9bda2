"""manage.py import_network FILE [--dry-run]."""

import json

import pytest
from django.core.management import CommandError, call_command

from tests.factories import staff
from utilitydesk.area.models import PipeSection, Source
from utilitydesk.org.models import Position

from .workbooks import GOOD, write_workbook

pytestmark = pytest.mark.django_db


def test_the_command_imports_and_a_dry_run_writes_nothing(tmp_path, people, capsys):
    path = write_workbook(tmp_path / "net.xlsx", GOOD)
    call_command("import_network", str(path), "--dry-run")
    out = capsys.readouterr().out
    assert "dry run" in out and "3 created" in out
    assert not Source.objects.exists()
    report = tmp_path / "report.json"
    call_command("import_network", str(path), f"--report={report}")
    assert "network imported" in capsys.readouterr().out
    assert Source.objects.count() == 3 and PipeSection.objects.count() == 3
    assert json.loads(report.read_text(encoding="utf-8"))["written"] is True
    call_command("import_network", str(path))
    assert "0 created, 0 updated, 3 unchanged" in capsys.readouterr().out


def test_the_command_lists_rejected_rows_and_fails(tmp_path, people):
    bad = {"热源": [*GOOD["热源"], ["HS-9", "", "", ""]]}
    path = write_workbook(tmp_path / "bad.xlsx", bad)
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_network", str(path))
    assert not Source.objects.exists()
    with pytest.raises(CommandError, match="does not exist"):
        call_command("import_network", str(tmp_path / "missing.xlsx"))
    staff("dispatcher", Position.DISPATCHER, people["agent"].assignments.get().unit)
    with pytest.raises(CommandError, match="may not"):
        call_command("import_network", str(path), "--user=tech")
