"""Monitoring points (R-704): the station's list and its scope, adding and deactivating a
point, placing a logger, the due visits on the technician's work page, and the logger's
CSV import (all rows or none, idempotent, bad rows named by line)."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_customer, staff
from utilitydesk.audit.models import AccessLog
from utilitydesk.customers.models import Premises
from utilitydesk.org.models import Position
from utilitydesk.temperature import monitoring
from utilitydesk.temperature.models import (
    Instrument,
    InstrumentKind,
    LoggerReading,
    Measurement,
    MonitoringPoint,
)

from .conftest import LOCAL, NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def more(org, people):
    people["team_leader"] = staff("leader_east", Position.TEAM_LEADER, org["east_team"])
    people["head_west"] = staff("head_west", Position.STATION_HEAD, org["west"])
    people["tech_west"] = staff("tech_west", Position.TECHNICIAN, org["west"])
    return people


def premises_of(customer):
    return Premises.objects.get(customer=customer)


@pytest.fixture
def logger(org):
    return Instrument.objects.create(
        serial_number="DL-0001",
        model_name="温度记录仪 TR-71",
        kind=InstrumentKind.LOGGER,
        accuracy=Decimal("0.30"),
        certificate_number="JZ2026-1001",
        certificate_expires=date(2026, 12, 31),
        station=org["east"],
    )


@pytest.fixture
def point(people, customers, logger):
    point = monitoring.add_point(
        premises_of(customers["east"]).pk, "主卧、客厅", actor=people["head_east"], now=NOW
    )
    return monitoring.place_logger(point.pk, logger.pk, actor=people["head_east"], now=NOW)


def csv_bytes(*lines, header="serial,time,celsius"):
    return ("\n".join([header, *lines]) + "\n").encode()


GOOD = csv_bytes(
    "DL-0001,2026-11-30 08:00,18.6",
    "DL-0001,2026-11-30 20:00,19.0",
    "DL-0001,2026-12-01 08:00,17.9",
)


# --- points --------------------------------------------------------------------------------


def test_station_head_adds_a_point_of_their_station_only(people, customers):
    east = monitoring.add_point(
        premises_of(customers["east"]).pk, "客厅", actor=people["head_east"], now=NOW
    )
    assert east.station == premises_of(customers["east"]).station
    assert east.next_due_at == NOW  # due for its first visit at once
    with pytest.raises(ValidationError) as refused:
        monitoring.add_point(premises_of(customers["west"]).pk, actor=people["head_east"], now=NOW)
    assert "premises" in refused.value.message_dict
    with pytest.raises(ValidationError) as twice:
        monitoring.add_point(premises_of(customers["east"]).pk, actor=people["head_east"], now=NOW)
    assert "已是测温点" in " ".join(twice.value.messages) or twice.value.message_dict["premises"]
    with pytest.raises(PermissionDenied):
        monitoring.add_point(premises_of(customers["east"]).pk, actor=people["tech"], now=NOW)


def test_deactivated_point_leaves_the_list_and_the_home_may_be_added_again(
    people, customers, point, logger
):
    monitoring.deactivate_point(point.pk, actor=people["head_east"], now=NOW)
    point.refresh_from_db()
    assert not point.active and point.logger is None and point.next_due_at is None
    head = people["head_east"]
    assert not monitoring.search_points(head, monitoring.PointFilters()).exists()
    assert monitoring.search_points(head, monitoring.PointFilters(include_inactive=True)).exists()
    with pytest.raises(ValidationError):
        monitoring.deactivate_point(point.pk, actor=head, now=NOW)
    again = monitoring.add_point(premises_of(customers["east"]).pk, actor=head, now=NOW)
    assert again.pk != point.pk
    # The logger came back and may be placed at the new point.
    monitoring.place_logger(again.pk, logger.pk, actor=head, now=NOW)


def test_a_logger_is_placed_at_one_point_at_a_time(people, customers, area, point, logger):
    other = make_customer(area["east"], "102", phones=("13800000002",), name="王五")
    second = monitoring.add_point(premises_of(other).pk, actor=people["head_east"], now=NOW)
    with pytest.raises(ValidationError) as refused:
        monitoring.place_logger(second.pk, logger.pk, actor=people["head_east"], now=NOW)
    assert "logger" in refused.value.message_dict
    contact = Instrument.objects.create(
        serial_number="WD-9",
        model_name="探针",
        kind=InstrumentKind.CONTACT,
        accuracy=Decimal("0.2"),
        certificate_number="C-1",
        certificate_expires=date(2027, 1, 1),
        station=logger.station,
    )
    with pytest.raises(ValidationError):
        monitoring.place_logger(second.pk, contact.pk, actor=people["head_east"], now=NOW)
    monitoring.remove_logger(point.pk, actor=people["head_east"], now=NOW)
    monitoring.place_logger(second.pk, logger.pk, actor=people["head_east"], now=NOW)
    assert MonitoringPoint.objects.get(pk=second.pk).logger == logger


def test_points_page_is_scoped_to_the_station_and_logs_the_customers(
    client, more, customers, point
):
    west_point = monitoring.add_point(
        premises_of(customers["west"]).pk, actor=more["head_west"], now=NOW
    )
    # The page runs on the real clock: the east point is a day overdue.
    MonitoringPoint.objects.filter(pk=point.pk).update(
        next_due_at=timezone.now() - timedelta(days=1)
    )
    client.force_login(more["head_east"])
    page = client.get(reverse("temperature_points:list"))
    assert page.status_code == 200
    text = page.content.decode()
    assert premises_of(customers["east"]).address_text in text
    assert premises_of(customers["west"]).address_text not in text
    assert "DL-0001" in text
    assert "已超时" in text
    assert AccessLog.objects.filter(actor=more["head_east"], customer=customers["east"]).exists()
    assert not AccessLog.objects.filter(
        actor=more["head_east"], customer=customers["west"]
    ).exists()
    # The west head cannot open the east point.
    client.force_login(more["head_west"])
    assert client.get(reverse("temperature_points:detail", args=[point.pk])).status_code == 404
    assert client.get(reverse("temperature_points:detail", args=[west_point.pk])).status_code == 200


def test_company_wide_reader_sees_every_station_with_a_filter(
    client, org, people, customers, point
):
    reader = staff("reader", Position.SERVICE_OFFICE, org["office"])
    reader.user_permissions.add(
        Permission.objects.get(codename="view_monitoringpoint"),
        Permission.objects.get(codename="add_monitoringpoint"),
    )
    reader = type(reader).objects.get(pk=reader.pk)
    monitoring.add_point(premises_of(customers["west"]).pk, actor=reader, now=NOW)
    client.force_login(reader)
    page = client.get(reverse("temperature_points:list")).content.decode()
    assert premises_of(customers["east"]).address_text in page
    assert premises_of(customers["west"]).address_text in page
    assert 'name="station"' in page
    filtered = client.get(reverse("temperature_points:list"), {"station": org["west"].pk})
    text = filtered.content.decode()
    assert premises_of(customers["west"]).address_text in text
    assert premises_of(customers["east"]).address_text not in text


def test_technician_cannot_open_the_points_pages(client, people, point):
    client.force_login(people["tech"])
    assert client.get(reverse("temperature_points:list")).status_code == 403
    assert client.get(reverse("temperature_points:add")).status_code == 403


def test_add_page_finds_the_home_by_address_and_adds_it(client, people, customers):
    client.force_login(people["head_east"])
    east = premises_of(customers["east"])
    page = client.get(reverse("temperature_points:add"), {"address": east.address_text[-6:]})
    assert page.status_code == 200
    assert east.address_text in page.content.decode()
    west = premises_of(customers["west"])
    assert (
        west.address_text
        not in client.get(
            reverse("temperature_points:add"), {"address": west.address_text[-6:]}
        ).content.decode()
    )
    response = client.post(
        reverse("temperature_points:add"), {"premises": east.pk, "rooms": "主卧"}
    )
    point = MonitoringPoint.objects.get(premises=east, active=True)
    assert response.status_code == 302
    assert response["Location"] == reverse("temperature_points:detail", args=[point.pk])
    assert point.rooms == "主卧"
    refused = client.post(reverse("temperature_points:add"), {"premises": west.pk})
    assert refused.status_code == 400
    assert not MonitoringPoint.objects.filter(premises=west).exists()


def test_deactivate_and_logger_buttons(client, people, point, logger):
    client.force_login(people["head_east"])
    client.post(reverse("temperature_points:remove_logger", args=[point.pk]))
    assert MonitoringPoint.objects.get(pk=point.pk).logger is None
    client.post(reverse("temperature_points:place_logger", args=[point.pk]), {"logger": logger.pk})
    assert MonitoringPoint.objects.get(pk=point.pk).logger == logger
    response = client.post(reverse("temperature_points:deactivate", args=[point.pk]))
    assert response.status_code == 302
    assert not MonitoringPoint.objects.get(pk=point.pk).active


# --- due visits on /field/ -------------------------------------------------------------------


def test_due_points_in_season_for_the_station_staff_only(more, customers, point):
    in_season = NOW + timedelta(days=1)
    rows, total = monitoring.due_points(more["tech"], now=in_season)
    assert [p.pk for p in rows] == [point.pk] and total == 1
    assert monitoring.due_points(more["tech_west"], now=in_season) == ([], 0)
    assert monitoring.due_points(more["agent"], now=in_season) == ([], 0)
    summer = datetime(2027, 7, 1, 10, 0, tzinfo=LOCAL)
    assert monitoring.due_points(more["tech"], now=summer) == ([], 0)
    # Visited: not due until the policy's interval has passed.
    MonitoringPoint.objects.filter(pk=point.pk).update(
        last_visit_at=in_season, next_due_at=in_season + timedelta(days=7)
    )
    assert monitoring.due_points(more["tech"], now=in_season + timedelta(days=6)) == ([], 0)
    assert monitoring.due_points(more["tech"], now=in_season + timedelta(days=7))[1] == 1


def test_field_page_lists_the_due_point_with_the_record_link(
    client, monkeypatch, more, customers, point
):
    monkeypatch.setattr(monitoring, "is_heating_season", lambda day, policy=None: True)
    MonitoringPoint.objects.filter(pk=point.pk).update(
        next_due_at=timezone.now() - timedelta(hours=1)
    )
    client.force_login(more["tech"])
    page = client.get(reverse("field:list"))
    text = page.content.decode()
    assert f"/temperature/record/point/{point.pk}/" in text
    assert premises_of(customers["east"]).address_text in text
    assert AccessLog.objects.filter(actor=more["tech"], customer=customers["east"]).exists()
    client.force_login(more["tech_west"])
    other = client.get(reverse("field:list")).content.decode()
    assert f"/temperature/record/point/{point.pk}/" not in other
    monkeypatch.setattr(monitoring, "is_heating_season", lambda day, policy=None: False)
    client.force_login(more["tech"])
    assert (
        f"/temperature/record/point/{point.pk}/"
        not in client.get(reverse("field:list")).content.decode()
    )


# --- the logger's CSV ------------------------------------------------------------------------


def test_good_file_is_imported_and_a_second_import_adds_nothing(people, point, logger):
    head = people["head_east"]
    result = monitoring.import_logger_csv(point.pk, GOOD, actor=head, now=NOW)
    assert (result.added, result.already) == (3, 0)
    assert result.first == datetime(2026, 11, 30, 8, 0, tzinfo=LOCAL)
    stored = LoggerReading.objects.filter(point=point).order_by("read_at")
    assert [r.celsius for r in stored] == [Decimal("18.6"), Decimal("19.0"), Decimal("17.9")]
    again = monitoring.import_logger_csv(point.pk, GOOD, actor=head, now=NOW)
    assert (again.added, again.already) == (0, 3)
    assert LoggerReading.objects.filter(point=point).count() == 3
    # A longer file later: only the new rows are added.
    longer = GOOD + b"DL-0001,2026-12-01 09:30:00,18.24\n"
    assert monitoring.import_logger_csv(point.pk, longer, actor=head, now=NOW).added == 1
    assert LoggerReading.objects.get(
        read_at=datetime(2026, 12, 1, 9, 30, tzinfo=LOCAL)
    ).celsius == Decimal("18.2")
    # Logger readings are not measurement records and do not count in the pass rate.
    assert not Measurement.objects.exists()


def test_days_are_summarised_lowest_mean_highest(people, point):
    monitoring.import_logger_csv(point.pk, GOOD, actor=people["head_east"], now=NOW)
    days = monitoring.daily_readings(point)
    assert [(d.day, d.count, d.low, d.mean, d.high) for d in days] == [
        (date(2026, 12, 1), 1, Decimal("17.9"), Decimal("17.9"), Decimal("17.9")),
        (date(2026, 11, 30), 2, Decimal("18.6"), Decimal("18.8"), Decimal("19.0")),
    ]


def test_bad_rows_refuse_the_whole_file_with_their_line_numbers(people, point):
    bad = csv_bytes(
        "DL-0001,2026-11-30 08:00,18.6",
        "DL-0001,30/11/2026 09:00,18.6",
        "DL-0001,2026-11-30 10:00,warm",
        "DL-0001,2026-11-30 11:00,18.6,extra",
        "DL-0001,2026-11-30 08:00,18.7",
        "DL-0001,2026-12-02 08:00,18.0",
        "DL-0001,2026-11-30 12:00,80",
    )
    with pytest.raises(ValidationError) as refused:
        monitoring.import_logger_csv(point.pk, bad, actor=people["head_east"], now=NOW)
    rows = refused.value.message_dict["rows"]
    assert [int(re.match(r"第 (\d+) 行", message).group(1)) for message in rows] == [
        3,
        4,
        5,
        6,
        7,
        8,
    ]
    assert "第 2 行" in rows[3]  # row 6 repeats row 2's time
    assert refused.value.message_dict["file"] == ["文件未导入：6 行有误。请改正后重新上传。"]
    assert not LoggerReading.objects.exists()


def test_unknown_serial_and_another_logger_are_refused(people, point, logger):
    with pytest.raises(ValidationError) as unknown:
        monitoring.import_logger_csv(
            point.pk, csv_bytes("XX-999,2026-11-30 08:00,18.6"), actor=people["head_east"], now=NOW
        )
    assert "XX-999" in unknown.value.message_dict["rows"][0]
    Instrument.objects.create(
        serial_number="DL-0002",
        model_name="温度记录仪",
        kind=InstrumentKind.LOGGER,
        accuracy=Decimal("0.3"),
        certificate_number="JZ-2",
        certificate_expires=date(2027, 6, 30),
        station=logger.station,
    )
    with pytest.raises(ValidationError) as other:
        monitoring.import_logger_csv(
            point.pk, csv_bytes("DL-0002,2026-11-30 08:00,18.6"), actor=people["head_east"], now=NOW
        )
    assert "DL-0001" in other.value.message_dict["rows"][0]
    assert not LoggerReading.objects.exists()


def test_readings_after_the_certificate_expired_are_refused(people, point, logger):
    logger.certificate_expires = date(2026, 11, 30)
    logger.save()
    late = csv_bytes("DL-0001,2026-11-30 23:50,18.6", "DL-0001,2026-12-01 00:10,18.5")
    with pytest.raises(ValidationError) as refused:
        monitoring.import_logger_csv(point.pk, late, actor=people["head_east"], now=NOW)
    rows = refused.value.message_dict["rows"]
    assert len(rows) == 1 and "第 3 行" in rows[0] and "2026-11-30" in rows[0]
    assert not LoggerReading.objects.exists()


def test_a_logger_outside_the_policy_accuracy_or_without_a_logger_is_refused(people, point, logger):
    logger.accuracy = Decimal("0.50")
    logger.save()
    with pytest.raises(ValidationError) as refused:
        monitoring.import_logger_csv(point.pk, GOOD, actor=people["head_east"], now=NOW)
    assert "0.3" in refused.value.message_dict["file"][0]
    monitoring.remove_logger(point.pk, actor=people["head_east"], now=NOW)
    with pytest.raises(ValidationError):
        monitoring.import_logger_csv(point.pk, GOOD, actor=people["head_east"], now=NOW)
    with pytest.raises(PermissionDenied):
        monitoring.import_logger_csv(point.pk, GOOD, actor=people["tech"], now=NOW)


def test_header_encoding_and_empty_files(people, point):
    head = people["head_east"]
    for content in (b"", csv_bytes(), csv_bytes("DL-0001,2026-11-30 08:00,18.6", header="a,b,c")):
        with pytest.raises(ValidationError):
            monitoring.import_logger_csv(point.pk, content, actor=head, now=NOW)
    gbk = "serial,time,celsius\r\nDL-0001,2026-11-30 08:00,18.6\r\n".encode("gbk")
    bom = b"\xef\xbb\xbf" + csv_bytes("DL-0001,2026-11-30 09:00,18.6")
    assert monitoring.import_logger_csv(point.pk, gbk, actor=head, now=NOW).added == 1
    assert monitoring.import_logger_csv(point.pk, bom, actor=head, now=NOW).added == 1


def test_upload_page_shows_the_bad_rows_and_the_day_table(client, people, point):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(people["head_east"])
    url = reverse("temperature_points:logger", args=[point.pk])
    assert client.get(url).status_code == 200
    bad = SimpleUploadedFile("log.csv", csv_bytes("DL-0001,yesterday,18.6"), "text/csv")
    refused = client.post(url, {"file": bad})
    assert refused.status_code == 400
    assert "第 2 行" in refused.content.decode()
    assert not LoggerReading.objects.exists()
    # The real clock: readings from yesterday.
    yesterday = timezone.localtime() - timedelta(days=1)
    good = csv_bytes(
        f"DL-0001,{yesterday:%Y-%m-%d} 08:00,18.6",
        f"DL-0001,{yesterday:%Y-%m-%d} 09:00,19.2",
    )
    Instrument.objects.filter(pk=point.logger_id).update(
        certificate_expires=timezone.localdate() + timedelta(days=365)
    )
    done = client.post(url, {"file": SimpleUploadedFile("log.csv", good, "text/csv")})
    assert done.status_code == 302
    page = client.get(done["Location"]).content.decode()
    assert "18.9" in page and "19.2" in page  # the day's mean and highest
    assert LoggerReading.objects.count() == 2
