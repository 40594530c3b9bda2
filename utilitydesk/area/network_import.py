"""The supply network from one Excel workbook (docs/import.md, "Network import").

Four sheets, each optional: 热源 (sources: heat sources, gas gate stations, waterworks),
换热站 (substations, pressure zones, valve districts), 楼宇 (buildings linked to their
substation; missing districts, communities and buildings are created) and 管段 (pipe
sections). Rows are keyed by code (buildings by 区 + 小区 + 楼): importing the same
workbook again changes nothing. An empty optional cell leaves the stored value as it is.

Every row is checked and written inside one transaction; when any row has an error, or for
a dry run, the transaction is rolled back: the network is never written in part. The
report names the sheet, the row number as the spreadsheet shows it and the reason."""

import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook

from utilitydesk.audit.models import ChangeRecord
from utilitydesk.audit.models import Source as ChangeSource
from utilitydesk.audit.services import change_records_for, diff_values
from utilitydesk.kernel.spreadsheets import append_row
from utilitydesk.kernel.text import clean_text
from utilitydesk.org.models import OrgUnit, UnitKind

from . import hooks
from .models import Building, Community, District, PipeSection, Source, Substation, Utility

# --- the layout ------------------------------------------------------------------------

SOURCES, SUBSTATIONS, BUILDINGS, PIPES = "sources", "substations", "buildings", "pipes"


@dataclass(frozen=True)
class SheetSpec:
    key: str
    titles: tuple[str, ...]  # accepted sheet names, the first is the template's
    columns: dict[str, tuple[str, ...]]  # column key → accepted headers, the first written
    required: tuple[str, ...]
    label: Promise


_CODE = ("编码", "code", "代码", "编号")
_NAME = ("名称", "name")
_DISTRICT = ("区", "district", "区县", "行政区")
_COMMUNITY = ("小区", "community")
_BUILDING = ("楼", "building", "楼号", "楼栋")

SPECS: tuple[SheetSpec, ...] = (
    SheetSpec(
        SOURCES,
        ("热源", "sources", "source", "气源", "水源", "供水厂"),
        {
            "code": (*_CODE, "热源编码"),
            "name": (*_NAME, "热源名称"),
            "utility": ("类别", "utility", "介质", "供应类别", "类型"),
            "description": ("说明", "description", "描述", "备注"),
        },
        ("code", "name"),
        gettext_lazy("Sources"),
    ),
    SheetSpec(
        SUBSTATIONS,
        ("换热站", "substations", "substation", "调压区", "阀门片区", "站点"),
        {
            "code": (*_CODE, "换热站编码", "站编码"),
            "name": (*_NAME, "换热站名称", "站名称"),
            "kind": ("类型", "kind", "站类型"),
            "source": ("热源", "source", "热源编码", "气源", "水源"),
            "station": ("供热所", "station", "所属供热所", "管理单位", "供热站"),
        },
        ("code", "name"),
        gettext_lazy("Substations"),
    ),
    SheetSpec(
        BUILDINGS,
        ("楼宇", "buildings", "building", "楼栋"),
        {
            "district": _DISTRICT,
            "community": _COMMUNITY,
            "building": _BUILDING,
            "substation": ("换热站", "substation", "换热站编码", "调压区", "阀门片区"),
        },
        ("district", "community", "building", "substation"),
        gettext_lazy("Buildings"),
    ),
    SheetSpec(
        PIPES,
        ("管段", "pipes", "pipe_sections", "管线"),
        {
            "code": (*_CODE, "管段编码"),
            "start": ("起点", "from", "起点编码"),
            "end": ("终点站", "to", "终点", "终点换热站", "终点编码"),
            "district": _DISTRICT,
            "community": _COMMUNITY,
            "building": _BUILDING,
            "diameter_mm": ("管径", "diameter_mm", "公称直径", "dn"),
            "length_m": ("长度", "length_m", "管长"),
            "laid_year": ("敷设年份", "laid_year", "年份", "建设年份"),
            "utility": ("介质", "utility", "类别"),
            "note": ("备注", "note", "说明"),
        },
        ("code", "start"),
        gettext_lazy("Pipe sections"),
    ),
)
SPEC_BY_KEY = {spec.key: spec for spec in SPECS}

