"""The network workbook import: a good file, rejected rows named by sheet and row, a second
import that changes nothing, a dry run that writes nothing, never a partial write."""

import copy
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from utilitydesk.area.models import Building, Community, PipeSection, Source, Substation, Utility
from utilitydesk.area.network_import import import_network, template_workbook
from utilitydesk.audit.models import ChangeRecord
from utilitydesk.customers.models import Premises

from .workbooks import GOOD, SUBSTATIONS_HEADER, write_workbook

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def run(path, user, **kw):
    return import_network(path, actor=user, now=NOW, **kw)


def network_rows() -> tuple:
    return (
        list(Source.objects.values_list("code", "name", "utility", "description")),
        list(Substation.objects.values_list("code", "name", "kind", "source__code", "station_id")),
        list(Building.objects.values_list("community__name", "name", "substation__code")),
        list(PipeSection.objects.values_list("code", "from_source", "from_substation",
                                             "to_substation", "to_building", "length_m",
                                             "diameter_mm", "laid_year", "note")),
    )  # fmt: skip


def test_a_good_workbook_builds_sources_substations_buildings_and_pipes(tmp_path, people, org):
    report = run(write_workbook(tmp_path / "net.xlsx", GOOD), people["admin"])
    assert report.ok and report.written, report.errors
    assert {k: (c.created, c.updated, c.rejected) for k, c in report.sheets.items()} == {
        "sources": (3, 0, 0),
        "substations": (4, 0, 0),
        "buildings": (3, 0, 0),
        "pipes": (3, 0, 0),
    }
    assert Source.objects.get(code="HS-2").utility == Utility.HEAT  # the default
    assert Source.objects.get(code="GS-1").utility == Utility.GAS
    h1, h2, p1 = (Substation.objects.get(code=c) for c in ("H-1", "H-2", "P-1"))
    assert (h1.source.code, h1.station, h1.kind) == ("HS-1", org["east"], "heat_exchange")
    # A source and a station may be named instead of coded.
    assert (h2.source.code, h2.station) == ("HS-1", org["west"])
    # A new substation of a gas source is a pressure zone unless told otherwise.
    assert p1.kind == Substation.Kind.PRESSURE_ZONE
    # Districts and communities that did not exist are created with the building.
    assert Building.objects.get(community__district__name="西城区", name="3号楼").substation == h2
    trunk = PipeSection.objects.get(code="PS-001")
    assert (trunk.from_source.code, trunk.to_substation, trunk.diameter_mm) == ("HS-1", h1, 500)
    assert (trunk.length_m, trunk.laid_year, trunk.note) == (Decimal("1200.5"), 2008, "主干线")
    branch = PipeSection.objects.get(code="PS-003")
    assert (branch.from_substation, branch.to_building.name, branch.length_m) == (
        h1,
        "1号楼",
        Decimal("35.0"),
    )
    assert branch.utility == Utility.HEAT


def test_importing_the_same_workbook_again_changes_nothing(tmp_path, people, org):
    path = write_workbook(tmp_path / "net.xlsx", GOOD)
    run(path, people["admin"])
    before, changes = network_rows(), ChangeRecord.objects.count()
    again = run(path, people["admin"])
    assert again.ok and again.written
    assert {k: (c.created, c.updated, c.unchanged) for k, c in again.sheets.items()} == {
        "sources": (0, 0, 3),
        "substations": (0, 0, 4),
        "buildings": (0, 0, 3),
        "pipes": (0, 0, 3),
    }
    assert network_rows() == before
    assert ChangeRecord.objects.count() == changes


def test_a_changed_row_updates_by_code_and_records_who_changed_what(tmp_path, people, org):
    run(write_workbook(tmp_path / "net.xlsx", GOOD), people["admin"])
    sheets = copy.deepcopy(GOOD)
    sheets["换热站"][1] = ["H-1", "东城一号站", "", "HS-2", "E"]
    report = run(write_workbook(tmp_path / "net2.xlsx", sheets), people["admin"])
    assert report.ok and report.sheets["substations"].updated == 1
    h1 = Substation.objects.get(code="H-1")
    assert (h1.name, h1.source.code) == ("东城一号站", "HS-2")
    assert Substation.objects.count() == 4
    fields = set(
        ChangeRecord.objects.filter(object_id=h1.pk, source="import").values_list(
            "field", "new_value"
        )
    )
    assert fields == {("name", "东城一号站"), ("source", str(Source.objects.get(code="HS-2").pk))}


def test_a_building_moved_to_another_station_takes_its_premises_along(
    tmp_path, people, org, area, customers
):
    # area["east"] is 东城区 阳光花园 1号楼 on substation H-E (城东); H-W belongs to 城西.
    premises = Premises.objects.get(customer=customers["east"])
    assert premises.station == org["east"]
    sheets = {"楼宇": [GOOD["楼宇"][0], ["东城区", "阳光花园", "1号楼", "H-W"]]}
    report = run(write_workbook(tmp_path / "move.xlsx", sheets), people["admin"])
    assert report.ok and report.sheets["buildings"].updated == 1 and report.buildings_moved == 1
    premises.refresh_from_db()
    assert premises.station == org["west"]
    assert Building.objects.get(pk=area["east"].pk).substation.code == "H-W"
    # A substation handed to another station moves the premises of all its buildings.
    sheets = {"换热站": [SUBSTATIONS_HEADER, ["H-W", "西站", "", "", "E"]]}
    report = run(write_workbook(tmp_path / "station.xlsx", sheets), people["admin"])
    assert report.ok and report.buildings_moved == 2
    assert set(Premises.objects.values_list("station__code", flat=True)) == {"E"}


