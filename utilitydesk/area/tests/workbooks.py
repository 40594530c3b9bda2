"""Network workbooks for the tests, written the way an office fills the template."""

from pathlib import Path

from openpyxl import Workbook

SOURCES_HEADER = ["编码", "名称", "类别", "说明"]
SUBSTATIONS_HEADER = ["编码", "名称", "类型", "热源", "供热所"]
BUILDINGS_HEADER = ["区", "小区", "楼", "换热站"]
PIPES_HEADER = [
    "编码",
    "起点",
    "终点站",
    "区",
    "小区",
    "楼",
    "管径(mm)",
    "长度(m)",
    "敷设年份",
    "备注",
]

GOOD = {
    "热源": [
        SOURCES_HEADER,
        ["HS-1", "临河热电厂", "供热", "两台 300MW 机组"],
        ["HS-2", "南湖锅炉房", "", ""],
        ["GS-1", "东郊燃气门站", "燃气", ""],
    ],
    "换热站": [
        SUBSTATIONS_HEADER,
        ["H-1", "东城1号换热站", "", "HS-1", "E"],
        ["H-2", "西城1号换热站", "换热站", "临河热电厂", "城西供热所"],
        ["H-3", "南湖换热站", "", "HS-2", "E"],
        ["P-1", "东郊调压区", "", "GS-1", "E"],
    ],
    "楼宇": [
        BUILDINGS_HEADER,
        ["东城区", "阳光花园", "1号楼", "H-1"],
        ["东城区", "阳光花园", "2号楼", "H-1"],
        ["西城区", "西苑新村", "3号楼", "H-2"],
    ],
    "管段": [
        PIPES_HEADER,
        ["PS-001", "HS-1", "H-1", "", "", "", "DN500", "1,200.5", 2008, "主干线"],
        ["PS-002", "HS-1", "H-2", "", "", "", 400, 800, "2012", ""],
        ["PS-003", "H-1", "", "东城区", "阳光花园", "1号楼", "100mm", "35米", "", ""],
    ],
}


def write_workbook(path: Path, sheets: dict[str, list[list]], title_rows: int = 0) -> Path:
    workbook = Workbook()
    first = True
    for title, rows in sheets.items():
        sheet = workbook.active if first else workbook.create_sheet(title)
        assert sheet is not None
        sheet.title = title
        first = False
        for n in range(title_rows):
            sheet.append([f"2026年供热管网台账（{title}）" if n == 0 else ""])
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path