UTILITY_WORDS = {
    "heat": Utility.HEAT,
    "供热": Utility.HEAT,
    "热": Utility.HEAT,
    "热力": Utility.HEAT,
    "供暖": Utility.HEAT,
    "gas": Utility.GAS,
    "燃气": Utility.GAS,
    "气": Utility.GAS,
    "天然气": Utility.GAS,
    "water": Utility.WATER,
    "供水": Utility.WATER,
    "水": Utility.WATER,
    "自来水": Utility.WATER,
}
KIND_WORDS = {
    "heat_exchange": Substation.Kind.HEAT_EXCHANGE,
    "换热站": Substation.Kind.HEAT_EXCHANGE,
    "热力站": Substation.Kind.HEAT_EXCHANGE,
    "pressure_zone": Substation.Kind.PRESSURE_ZONE,
    "调压区": Substation.Kind.PRESSURE_ZONE,
    "压力分区": Substation.Kind.PRESSURE_ZONE,
    "调压站": Substation.Kind.PRESSURE_ZONE,
    "valve_district": Substation.Kind.VALVE_DISTRICT,
    "阀门片区": Substation.Kind.VALVE_DISTRICT,
    "阀门区": Substation.Kind.VALVE_DISTRICT,
    "计量片区": Substation.Kind.VALVE_DISTRICT,
}
# The kind a new substation gets from its source when the 类型 cell is empty.
DEFAULT_KIND = {
    Utility.HEAT: Substation.Kind.HEAT_EXCHANGE,
    Utility.GAS: Substation.Kind.PRESSURE_ZONE,
    Utility.WATER: Substation.Kind.VALVE_DISTRICT,
}

# Rows above the header (a title, a date) are skipped; the header is in the first ones.
HEADER_SEARCH_ROWS = 10
# Reasons listed in a report; the rest are counted.
MAX_LISTED_ERRORS = 1000
CODE_CHARS = 32
FIRST_YEAR = 1900


def utility_of_kind(kind: str) -> str:
    """The utility a substation of this kind carries (gas and water share the kinds)."""
    return Utility.HEAT if kind == Substation.Kind.HEAT_EXCHANGE else ""


def may_import_network(user: Any) -> bool:
    return bool(user.has_perm("area.import_network"))


# --- the report ------------------------------------------------------------------------


@dataclass
class RowError:
    sheet: str  # the sheet's name in the file
    row: int  # as the spreadsheet shows it
    column: str  # the column's header in the file ("" for the whole row)
    value: str
    reason: str


@dataclass
class SheetCounts:
    title: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0


@dataclass
class NetworkReport:
    sheets: dict[str, SheetCounts] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    file_errors: list[str] = field(default_factory=list)
    ignored_sheets: list[str] = field(default_factory=list)
    communities_created: int = 0
    buildings_moved: int = 0  # buildings now served by another heating station
    dry_run: bool = False
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.file_errors and not self.error_count

    def add_error(self, error: RowError) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_LISTED_ERRORS:
            self.errors.append(error)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        return data


class NetworkFileError(Exception):
    pass


# --- reading ---------------------------------------------------------------------------


def _key(title: str) -> str:
    """A sheet or column name as compared: 管径（mm）, *编码 and Code match 管径, 编码, code."""
    text = unicodedata.normalize("NFKC", title).lower()
    text = "".join(text.split()).strip("*")
    return re.sub(r"[(\[【][^)\]】]*[)\]】]$", "", text)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return unicodedata.normalize("NFKC", clean_text(str(value))).strip()


@dataclass
class Sheet:
    spec: SheetSpec
    title: str
    column_titles: dict[str, str]  # column key → header as written
    rows: list[tuple[int, dict[str, str]]]


