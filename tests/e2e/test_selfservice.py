"""Issue 17's customer pages at a small phone's size (360 × 740) inside a plain mobile browser:
a household signs in with a texted code, binds its account, reports no heat, sees the
interruption announced for its building, follows the case to resolution, rates it
dissatisfied and it reopens; it sees its bill."""

import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from tests.e2e.conftest import fits_width
from tests.factories import staff
from utilitydesk.billing import services as billing
from utilitydesk.cases import services as cases
from utilitydesk.cases.models import Case, Channel, Status
from utilitydesk.notifications.backends import MemoryBackend
from utilitydesk.notifications.defaults import install_default_templates
from utilitydesk.notifications.models import NoticeTemplate
from utilitydesk.org.models import Position
from utilitydesk.outages import interruptions
from utilitydesk.selfservice.models import Photo

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MOBILE = "13612345678"
# The narrowest phones still common among households (the staff pages' PHONE is 390).
SMALL_PHONE = {"width": 360, "height": 740}


@pytest.fixture
def household(org, people, customers, settings):
    settings.NOTIFICATION_BACKENDS = {
        **settings.NOTIFICATION_BACKENDS,
        "sms": "utilitydesk.notifications.backends.MemoryBackend",
    }
    MemoryBackend.sent.clear()
    install_default_templates(NoticeTemplate)
    account = staff("selfservice", Position.AGENT, org["centre"])
    account.set_unusable_password()
    account.save()
    now = timezone.now()
    run = billing.start_run(2026, actor=None, now=now)
    billing.generate_bills(run.pk, now=now)
    yield customers["east"]
    MemoryBackend.sent.clear()


@pytest.fixture
def mobile_page(browser):
    context = browser.new_context(
        viewport=SMALL_PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (180, 30, 30)).save(out, "PNG")
    return out.getvalue()


def code_texted() -> str:
    text = next(t for t in reversed(MemoryBackend.sent) if t["to"] == MOBILE)
    return re.search(r"\d{6}", text["text"]).group(0)


def test_a_household_reports_follows_rates_and_sees_its_bill(
    household, people, org, area, live_server, mobile_page
):
    page = mobile_page
    url = live_server.url
    page.goto(f"{url}/my/")
    page.get_by_label("手机号码").fill(MOBILE)
    page.get_by_role("button", name="获取验证码").click()
    page.get_by_label("短信验证码").fill(code_texted())
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{url}/my/")
    assert fits_width(page)

    page.get_by_role("link", name="绑定户号").first.click()
    page.get_by_label("户号", exact=True).fill(household.account_no)
    page.get_by_label("户主姓名").fill("李雷")
    page.get_by_role("button", name="绑定", exact=True).click()
    page.wait_for_url(f"{url}/my/")
    assert household.account_no in page.inner_text("main")
    assert fits_width(page)

    page.get_by_role("link", name="我要报修").first.click()
    page.get_by_label("问题描述").fill("家里暖气全都不热")
    page.get_by_label("照片（选填，最多 3 张）").set_input_files(
        [{"name": "radiator.png", "mimeType": "image/png", "buffer": png()}]
    )
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(re.compile(r"/my/cases/GD\d+/$"))
    assert fits_width(page)
    case = Case.objects.get(customer=household)
    assert case.channel == Channel.WEB and case.responsible_unit == org["east"]
    assert case.number in page.inner_text(".flash")
    assert Photo.objects.filter(case=case).count() == 1

    # The station announces an interruption on the building's substation.
    dispatcher = staff("dispatcher", Position.DISPATCHER, org["centre"])
    now = timezone.now()
    draft = interruptions.create_interruption(
        interruptions.InterruptionInput(
            kind="pipe_burst",
            title="城东换热站二次网爆管",
            start_at=now - timedelta(minutes=10),
            expected_restoration_at=now + timedelta(hours=6),
            substation_ids=[area["east"].substation_id],
        ),
        actor=dispatcher,
        now=now,
    )
    interruptions.announce(draft.pk, actor=dispatcher, now=now)
    page.goto(f"{url}/my/interruptions/")
    assert "城东换热站二次网爆管" in page.inner_text("main")

    # The technician books, comes and resolves; the household follows it.
    cases.accept(case.number, actor=people["tech"])
    cases.book(case.number, timezone.now() + timedelta(hours=2), actor=people["tech"])
    page.goto(f"{url}/my/cases/")
    page.get_by_role("link", name=re.compile(case.number)).click()
    assert page.locator("#booking").is_visible()
    cases.arrive(case.number, actor=people["tech"])
    cases.exempt_signoff(case.number, "电话确认", actor=people["head_east"])
    cases.resolve(case.number, cases.Resolution(work_done="排气"), actor=people["tech"])
    page.reload()
    timeline = page.inner_text(".timeline")
    assert "处理完毕" in timeline

    page.get_by_role("radio", name="不满意").check()
    page.get_by_label("还有什么问题？（不满意时必填）").fill("卧室还是只有15度")
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_selector(".flash")
    case.refresh_from_db()
    assert case.status == Status.REOPENED
    assert "重新打开" in page.inner_text(".timeline")

    page.get_by_role("link", name="账单", exact=True).click()
    assert "2230.20" in page.inner_text("main")
    assert fits_width(page)
