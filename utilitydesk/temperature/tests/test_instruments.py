"""The thermometer register's pages (R-705): the list with expired and expiring
certificates marked, add, edit and retire by station heads (their station) and
administrators (any), the infrared warning, the checks, and who may not."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from tests.factories import staff
from utilitydesk.audit.models import ChangeRecord
from utilitydesk.org.models import Position
from utilitydesk.temperature import monitoring
from utilitydesk.temperature.models import Instrument, InstrumentKind, MonitoringPoint

pytestmark = pytest.mark.django_db


def instrument(serial, *, station=None, expires=None, kind=InstrumentKind.CONTACT, **kw):
    return Instrument.objects.create(
        serial_number=serial,
        model_name=kw.pop("model", "精密数字温度计"),
        kind=kind,
        accuracy=kw.pop("accuracy", Decimal("0.20")),
        certificate_number=kw.pop("certificate", f"JZ-{serial}"),
        certificate_expires=expires or timezone.localdate() + timedelta(days=365),
        station=station,
        **kw,
    )


def form_data(**changes):
    data = {
        "serial_number": "WD-100",
        "model_name": "精密数字温度计",
        "kind": InstrumentKind.CONTACT,
        "accuracy": "0.3",
        "certificate_number": "JZ2026-0100",
        "certificate_expires": "2027-10-31",
        "station": "",
    }
    data.update(changes)
    return data


def test_list_marks_expired_and_expiring_certificates_and_infrared(client, org, people):
    today = timezone.localdate()
    instrument("OLD-1", station=org["east"], expires=today - timedelta(days=1))
    instrument("SOON-1", station=org["east"], expires=today + timedelta(days=20))
    instrument("OK-1", station=org["east"])
    instrument("IR-1", station=org["east"], kind=InstrumentKind.INFRARED)
    instrument("WEST-1", station=org["west"])
    instrument("CO-1")
    client.force_login(people["head_east"])
    page = client.get(reverse("temperature_points:instruments"))
    assert page.status_code == 200
    text = page.content.decode()
    for serial in ("OLD-1", "SOON-1", "OK-1", "IR-1", "CO-1"):
        assert serial in text
    assert "WEST-1" not in text  # another station's
    rows = {row["instrument"].serial_number: row for row in page.context["rows"]}
    assert rows["OLD-1"]["state"] == "expired"
    assert rows["SOON-1"]["state"] == "expiring"
    assert rows["OK-1"]["state"] == ""
    assert "已过期" in text and "即将到期" in text and "不能用于测温" in text
    # The head changes their station's instruments, not the company-wide one.
    assert rows["OK-1"]["may_change"] and not rows["CO-1"]["may_change"]
    assert (
        client.get(
            reverse("temperature_points:instrument_edit", args=[rows["CO-1"]["instrument"].pk])
        ).status_code
        == 403
    )


def test_station_head_registers_a_thermometer_at_their_station(client, org, people):
    client.force_login(people["head_east"])
    page = client.get(reverse("temperature_points:instrument_add"))
    assert page.status_code == 200
    assert "红外、激光测温仪可以登记，但不能用于室温检测" in page.content.decode()
    response = client.post(
        reverse("temperature_points:instrument_add"), form_data(station=org["east"].pk)
    )
    assert response.status_code == 302
    saved = Instrument.objects.get(serial_number="WD-100")
    assert saved.station == org["east"] and saved.accuracy == Decimal("0.30") and saved.active
    assert ChangeRecord.objects.filter(object_id=saved.pk, field="serial_number").exists()
    # Not at another station, nor company-wide.
    for station in (org["west"].pk, ""):
        refused = client.post(
            reverse("temperature_points:instrument_add"),
            form_data(serial_number="WD-101", station=station),
        )
        assert refused.status_code == 400
    assert not Instrument.objects.filter(serial_number="WD-101").exists()


def test_checks_accuracy_serial_and_certificate(client, org, people):
    client.force_login(people["admin"])
    url = reverse("temperature_points:instrument_add")
    for bad in (
        form_data(accuracy="0"),
        form_data(accuracy="-0.2"),
        form_data(certificate_number=""),
        form_data(certificate_expires="not a date"),
    ):
        assert client.post(url, bad).status_code == 400
    assert not Instrument.objects.exists()
    assert client.post(url, form_data()).status_code == 302  # company-wide
    assert Instrument.objects.get(serial_number="WD-100").station is None
    duplicate = client.post(url, form_data(serial_number="wd-100"))
    assert duplicate.status_code == 400
    assert "该出厂编号的仪器已登记" in duplicate.content.decode()
    with pytest.raises(ValidationError) as refused:
        monitoring.register_instrument(
            monitoring.InstrumentInput(
                serial_number="X-1",
                model_name="m",
                kind=InstrumentKind.CONTACT,
                accuracy=Decimal("0"),
                certificate_number="C",
                certificate_expires=date(2027, 1, 1),
                station_id=None,
            ),
            actor=people["admin"],
        )
    assert "accuracy" in refused.value.message_dict


def test_infrared_is_registered_with_the_warning_and_refused_at_use(client, org, people):
    client.force_login(people["admin"])
    response = client.post(
        reverse("temperature_points:instrument_add"),
        form_data(serial_number="IR-9", kind=InstrumentKind.INFRARED, station=org["east"].pk),
        follow=True,
    )
    assert response.status_code == 200
    assert "不能用于室温检测" in response.content.decode()
    infrared = Instrument.objects.get(serial_number="IR-9")
    assert monitoring.refused_for_measurements(infrared)
    from utilitydesk.temperature import services

    assert services.instrument_problem(infrared, timezone.localdate(), services.policy_for(None))


def test_edit_records_a_new_certificate_and_retire_takes_it_out_of_use(
    client, org, people, customers
):
    logger = instrument("DL-7", station=org["east"], kind=InstrumentKind.LOGGER)
    point = monitoring.add_point(customers["east"].premises.get().pk, actor=people["head_east"])
    monitoring.place_logger(point.pk, logger.pk, actor=people["head_east"])
    client.force_login(people["head_east"])
    url = reverse("temperature_points:instrument_edit", args=[logger.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        form_data(
            serial_number="DL-7",
            kind=InstrumentKind.LOGGER,
            certificate_number="JZ2027-7",
            certificate_expires="2028-01-31",
            station=org["east"].pk,
        ),
    )
    assert response.status_code == 302
    logger.refresh_from_db()
    assert logger.certificate_number == "JZ2027-7"
    assert logger.certificate_expires == date(2028, 1, 31)
    assert ChangeRecord.objects.filter(
        object_id=logger.pk, field="certificate_number", new_value="JZ2027-7"
    ).exists()
    retire = client.post(reverse("temperature_points:instrument_retire", args=[logger.pk]))
    assert retire.status_code == 302
    logger.refresh_from_db()
    assert not logger.active
    assert MonitoringPoint.objects.get(pk=point.pk).logger is None
    listed = client.get(reverse("temperature_points:instruments")).context["rows"]
    assert [row["instrument"].serial_number for row in listed] == []
    retired = client.get(reverse("temperature_points:instruments"), {"retired": "1"})
    assert [row["instrument"].serial_number for row in retired.context["rows"]] == ["DL-7"]
    assert "已停用" in retired.content.decode()
    with pytest.raises(ValidationError):
        monitoring.retire_instrument(logger.pk, actor=people["head_east"])


def test_people_without_the_register_permissions(client, org, people):
    kept = instrument("WD-1", station=org["east"])
    client.force_login(people["tech"])
    assert client.get(reverse("temperature_points:instruments")).status_code == 403
    assert client.get(reverse("temperature_points:instrument_add")).status_code == 403
    client.force_login(people["agent"])
    assert (
        client.post(reverse("temperature_points:instrument_retire", args=[kept.pk])).status_code
        == 403
    )
    assert Instrument.objects.get(pk=kept.pk).active
    head_west = staff("head_west", Position.STATION_HEAD, org["west"])
    with pytest.raises((PermissionDenied, ValidationError)):
        monitoring.retire_instrument(kept.pk, actor=head_west)
    with pytest.raises(PermissionDenied):
        monitoring.register_instrument(
            monitoring.InstrumentInput(
                serial_number="X-2",
                model_name="m",
                kind=InstrumentKind.CONTACT,
                accuracy=Decimal("0.2"),
                certificate_number="C",
                certificate_expires=date(2027, 1, 1),
                station_id=org["east"].pk,
            ),
            actor=people["tech"],
        )


def test_admin_lists_the_register_and_the_points(client, people, org):
    from django.contrib.auth import get_user_model

    instrument("WD-ADM", station=org["east"])
    root = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(root)
    assert "WD-ADM" in client.get("/admin/temperature/instrument/").content.decode()
    assert client.get("/admin/temperature/monitoringpoint/").status_code == 200
