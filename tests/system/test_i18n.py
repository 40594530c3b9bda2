import re
from pathlib import Path

import polib
import pytest

PO = Path(__file__).resolve().parents[2] / "utilitydesk/locale/zh_Hans/LC_MESSAGES/django.po"


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
    templates = Path(__file__).resolve().parents[2] / "utilitydesk" / "templates"
    literal = re.compile(r'{%\s*translate\s+"([^"]+)"')
    missing = {
        f"{path.relative_to(templates)}: {text}"
        for path in templates.rglob("*.html")
        for text in literal.findall(path.read_text(encoding="utf-8"))
        if text not in catalog
    }
    assert missing == set()


CJK = re.compile(r"[\u4e00-\u9fff]")
# Labels that read the same in Chinese offices.
SAME_IN_CHINESE = {"VIP", "SMS", "API", "WeChat"}


def _our_models():
    from django.apps import apps

    return [m for m in apps.get_models() if m.__module__.startswith("utilitydesk.")]


def test_every_choice_label_of_our_models_is_chinese():
    """Raw values such as "satisfied" or "resident" must never be what a person reads."""
    from django.utils import translation

    untranslated = set()
    with translation.override("zh-hans"):
        for model in _our_models():
            for field in model._meta.get_fields():
                for value, label in getattr(field, "flatchoices", None) or []:
                    text = str(label)
                    if (
                        value not in ("", None)
                        and not CJK.search(text)
                        and text not in SAME_IN_CHINESE
                    ):
                        untranslated.add(f"{model.__name__}.{field.name}: {text}")
    assert untranslated == set()


def test_every_timeline_event_has_a_chinese_label():
    from django.utils import translation

    from utilitydesk.cases.labels import ACTION_LABELS
    from utilitydesk.cases.sweeper import EVENT_ACTIONS
    from utilitydesk.cases.workflow import TRANSITIONS

    written = set(TRANSITIONS) | set(EVENT_ACTIONS) | {"registered", "dispatched"}
    assert written - set(ACTION_LABELS) == set()
    with translation.override("zh-hans"):
        assert [a for a, label in ACTION_LABELS.items() if not CJK.search(str(label))] == []


def test_the_blank_choice_of_every_select_is_chinese():
    from django.db.models.fields import BLANK_CHOICE_LABEL
    from django.utils import translation

    with translation.override("zh-hans"):
        assert CJK.search(str(BLANK_CHOICE_LABEL))


@pytest.mark.django_db
def test_policy_page_names_kinds_grades_positions_and_channels_in_chinese(people, client):
    client.force_login(people["office"])
    html = client.get("/sla/policy/").content.decode()
    body = html.split("<main", 1)[-1]
    for code in ("customer_type", "commercial", "station_head", "inbox", "ours", "repair vip"):
        assert code not in body, code
    assert "本公司规定" in body and "客户类型" in body and "维修" in body


@pytest.mark.django_db
def test_timeline_shows_labels_names_and_local_times_not_codes(people, customers, client):
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import open_case
    from utilitydesk.cases import services
    from utilitydesk.cases.sweeper import sweep

    received = timezone.now() - timedelta(days=5)
    case = open_case(people["agent"], customers["east"], now=received)
    services.accept(case.number, actor=people["tech"])
    appointment = timezone.now() + timedelta(days=1)
    services.book(case.number, appointment, actor=people["tech"])
    sweep(now=timezone.now())
    client.force_login(people["office"])
    html = client.get(f"/cases/{case.number}/").content.decode()
    assert "deadline_breached" not in html and "escalated" not in html
    assert "时限已超" in html and "已升级督办" in html
    assert timezone.localtime(appointment).strftime("%Y-%m-%d %H:%M") in html
    assert "head_east" not in html.split("升级记录", 1)[-1]