def test_rows_with_errors_are_reported_by_sheet_and_row_and_nothing_is_written(
    tmp_path, people, org
):
    sheets = copy.deepcopy(GOOD)
    sheets["热源"].append(["HS-9", "", "蒸汽", ""])  # row 5: no name, unknown utility
    sheets["热源"].append(["HS-1", "重复", "", ""])  # row 6: the code again
    sheets["换热站"].append(["H-9", "九号站", "", "HS-404", "城北供热所"])  # row 6
    sheets["换热站"].append(["H-8", "八号站", "泵站", "HS-9", "E"])  # row 7
    sheets["换热站"].append(["H-7", "七号站", "调压区", "HS-1", "E"])  # row 8: kind vs heat
    sheets["楼宇"].append(["东城区", "阳光花园", "", "H-1"])  # row 5: no building
    sheets["楼宇"].append(["东城区", "阳光花园", "5号楼", "H-404"])  # row 6
    sheets["管段"].append(["PS-004", "HS-1", "HS-2", "", "", "", "粗", "-3", 2999, ""])  # row 5
    sheets["管段"].append(["PS-005", "X-1", "", "", "", "", "", "", "", ""])  # row 6
    sheets["管段"].append(["PS-006", "H-1", "", "东城区", "幸福里", "9号楼", "", "", "", ""])
    report = run(write_workbook(tmp_path / "bad.xlsx", sheets), people["admin"])
    assert not report.ok and not report.written
    found = {(e.sheet, e.row, e.column) for e in report.errors}
    assert found == {
        ("热源", 5, "名称"),
        ("热源", 5, "类别"),
        ("热源", 6, "编码"),
        ("换热站", 6, "热源"),
        ("换热站", 6, "供热所"),
        ("换热站", 7, "类型"),
        ("换热站", 7, "热源"),
        ("换热站", 8, "类型"),
        ("楼宇", 5, "楼"),
        ("楼宇", 6, "换热站"),
        ("管段", 5, "终点站"),
        ("管段", 5, "管径(mm)"),
        ("管段", 5, "长度(m)"),
        ("管段", 5, "敷设年份"),
        ("管段", 6, "起点"),
        ("管段", 6, "终点站"),
        ("管段", 7, "楼"),
    }
    reasons = {(e.sheet, e.row, e.column): e.reason for e in report.errors}
    assert reasons[("热源", 6, "编码")] == "本工作表第 2 行已有。"
    assert reasons[("换热站", 7, "热源")] == "引用的编码所在的第 5 行有错误。"
    assert "调压区" in reasons[("换热站", 8, "类型")]
    assert report.error_count == len(found)
    assert report.sheets["sources"].rejected == 2
    # The good rows were not written either.
    assert not Source.objects.exists() and not Substation.objects.exists()
    assert not Building.objects.exists() and not Community.objects.exists()
    assert not PipeSection.objects.exists() and not ChangeRecord.objects.exists()


def test_a_dry_run_reports_what_it_would_do_and_writes_nothing(tmp_path, people, org):
    report = run(write_workbook(tmp_path / "net.xlsx", GOOD), people["admin"], dry_run=True)
    assert report.ok and report.dry_run and not report.written
    assert report.sheets["buildings"].created == 3 and report.sheets["pipes"].created == 3
    assert not Source.objects.exists() and not Building.objects.exists()


def test_titles_above_the_header_and_other_sheets_are_skipped(tmp_path, people, org):
    sheets = {"说明": [["本表为示例"]], "热源": GOOD["热源"]}
    report = run(write_workbook(tmp_path / "t.xlsx", sheets, title_rows=2), people["admin"])
    assert report.ok, report.errors
    assert report.ignored_sheets == ["说明"] and Source.objects.count() == 3


def test_unreadable_files_are_refused_with_a_reason(tmp_path, people):
    text = tmp_path / "net.csv"
    text.write_text("编码,名称\n", encoding="utf-8")
    assert run(text, people["admin"]).file_errors == ["只能导入 .xlsx 工作簿。"]
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    assert "无法读取" in run(broken, people["admin"]).file_errors[0]
    other = write_workbook(tmp_path / "other.xlsx", {"Sheet1": [["a", "b"]]})
    assert "热源" in run(other, people["admin"]).file_errors[0]
    headless = write_workbook(tmp_path / "headless.xlsx", {"换热站": [["站名", "地址"]]})
    assert "换热站" in run(headless, people["admin"]).file_errors[0]


def test_the_template_is_the_layout_the_import_reads(tmp_path, people):
    path = tmp_path / "template.xlsx"
    path.write_bytes(template_workbook())
    report = run(path, people["admin"])
    assert report.ok and report.ignored_sheets == ["说明"]
    assert set(report.sheets) == {"sources", "substations", "buildings", "pipes"}
    assert all(c.rows == 0 for c in report.sheets.values())


def test_only_people_allowed_to_import_the_network_may(tmp_path, people):
    path = write_workbook(tmp_path / "net.xlsx", GOOD)
    with pytest.raises(PermissionDenied):
        run(path, people["tech"])
    with pytest.raises(PermissionDenied):
        run(path, people["office"])
