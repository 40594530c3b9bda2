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


def test_every_template_text_is_in_the_catalog():
    """A `{% translate %}` added to a template without running makemessages would show
    English on a Chinese screen: every literal must be in the catalog."""
    import re

    catalog = {e.msgid for e in polib.pofile(str(PO)) if not e.obsolete}
    templates = Path(__file__).resolve().parent.parent / "utilitydesk" / "templates"
    literal = re.compile(r'{%\s*translate\s+"([^"]+)"')
    missing = {
        f"{path.relative_to(templates)}: {text}"
        for path in templates.rglob("*.html")
        for text in literal.findall(path.read_text(encoding="utf-8"))
        if text not in catalog
    }
    assert missing == set()
