import re

import pytest
from django.contrib.auth import get_user_model

from tests.factories import staff
from utilitydesk.cases import services as cases
from utilitydesk.notifications.backends import MemoryBackend
from utilitydesk.org.models import Position
from utilitydesk.outages.tests.conftest import net  # noqa: F401  (the interruption tests' network)

PHONE = "13612345678"


@pytest.fixture
def ss_actor(org):
    """The self-service account: a hotline agent of the service centre nobody signs in as."""
    account = staff("selfservice", Position.AGENT, org["centre"])
    account.set_unusable_password()
    account.save()
    return get_user_model().objects.get(pk=account.pk)


@pytest.fixture
def texts(settings):
    settings.NOTIFICATION_BACKENDS = {
        **settings.NOTIFICATION_BACKENDS,
        "sms": "utilitydesk.notifications.backends.MemoryBackend",
    }
    MemoryBackend.sent.clear()
    yield MemoryBackend.sent
    MemoryBackend.sent.clear()


def last_code(texts, phone=PHONE) -> str:
    for text in reversed(texts):
        if text["to"] == phone:
            return re.search(r"\d{6}", text["text"]).group(0)
    raise AssertionError(f"no text to {phone}")


def sign_in(client, texts, phone=PHONE):
    client.post("/my/sign-in/", {"step": "phone", "phone": phone})
    response = client.post(
        "/my/sign-in/", {"step": "code", "phone": phone, "code": last_code(texts, phone)}
    )
    assert response.status_code == 302 and response.url == "/my/"
    return client


def resolve(case, people):
    cases.accept(case.number, actor=people["tech"])
    cases.arrive(case.number, actor=people["tech"])
    cases.exempt_signoff(case.number, "电话确认", actor=people["head_east"])
    return cases.resolve(case.number, cases.Resolution(work_done="排气"), actor=people["tech"])


@pytest.fixture(autouse=True)
def _english_messages():
    """Service errors are matched by their English text here; the pages stay Chinese."""
    from django.utils import translation

    with translation.override("en"):
        yield
