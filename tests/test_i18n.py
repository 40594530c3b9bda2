from pathlib import Path

import polib
import pytest

PO = Path(__file__).resolve().parent.parent / "utilitydesk/locale/zh_Hans/LC_MESSAGES/django.po"


def test_every_message_has_a_chinese_translation():
    catalog = polib.pofile(str(PO))
    missing = [e.msgid for e in catalog if not e.obsolete and (not e.translated() or e.fuzzy)]
    assert missing == []


@pytest.mark.django_db
def test_chinese_is_the_default_even_for_english_browsers(people, client):
    client.force_login(people["agent"])
    page = client.get("/customers/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "客户档案" in page and "Customers</h1>" not in page


@pytest.mark.django_db
def test_english_can_be_chosen(people, client):
    client.force_login(people["agent"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Customers</h1>" in client.get("/customers/").content.decode()
