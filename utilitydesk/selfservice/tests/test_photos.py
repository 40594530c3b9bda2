"""Photos on a fault report: up to three pictures, re-encoded without their metadata,
seen by the staff who may see the case."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from tests.factories import staff
from utilitydesk.audit.models import AccessLog
from utilitydesk.cases.models import Case
from utilitydesk.customers.models import Premises
from utilitydesk.org.models import Position
from utilitydesk.selfservice import services
from utilitydesk.selfservice.models import Photo

from .conftest import PHONE, sign_in

pytestmark = pytest.mark.django_db


def picture(name="radiator.jpg", size=(2400, 1800), fmt="JPEG"):
    out = io.BytesIO()
    image = Image.new("RGB", size, (200, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # any tag: it must not survive
    image.save(out, fmt, exif=exif) if fmt == "JPEG" else image.save(out, fmt)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


@pytest.fixture
def household(client, texts, customers, ss_actor):
    services.bind(PHONE, customers["east"].account_no, name="李雷")
    sign_in(client, texts)
    return customers["east"]


def post(client, household, photos):
    premises = Premises.objects.get(customer=household)
    return client.post(
        "/my/report/",
        {"kind": "repair", "premises": premises.pk, "description": "暖气片漏水", "photos": photos},
    )


def test_photos_are_kept_smaller_and_without_metadata(client, household, people, org, settings):
    response = post(client, household, [picture(), picture("b.png", (300, 300), "PNG")])
    assert response.status_code == 302
    case = Case.objects.get()
    photos = list(Photo.objects.filter(case=case))
    assert len(photos) == 2
    with photos[0].file.open("rb") as stored, Image.open(stored) as image:
        assert image.format == "JPEG" and max(image.size) == 1600
        assert not image.getexif()
    # Staff who see the case see the photos on its page and may open them.
    agent = Client()
    agent.force_login(people["agent"])
    page = agent.get(f"/cases/{case.number}/").content.decode()
    assert 'id="customer-photos"' in page
    assert agent.get(f"/media/{photos[0].file.name}").status_code == 200
    west_tech = staff("west_tech", Position.TECHNICIAN, org["west"])
    other = Client()
    other.force_login(west_tech)
    assert other.get(f"/media/{photos[0].file.name}").status_code == 404
    # The household itself is not a staff user: not through the staff media URL.
    assert client.get(f"/media/{photos[0].file.name}").status_code in (302, 404)


OTHER = "13712345678"


def test_the_household_sees_its_photos_and_nobody_else_by_guessing(
    client, household, customers, texts
):
    post(client, household, [picture(), picture("b.png", (300, 300), "PNG")])
    case = Case.objects.get()
    first, second = Photo.objects.filter(case=case).order_by("pk")
    page = client.get(f"/my/cases/{case.number}/").content.decode()
    url = f"/my/cases/{case.number}/photos/{first.pk}/"
    assert f'href="{url}"' in page and f"/photos/{second.pk}/" in page
    opened = client.get(url)
    assert opened.status_code == 200 and opened["Content-Type"] == "image/jpeg"
    assert b"".join(opened.streaming_content)[:2] == b"\xff\xd8"
    assert "no-store" in opened["Cache-Control"]
    logged = AccessLog.objects.filter(action=AccessLog.Action.FILE).get()
    assert logged.customer_id == household.pk and logged.detail["file"] == first.file.name
    assert logged.detail["selfservice"] == "136****5678"
    # Another household, signed in with its own number and its own case, guesses.
    services.bind(OTHER, customers["west"].account_no, name="韩梅梅")
    other = sign_in(Client(), texts, OTHER)
    own = services.report(
        OTHER,
        services.FaultReport(Premises.objects.get(customer=customers["west"]).pk, "repair", "冷"),
    ).case
    assert other.get(url).status_code == 404
    for guess in (first.pk, second.pk, second.pk + 1, 0, 2**40):
        assert other.get(f"/my/cases/{own.number}/photos/{guess}/").status_code == 404
        assert other.get(f"/my/cases/{case.number}/photos/{guess}/").status_code == 404
    assert other.get(f"/my/cases/{case.number}/").status_code == 404
    # Not signed in: to the sign-in page, no picture.
    assert Client().get(url).status_code == 302
    # A photo whose file is gone is not found either (no 500).
    first.file.storage.delete(first.file.name)
    assert client.get(url).status_code == 404


def test_more_than_three_or_not_pictures_are_form_errors(client, household):
    response = post(client, household, [picture(f"{i}.jpg") for i in range(4)])
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()
    fake = SimpleUploadedFile("x.jpg", b"<html>not a picture</html>", content_type="image/jpeg")
    response = post(client, household, [fake])
    body = response.content.decode()
    assert response.status_code == 200 and "暖气片漏水" in body and 'role="alert"' in body
    assert not Case.objects.exists() and not Photo.objects.exists()


def test_too_many_photos_are_refused_before_any_is_read(client, household, monkeypatch):
    read = []
    monkeypatch.setattr(services, "_photo_jpeg", lambda upload: read.append(upload) or b"")
    response = post(client, household, [picture(f"{i}.jpg", (10, 10)) for i in range(4)])
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()
    assert read == [] and not Case.objects.exists()


def test_an_upload_stopped_as_too_large_is_a_form_error(client, household, settings):
    settings.IMPORT_MAX_FILE_BYTES = 1000
    response = post(client, household, [picture()])
    body = response.content.decode()
    assert response.status_code == 200 and 'role="alert"' in body and "暖气片漏水" in body
    assert not Case.objects.exists()


def test_a_large_jpeg_is_decoded_scaled_down(monkeypatch):
    from PIL import JpegImagePlugin

    asked = []
    draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        asked.append(size)
        return draft(self, mode, size)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    jpeg = services._photo_jpeg(picture(size=(4800, 3600)))
    assert asked == [(1600, 1600)]
    with Image.open(io.BytesIO(jpeg)) as image:
        assert max(image.size) == 1600
