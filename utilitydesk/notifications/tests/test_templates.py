"""Notice templates: placeholders in order, and no forbidden phrase (R-205) on save or when
rendered with their values."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from utilitydesk.knowledge.defaults import install_default_phrases
from utilitydesk.knowledge.models import ForbiddenPhrase, StandardPhrase
from utilitydesk.notifications.checks import placeholders, registered_checks
from utilitydesk.notifications.defaults import DEFAULT_TEMPLATES, OUTAGE_PLANNED
from utilitydesk.notifications.models import Message, NoticeTemplate
from utilitydesk.notifications.notices import render_notice
from utilitydesk.notifications.services import queue_customer_notices

FORBIDDEN = "这是规定，就不行"


@pytest.fixture
def phrases(db):
    install_default_phrases(ForbiddenPhrase, StandardPhrase)


def test_the_forbidden_phrase_check_is_registered():
    assert "knowledge.forbidden_phrases" in registered_checks()


def test_placeholders_in_order_of_first_appearance():
    assert placeholders("{b}，{a}，又是{b}与{c_1}") == ["b", "a", "c_1"]


@pytest.mark.django_db
def test_shipped_templates_are_installed_in_chinese(phrases):
    codes = set(NoticeTemplate.objects.values_list("code", flat=True))
    assert {row["code"] for row in DEFAULT_TEMPLATES} <= codes
    for template in NoticeTemplate.objects.filter(code__in=codes):
        template.full_clean()  # they pass the checks
        assert "尊敬的用户" in template.text


@pytest.mark.django_db
def test_a_template_with_a_forbidden_phrase_is_not_saved(phrases):
    with pytest.raises(ValidationError) as refused:
        NoticeTemplate.objects.create(
            code="rude", name="不礼貌", text=f"尊敬的用户：{FORBIDDEN}。停{{service}}至{{end}}。"
        )
    assert "text" in refused.value.message_dict
    assert not NoticeTemplate.objects.filter(code="rude").exists()
    template = NoticeTemplate.objects.get(code=OUTAGE_PLANNED)
    template.text = template.text + "你问我，我问谁"
    with pytest.raises(ValidationError):
        template.save()


@pytest.mark.django_db
def test_a_value_bringing_a_forbidden_phrase_is_refused_and_nothing_queued(phrases):
    params = {
        "reason": FORBIDDEN,
        "area": "3号楼",
        "start": "08:00",
        "end": "18:00",
        "service": "热",
        "hotline": "96069",
    }
    with pytest.raises(ValidationError):
        render_notice(template_code=OUTAGE_PLANNED, params=params)
    with pytest.raises(ValidationError):
        queue_customer_notices(
            reference="interruption:1",
            event_key="announced",
            template_code=OUTAGE_PLANNED,
            params=params,
            recipients=[(1, "13900000001")],
            actor=None,
            now=timezone.now(),
        )
    assert not Message.objects.exists()
    rendered = render_notice(template_code=OUTAGE_PLANNED, params={**params, "reason": "计划检修"})
    assert rendered.text.startswith("尊敬的用户：因计划检修，您所在的3号楼将于08:00至18:00暂停供热")
    assert rendered.values == ["计划检修", "3号楼", "08:00", "18:00", "热", "96069"]


@pytest.mark.django_db
def test_an_inactive_or_unknown_template_is_refused(phrases):
    NoticeTemplate.objects.filter(code=OUTAGE_PLANNED).update(is_active=False)
    with pytest.raises(ValidationError):
        render_notice(template_code=OUTAGE_PLANNED, params={})
    with pytest.raises(ValidationError):
        render_notice(template_code="nope", params={})