def _check_size(path: Path) -> None:
    if path.suffix.lower() != ".xlsx":
        raise NetworkFileError(_("Only .xlsx workbooks can be imported."))
    size = path.stat().st_size
    limit = settings.IMPORT_MAX_FILE_BYTES
    if limit is not None and size > limit:
        raise NetworkFileError(
            _("The file is larger than the %(limit)s MB allowed.") % {"limit": limit // 2**20}
        )
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise NetworkFileError(
            _("The Excel file cannot be read: %(error)s") % {"error": exc}
        ) from exc
    limit = settings.IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES
    if limit is not None and unpacked > limit:
        raise NetworkFileError(
            _("The Excel file unpacks to more than the %(limit)s MB allowed.")
            % {"limit": limit // 2**20}
        )


def _spec_for(title: str) -> SheetSpec | None:
    wanted = _key(title)
    for spec in SPECS:
        if wanted in {_key(t) for t in spec.titles}:
            return spec
    return None


def _read_sheet(spec: SheetSpec, worksheet: Any, row_budget: list[int]) -> Sheet:
    lookup = {_key(alias): key for key, aliases in spec.columns.items() for alias in aliases}
    numbered = enumerate(worksheet.iter_rows(values_only=True), start=1)
    header: dict[int, str] | None = None
    titles: dict[str, str] = {}
    best: tuple[int, list[str]] = (0, [])
    for number, cells in numbered:
        texts = [_text(v) for v in cells]
        columns: dict[int, str] = {}
        for index, title in enumerate(texts):
            key = lookup.get(_key(title)) if title else None
            if key is not None and key not in columns.values():
                columns[index] = key
        if all(key in columns.values() for key in spec.required):
            header = columns
            titles = {key: texts[index] for index, key in columns.items()}
            break
        if len(columns) > best[0]:
            best = (len(columns), [texts[i] for i in columns])
        if number >= HEADER_SEARCH_ROWS:
            break
    if header is None:
        wanted = "、".join(spec.columns[key][0] for key in spec.required)
        raise NetworkFileError(
            _("Sheet %(sheet)s: no header row naming %(columns)s in its first %(rows)d rows.")
            % {"sheet": worksheet.title, "columns": wanted, "rows": HEADER_SEARCH_ROWS}
        )
    rows: list[tuple[int, dict[str, str]]] = []
    for number, cells in numbered:
        values = {key: _text(cells[i]) if i < len(cells) else "" for i, key in header.items()}
        if not any(values.values()):
            continue
        row_budget[0] -= 1
        if row_budget[0] < 0:
            raise NetworkFileError(
                _("The workbook has more than %(limit)s rows; split it.")
                % {"limit": f"{settings.IMPORT_MAX_ROWS:,}"}
            )
        rows.append((number, values))
    return Sheet(spec, worksheet.title, titles, rows)


def read_workbook(path: Path, report: NetworkReport) -> dict[str, Sheet]:
    """The workbook's known sheets by key; other sheets are listed as ignored."""
    _check_size(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise NetworkFileError(
            _("The Excel file cannot be read: %(error)s") % {"error": exc}
        ) from exc
    sheets: dict[str, Sheet] = {}
    budget = [settings.IMPORT_MAX_ROWS]
    try:
        for worksheet in workbook.worksheets:
            spec = _spec_for(worksheet.title)
            if spec is None or spec.key in sheets:
                report.ignored_sheets.append(worksheet.title)
                continue
            worksheet.reset_dimensions()
            sheets[spec.key] = _read_sheet(spec, worksheet, budget)
    except NetworkFileError:
        raise
    except Exception as exc:
        raise NetworkFileError(
            _("The Excel file cannot be read: %(error)s") % {"error": exc}
        ) from exc
    finally:
        workbook.close()
    if not sheets:
        raise NetworkFileError(
            _("The workbook has none of the sheets 热源, 换热站, 楼宇 and 管段 (see the template).")
        )
    return sheets


# --- checking and writing --------------------------------------------------------------


@dataclass
class _Row:
    """One row being checked: its values and the errors found."""

    importer: "_Importer"
    sheet: Sheet
    number: int
    values: dict[str, str]
    failed: bool = False

    def get(self, key: str) -> str:
        return self.values.get(key, "")

    def fail(self, key: str, reason: str) -> None:
        self.failed = True
        self.importer.report.add_error(
            RowError(
                self.sheet.title,
                self.number,
                self.sheet.column_titles.get(key, ""),
                self.get(key)[:100],
                reason,
            )
        )

    def text(self, key: str, limit: int, required: bool = False) -> str:
        value = self.get(key)
        if required and not value:
            self.fail(key, _("Required."))
        elif len(value) > limit:
            self.fail(key, _("At most %(limit)d characters.") % {"limit": limit})
        return value


def _number(text: str) -> str:
    """1,200.5 m, DN300, 300mm, 1200米 as their digits."""
    text = text.replace(",", "").strip().lower()
    text = re.sub(r"^dn", "", text)
    return re.sub(r"(mm|毫米|m|米)$", "", text).strip()


class _Importer:
    def __init__(self, report: NetworkReport, sheets: dict[str, Sheet], actor: Any, now: datetime):
        self.report, self.sheets, self.actor, self.now = report, sheets, actor, now
        self.changes: list[ChangeRecord] = []
        self.moved_buildings: set[int] = set()
        self.moved_substations: set[int] = set()
        self.name_index: dict[str, dict[str, list[Any]]] = {}
        # code → row number, for codes whose row was rejected (later references name it)
        self.rejected: dict[tuple[str, str], int] = {}
        self.source_rows: dict[str, int] = {}
        self.substation_rows: dict[str, int] = {}
        self.sources: dict[str, Source] = {s.code: s for s in Source.objects.all()}
        self.substations: dict[str, Substation] = {
            s.code: s for s in Substation.objects.select_related("source")
        }

    # helpers

    def _names(self, kind: str) -> dict[str, list[Any]]:
        """Sources or substations by name, for cells that name instead of code. Built on
        first use: sources are looked up by name only once their sheet is done, and
        substations once theirs is."""
        if kind not in self.name_index:
            records = self.sources if kind == SOURCES else self.substations
            index: dict[str, list[Any]] = {}
            for record in records.values():
                index.setdefault(record.name, []).append(record)
            self.name_index[kind] = index
        return self.name_index[kind]

    def _counts(self, sheet: Sheet) -> SheetCounts:
        counts = self.report.sheets.setdefault(sheet.spec.key, SheetCounts(title=sheet.title))
        counts.rows = len(sheet.rows)
        return counts

    def _changed(
        self, instance: Any, before: Mapping[str, Any], after: Mapping[str, Any]
    ) -> dict[str, tuple[str, str]]:
        diff = diff_values(before, after)
        if diff:
            self.changes += change_records_for(
                instance, diff, ChangeSource.IMPORT, actor=self._actor(), at=self.now
            )
        return diff

    def _actor(self) -> Any:
        return self.actor if getattr(self.actor, "pk", None) else None

    def _rows(self, sheet: Sheet, key_of: Callable[[_Row], Any]) -> Iterator[_Row]:
        """The sheet's rows, a key seen twice refused on the later row."""
        seen: dict[Any, int] = {}
        counts = self._counts(sheet)
        for number, values in sheet.rows:
            row = _Row(self, sheet, number, values)
            key = key_of(row)
            if key is not None and key in seen:
                column = "code" if "code" in sheet.spec.columns else "building"
                row.fail(column, _("Also on row %(row)d of this sheet.") % {"row": seen[key]})
                counts.rejected += 1
                continue
            if key is not None:
                seen[key] = number
            yield row
            if row.failed:
                counts.rejected += 1

    def _referred(self, row: _Row, column: str, kind: str, code: str) -> None:
        """An unknown code: say so, or that its own row was rejected."""
        rejected = self.rejected.get((kind, code))
        if rejected is not None:
            row.fail(column, _("Its row %(row)d was rejected.") % {"row": rejected})
        elif kind == SOURCES:
            row.fail(column, _("Unknown source (neither in the 热源 sheet nor stored)."))
        else:
            row.fail(column, _("Unknown substation (neither in the 换热站 sheet nor stored)."))

    def _utility(self, row: _Row, key: str) -> str | None:
        raw = row.get(key)
        if not raw:
            return None
        utility = UTILITY_WORDS.get(raw.lower())
        if utility is None:
            row.fail(key, _("Write 供热, 燃气 or 供水."))
        return utility

    # sheets

    def sources_sheet(self, sheet: Sheet) -> None:
        counts = self._counts(sheet)
        new: list[Source] = []
        changed: list[Source] = []
        for row in self._rows(sheet, lambda r: r.get("code") or None):
            code = row.text("code", CODE_CHARS, required=True)
            name = row.text("name", 100, required=True)
            description = row.text("description", 200)
            utility = self._utility(row, "utility")
            if row.failed:
                if code:
                    self.rejected[(SOURCES, code)] = row.number
                continue
            self.source_rows[code] = row.number
            source = self.sources.get(code)
            if source is None:
                source = Source(code=code, name=name, utility=utility or Utility.HEAT)
                source.description = description
                self.sources[code] = source
                new.append(source)
                counts.created += 1
                continue
            before = _source_snapshot(source)
            source.name = name
            source.utility = utility or source.utility
            source.description = description or source.description
            if self._changed(source, before, _source_snapshot(source)):
                changed.append(source)
                counts.updated += 1
            else:
                counts.unchanged += 1
        Source.objects.bulk_create(new)
        Source.objects.bulk_update(changed, ["name", "utility", "description"])

    def _find_source(self, row: _Row, raw: str) -> Source | None:
        source = self.sources.get(raw)
        if source is None:
            named = self._names(SOURCES).get(raw, [])
            if len(named) == 1:
                return cast(Source, named[0])  # the SOURCES index holds sources
            if len(named) > 1:
                row.fail("source", _("Several sources have this name: write the code."))
                return None
            self._referred(row, "source", SOURCES, raw)
        return source

    def _stations(self) -> tuple[dict[str, OrgUnit], dict[str, list[OrgUnit]]]:
        units = list(OrgUnit.objects.filter(kind=UnitKind.STATION))
        by_name: dict[str, list[OrgUnit]] = {}
        for unit in units:
            by_name.setdefault(unit.name, []).append(unit)
        return {u.code: u for u in units}, by_name

    def substations_sheet(self, sheet: Sheet) -> None:
        counts = self._counts(sheet)
        by_code, by_name = self._stations()
        new: list[Substation] = []
        changed: list[Substation] = []
        for row in self._rows(sheet, lambda r: r.get("code") or None):
            code = row.text("code", CODE_CHARS, required=True)
            name = row.text("name", 100, required=True)
            existing = self.substations.get(code) if code else None
            source = self._find_source(row, row.get("source")) if row.get("source") else None
            station: OrgUnit | None = None
            raw_station = row.get("station")
            if raw_station:
                station = by_code.get(raw_station)
                named = by_name.get(raw_station, [])
                if station is None and len(named) == 1:
                    station = named[0]
                if station is None:
                    row.fail(
                        "station",
                        _("Several heating stations have this name: write the code.")
                        if named
                        else _("Unknown heating station (write its code or name)."),
                    )
                elif not station.is_active:
                    row.fail("station", _("This heating station is no longer active."))
            elif existing is None:
                row.fail("station", _("Required for a new substation."))
            kind: str | None = None
            if row.get("kind"):
                kind = KIND_WORDS.get(row.get("kind").lower())
                if kind is None:
                    row.fail("kind", _("Write 换热站, 调压区 or 阀门片区."))
            if row.failed:
                if code:
                    self.rejected[(SUBSTATIONS, code)] = row.number
                continue
            self.substation_rows[code] = row.number
            if existing is None and station is not None:  # a new one has its station
                substation = Substation(
                    code=code,
                    name=name,
                    kind=kind or DEFAULT_KIND[Utility(source.utility if source else "heat")],
                    source=source,
                    station=station,
                )
                self.substations[code] = substation
                new.append(substation)
                counts.created += 1
                continue
            if existing is None:
                continue
            before = _substation_snapshot(existing)
            existing.name = name
            existing.kind = kind or existing.kind
            if source is not None:
                existing.source = source
            if station is not None and station.pk != existing.station_id:
                existing.station = station
                self.moved_substations.add(existing.pk)
            if self._changed(existing, before, _substation_snapshot(existing)):
                changed.append(existing)
                counts.updated += 1
            else:
                counts.unchanged += 1
        Substation.objects.bulk_create(new)
        Substation.objects.bulk_update(changed, ["name", "kind", "source", "station"])

    def _find_substation(self, row: _Row, column: str, raw: str) -> Substation | None:
        substation = self.substations.get(raw)
        if substation is None:
            named = self._names(SUBSTATIONS).get(raw, [])
            if len(named) == 1:
                return cast(Substation, named[0])  # SUBSTATIONS holds substations
            if len(named) > 1:
                row.fail(column, _("Several substations have this name: write the code."))
                return None
            self._referred(row, column, SUBSTATIONS, raw)
        return substation

    def _places(self) -> None:
        self.districts = {d.name: d for d in District.objects.all()}
        self.communities = {(c.district_id, c.name): c for c in Community.objects.all()}
        self.buildings = {
            (b.community_id, b.name): b
            for b in Building.objects.only("pk", "community_id", "name", "substation_id")
        }

    def _place(self, row: _Row, create: bool) -> tuple[Community | None, str]:
        """The row's community (created when asked and missing) and building name."""
        district_name = row.text("district", 50, required=True)
        community_name = row.text("community", 100, required=True)
        building_name = row.text("building", 50, required=True)
        if row.failed:
            return None, ""
        district = self.districts.get(district_name)
        community = (
            self.communities.get((district.pk, community_name)) if district is not None else None
        )
        if community is None and create:
            if district is None:
                district = District.objects.create(name=district_name)
                self.districts[district_name] = district
            community = Community.objects.create(district=district, name=community_name)
            self.communities[(district.pk, community_name)] = community
            self.report.communities_created += 1
        return community, building_name

    def buildings_sheet(self, sheet: Sheet) -> None:
        counts = self._counts(sheet)
        new: list[Building] = []
        changed: list[Building] = []

        def key(row: _Row) -> tuple[str, str, str] | None:
            parts = (row.get("district"), row.get("community"), row.get("building"))
            return parts if all(parts) else None

        for row in self._rows(sheet, key):
            substation = None
            raw = row.text("substation", 100, required=True)
            if raw:
                substation = self._find_substation(row, "substation", raw)
            if row.failed:
                # The place is still checked, so every reason of the row is listed.
                self._place(row, create=False)
                continue
            community, name = self._place(row, create=True)
            if row.failed or community is None or substation is None:
                continue
            building = self.buildings.get((community.pk, name))
            if building is None:
                building = Building(community=community, name=name, substation=substation)
                self.buildings[(community.pk, name)] = building
                new.append(building)
                counts.created += 1
            elif building.substation_id != substation.pk:
                before = {"substation": building.substation_id}
                building.substation = substation
                self._changed(building, before, {"substation": substation.pk})
                self.moved_buildings.add(building.pk)
                changed.append(building)
                counts.updated += 1
            else:
                counts.unchanged += 1
        Building.objects.bulk_create(new, batch_size=1000)
        Building.objects.bulk_update(changed, ["substation"], batch_size=1000)

    def _start_utility(self, start: Source | Substation) -> str:
        if isinstance(start, Source):
            return start.utility
        if start.source is not None:
            return start.source.utility
        return utility_of_kind(start.kind) or ""

    def pipes_sheet(self, sheet: Sheet) -> None:
        counts = self._counts(sheet)
        stored = {p.code: p for p in PipeSection.objects.all()}
        new: list[PipeSection] = []
        changed: list[PipeSection] = []
        for row in self._rows(sheet, lambda r: r.get("code") or None):
            code = row.text("code", CODE_CHARS, required=True)
            note = row.text("note", 200)
            start = self._pipe_start(row)
            end_substation, end_building = self._pipe_end(row)
            diameter, length, year = self._pipe_measures(row)
            utility = self._utility(row, "utility")
            if start is not None and not row.failed:
                carried = self._start_utility(start)
                if utility and carried and utility != carried:
                    row.fail("utility", _("The start of the section carries another utility."))
                utility = utility or carried or Utility.HEAT
                if end_substation is not None and end_substation is start:
                    row.fail("end", _("A section cannot end where it starts."))
            if row.failed or start is None:
                continue
            values = {
                "utility": utility,
                "from_source": start if isinstance(start, Source) else None,
                "from_substation": start if isinstance(start, Substation) else None,
                "to_substation": end_substation,
                "to_building": end_building,
            }
            pipe = stored.get(code)
            if pipe is None:
                pipe = PipeSection(
                    code=code,
                    note=note,
                    length_m=length,
                    diameter_mm=diameter,
                    laid_year=year,
                    **values,
                )
                stored[code] = pipe
                new.append(pipe)
                counts.created += 1
                continue
            before = _pipe_snapshot(pipe)
            for name, value in values.items():
                setattr(pipe, name, value)
            pipe.note = note or pipe.note
            pipe.length_m = length if length is not None else pipe.length_m
            pipe.diameter_mm = diameter if diameter is not None else pipe.diameter_mm
            pipe.laid_year = year if year is not None else pipe.laid_year
            if self._changed(pipe, before, _pipe_snapshot(pipe)):
                changed.append(pipe)
                counts.updated += 1
            else:
                counts.unchanged += 1
        PipeSection.objects.bulk_create(new, batch_size=1000)
        PipeSection.objects.bulk_update(changed, PIPE_FIELDS, batch_size=1000)

    def _pipe_start(self, row: _Row) -> Source | Substation | None:
        raw = row.text("start", CODE_CHARS, required=True)
        if not raw or row.failed:
            return None
        source, substation = self.sources.get(raw), self.substations.get(raw)
        if source is not None and substation is not None:
            row.fail("start", _("Both a source and a substation have this code."))
            return None
        if source is None and substation is None:
            rejected = self.rejected.get((SOURCES, raw)) or self.rejected.get((SUBSTATIONS, raw))
            if rejected is not None:
                row.fail("start", _("Its row %(row)d was rejected.") % {"row": rejected})
            else:
                row.fail("start", _("Unknown source or substation code."))
            return None
        return source or substation

    def _pipe_end(self, row: _Row) -> tuple[Substation | None, Building | None]:
        raw = row.text("end", CODE_CHARS)
        place = [row.get("district"), row.get("community"), row.get("building")]
        if raw and any(place):
            row.fail("end", _("Give the end as a substation code or as a building, not both."))
            return None, None
        if raw:
            if raw in self.sources:
                row.fail("end", _("A section ends at a substation or a building, not a source."))
                return None, None
            return self._find_substation(row, "end", raw), None
        if not any(place):
            row.fail("end", _("Give the end: a substation code, or 区, 小区 and 楼."))
            return None, None
        community, name = self._place(row, create=False)
        building = self.buildings.get((community.pk, name)) if community is not None else None
        if building is None and not row.failed:
            row.fail("building", _("Unknown building (add it to the 楼宇 sheet)."))
        return None, building

    def _pipe_measures(self, row: _Row) -> tuple[int | None, Decimal | None, int | None]:
        diameter = length = year = None
        if raw := _number(row.get("diameter_mm")):
            if raw.isdigit() and 0 < int(raw) <= 5000:
                diameter = int(raw)
            else:
                row.fail("diameter_mm", _("A whole number of millimetres (DN), at most 5000."))
        if raw := _number(row.get("length_m")):
            try:
                length = Decimal(raw).quantize(Decimal("0.1"))
            except InvalidOperation:
                length = None
            if length is None or not 0 < length < Decimal("100000000"):
                row.fail("length_m", _("A positive number of metres."))
                length = None
        if raw := _number(row.get("laid_year")):
            raw = raw.removesuffix("年")
            if raw.isdigit() and FIRST_YEAR <= int(raw) <= timezone.localtime(self.now).year:
                year = int(raw)
            else:
                row.fail("laid_year", _("A year such as 2008, not in the future."))
        return diameter, length, year

    def check_kinds(self) -> None:
        """A heat source feeds heat-exchange stations; gas and water feed the other kinds."""
        touched = set(self.substation_rows)
        for code, substation in self.substations.items():
            if substation.source is not None and substation.source.code in self.source_rows:
                touched.add(code)
        for code in sorted(touched):
            substation = self.substations[code]
            source = substation.source
            if source is None:
                continue
            heat = source.utility == Utility.HEAT
            if heat == (substation.kind == Substation.Kind.HEAT_EXCHANGE):
                continue
            reason = _(
                "%(substation)s is a %(kind)s but its source %(source)s carries %(utility)s."
            ) % {
                "substation": code,
                "kind": substation.get_kind_display(),
                "source": source.code,
                "utility": source.get_utility_display(),
            }
            if code in self.substation_rows:
                key, number, column = SUBSTATIONS, self.substation_rows[code], "kind"
            else:
                key, number, column = SOURCES, self.source_rows[source.code], "utility"
            sheet = self.sheets[key]
            values = dict(sheet.rows)[number]
            _Row(self, sheet, number, values).fail(column, reason)
            self.report.sheets[key].rejected += 1

    def finish(self) -> None:
        if self.moved_substations:
            self.moved_buildings |= set(
                Building.objects.filter(substation_id__in=self.moved_substations).values_list(
                    "pk", flat=True
                )
            )
        self.report.buildings_moved = len(self.moved_buildings)
        hooks.announce_buildings_moved(sorted(self.moved_buildings))
        ChangeRecord.objects.bulk_create(self.changes, batch_size=1000)


PIPE_FIELDS = [
    "utility",
    "from_source",
    "from_substation",
    "to_substation",
    "to_building",
    "length_m",
    "diameter_mm",
    "laid_year",
    "note",
]


def _source_snapshot(source: Source) -> dict[str, Any]:
    return {"name": source.name, "utility": source.utility, "description": source.description}


def _substation_snapshot(substation: Substation) -> dict[str, Any]:
    return {
        "name": substation.name,
        "kind": substation.kind,
        "source": substation.source.pk if substation.source else None,
        "station": substation.station_id,
    }


def _pipe_snapshot(pipe: PipeSection) -> dict[str, Any]:
    return {
        name: (getattr(pipe, name).pk if getattr(pipe, name) is not None else None)
        if name.startswith(("from_", "to_"))
        else getattr(pipe, name)
        for name in PIPE_FIELDS
    }


def import_network(
    path: Path, *, actor: Any, now: datetime, dry_run: bool = False
) -> NetworkReport:
    """Check the workbook and, when every row is right and this is no dry run, write it
    in one transaction. The report says what was (or would be) created and updated."""
    if not may_import_network(actor):
        raise PermissionDenied
    report = NetworkReport(dry_run=dry_run)
    try:
        sheets = read_workbook(Path(path), report)
    except NetworkFileError as exc:
        report.file_errors.append(str(exc))
        return report
    try:
        with transaction.atomic():
            importer = _Importer(report, sheets, actor, now)
            if SOURCES in sheets:
                importer.sources_sheet(sheets[SOURCES])
            if SUBSTATIONS in sheets:
                importer.substations_sheet(sheets[SUBSTATIONS])
            importer.check_kinds()
            importer._places()
            if BUILDINGS in sheets:
                importer.buildings_sheet(sheets[BUILDINGS])
            if PIPES in sheets:
                importer.pipes_sheet(sheets[PIPES])
            importer.finish()
            if report.ok and not dry_run:
                report.written = True
            else:
                transaction.set_rollback(True)
    except IntegrityError:
        report.written = False
        report.file_errors.append(
            _("The network was changed by someone else during the import; import it again.")
        )
    return report


# --- the template ----------------------------------------------------------------------

TEMPLATE_NOTES = [
    ("工作表", "列（* 为必填）", "说明"),
    (
        "热源",
        "*编码, *名称, 类别, 说明",
        "热源（热电厂、锅炉房）、燃气门站或水厂；类别：供热 / 燃气 / 供水，默认供热。",
    ),
    (
        "换热站",
        "*编码, *名称, 类型, 热源, 供热所",
        "类型：换热站 / 调压区 / 阀门片区，空着按热源类别取；热源写编码或名称；"
        "供热所写组织单位的编码或名称，新站必填。",
    ),
    (
        "楼宇",
        "*区, *小区, *楼, *换热站",
        "区 + 小区 + 楼 确定一栋楼：已有的楼改接到该换热站，没有的楼（及区、小区）新建。",
    ),
    (
        "管段",
        "*编码, *起点, 终点站, 区, 小区, 楼, 管径, 长度, 敷设年份, 介质, 备注",
        "起点写热源或换热站编码；终点写换热站编码（终点站），或写到楼（区、小区、楼）；"
        "管径单位 mm（可写 DN300），长度单位 m。",
    ),
    (
        "",
        "",
        "按编码（楼宇按 区+小区+楼）更新，重复导入不会重复建档；空着的非必填格保留原值。"
        "任何一行有错误时整个文件都不写入，报告列出工作表、行号和原因。",
    ),
]


def template_workbook() -> bytes:
    """An empty workbook with the four sheets' headers and a sheet of notes."""
    workbook = Workbook()
    notes = workbook.create_sheet("说明", 0)
    for extra in workbook.worksheets[1:]:
        workbook.remove(extra)
    for line in TEMPLATE_NOTES:
        append_row(notes, line)
    notes.column_dimensions["A"].width = 10
    notes.column_dimensions["B"].width = 50
    notes.column_dimensions["C"].width = 90
    for spec in SPECS:
        sheet = workbook.create_sheet(spec.titles[0])
        titles = [
            ("*" if key in spec.required else "") + aliases[0]
            for key, aliases in spec.columns.items()
        ]
        append_row(sheet, titles)
        for index in range(len(titles)):
            sheet.column_dimensions[chr(ord("A") + index)].width = 14
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()
