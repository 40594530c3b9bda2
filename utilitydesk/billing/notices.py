"""What a household is told about its bill (R-803; docs/billing.md, "Pages, notices and
interfaces"): the payment notice (缴费通知单) as a PDF per household, the text with the
amount and the due day before the season, and the reminder ``reminder_days`` before the due
day for bills still unpaid. Texts go through `notifications.queue_customer_notices`: one
per mobile phone and bill, never twice (the bill's reference and the event are the
notice's key), so a second run, or two at once, send nothing again."""

import io
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen import canvas

from utilitydesk.accounts.typing import Actor, AnyUser
from utilitydesk.audit.models import AccessLog
from utilitydesk.cases.slip import slip_font
from utilitydesk.customers.models import CustomerPhone
from utilitydesk.notifications.models import NoticeTemplate
from utilitydesk.notifications.services import queue_customer_notices
from utilitydesk.org.models import UnitKind
from utilitydesk.privacy.access import record_access

from .models import Bill, BillStatus
from .selectors import balances_of

BILL_NOTICE = "bill_notice"
BILL_REMINDER = "bill_reminder"
CHUNK = 2_000
TITLE = "缴费通知单"

# Shipped texts, created when missing (an edited one is kept). The provider approves each:
# its template id is entered on the template (notifications admin).
DEFAULT_TEMPLATES: list[dict[str, str]] = [
    {
        "code": BILL_NOTICE,
        "name": "采暖费缴费通知",
        "text": (
            "尊敬的用户：您{season}采暖季热费{amount}元（账单{bill}），请于{due}前缴纳。"
            "咨询电话{hotline}。"
        ),
    },
    {
        "code": BILL_REMINDER,
        "name": "采暖费缴费提醒",
        "text": (
            "尊敬的用户：您{season}采暖季热费尚欠{amount}元（账单{bill}），缴费截止日为{due}，"
            "请及时缴纳，如已缴费请忽略。咨询电话{hotline}。"
        ),
    },
]


def ensure_templates() -> None:
    for row in DEFAULT_TEMPLATES:
        if not NoticeTemplate.objects.filter(code=row["code"]).exists():
            # Two runs at once: get_or_create takes the other's row on the unique code.
            NoticeTemplate.objects.get_or_create(
                code=row["code"], defaults={"channel": "sms", **row}
            )


def season_label(year: int) -> str:
    return f"{year}-{year + 1}"


def money(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01')):,}"


def due_text(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def notice_reference(bill: Bill) -> str:
    """One reference per premises and season: a corrected bill is not announced again."""
    return f"bill:{bill.number.split('-')[0]}"


def is_mobile(number: str) -> bool:
    digits = number.strip().removeprefix("+86")
    return len(digits) == 11 and digits.isdecimal() and digits.startswith("1")


def _mobiles(customer_ids: list[int]) -> dict[int, list[str]]:
    phones: dict[int, list[str]] = {}
    for customer_id, number in (
        CustomerPhone.objects.filter(customer_id__in=customer_ids)
        .order_by("customer_id", "position", "pk")
        .values_list("customer_id", "number")
    ):
        if is_mobile(number):
            phones.setdefault(customer_id, []).append(number)
    return phones


def _chunks(queryset_ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(queryset_ids), CHUNK):
        yield queryset_ids[start : start + CHUNK]


def _queue(bill: Bill, phones: list[str], *, event: str, amount: Decimal, now: datetime) -> int:
    return queue_customer_notices(
        reference=notice_reference(bill),
        event_key=event,
        template_code=BILL_NOTICE if event == "notice" else BILL_REMINDER,
        params={
            "season": season_label(bill.season),
            "amount": money(amount),
            "bill": bill.number,
            "due": due_text(bill.due_on),
            "hotline": settings.OUTAGE_NOTICE_HOTLINE,
        },
        recipients=[(bill.customer_id, phone) for phone in phones],
        actor=None,
        now=now,
    )


def send_payment_notices(season: int, *, actor: Actor | None, now: datetime | None = None) -> int:
    """Queue the payment notice text of every issued bill of ``season`` with an amount to
    pay, one per mobile phone; returns how many were newly queued."""
    now = now or timezone.now()
    ensure_templates()
    ids = list(
        Bill.objects.filter(season=season, status=BillStatus.ISSUED, total__gt=0)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    queued = 0
    for chunk in _chunks(ids):
        with transaction.atomic():
            bills = list(Bill.objects.filter(pk__in=chunk).order_by("pk"))
            phones = _mobiles([b.customer_id for b in bills])
            for bill in bills:
                queued += _queue(
                    bill,
                    phones.get(bill.customer_id, []),
                    event="notice",
                    amount=bill.total,
                    now=now,
                )
    return queued


def reminders_due(on: date) -> list[int]:
    """Issued bills whose reminder day (due day − the schedule's reminder_days) has come and
    whose due day has not passed."""
    candidates = Bill.objects.filter(
        status=BillStatus.ISSUED, due_on__gte=on, total__gt=0
    ).values_list("pk", "due_on", "schedule__reminder_days")
    return [pk for pk, due_on, days in candidates if due_on - timedelta(days=days) <= on]


def send_reminders(*, now: datetime | None = None) -> int:
    """The reminder before the due day for every bill whose account still owes (balance >
    0): the amount owed, at most the bill's total. Idempotent; run daily."""
    now = now or timezone.now()
    on = timezone.localdate(now)
    ids = reminders_due(on)
    if not ids:
        return 0
    ensure_templates()
    queued = 0
    for chunk in _chunks(ids):
        with transaction.atomic():
            bills = list(Bill.objects.filter(pk__in=chunk).order_by("pk"))
            customer_ids = list({b.customer_id for b in bills})
            owed = balances_of(customer_ids, on)
            phones = _mobiles(customer_ids)
            for bill in bills:
                balance = owed[bill.customer_id].balance
                if balance <= 0:
                    continue
                queued += _queue(
                    bill,
                    phones.get(bill.customer_id, []),
                    event="reminder",
                    amount=min(balance, bill.total),
                    now=now,
                )
    return queued


# --- the payment notice (PDF) -------------------------------------------------------------


def _company(bill: Bill) -> str:
    unit = bill.premises.station
    while unit is not None:
        if unit.kind == UnitKind.COMPANY:
            return unit.name
        unit = unit.parent
    return "供热有限公司"


def notice_fields(bill: Bill, balance: Decimal) -> list[tuple[str, str]]:
    rate = bill.rate
    premises = bill.premises
    return [
        ("户号", bill.customer.account_no),
        ("户名", bill.customer.name),
        ("地址", premises.address_text),
        ("采暖季", f"{season_label(bill.season)}（{bill.season_days}天）"),
        ("账单编号", bill.number),
        (
            "计费面积",
            f"{bill.area_m2} m²" + ("（按建筑面积折算）" if bill.area_from_building else ""),
        ),
        ("执行单价", f"{rate.price_per_m2} 元/m²·采暖季（{rate.get_method_display()}）"),
        ("计费天数", f"{bill.billed_days} 天，其中报停 {bill.stopped_days} 天"),
        ("本期热费", f"{money(bill.total)} 元"),
        ("账户应缴", f"{money(max(balance, Decimal('0')))} 元"),
        ("缴费截止", due_text(bill.due_on)),
    ]


def render_notice(bill: Bill, viewer: AnyUser | None = None, *, request: object = None) -> bytes:
    """One household's payment notice: the account, the bill's lines, the amount to pay and
    the due day (Chinese in the dispatch slip's embedded font)."""
    font = slip_font()
    if viewer is not None:
        record_access(
            viewer,
            AccessLog.Action.PRINT,
            [bill.customer_id],
            request=request,  # type: ignore[arg-type]
            detail={"bill": bill.number},
        )
    balance = balances_of([bill.customer_id]).get(bill.customer_id)
    owed = balance.balance if balance else bill.total
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(f"{TITLE} {bill.number}")
    company = _company(bill)
    pdf.setAuthor(company)
    width, height = A4
    left, right = 18 * mm, width - 18 * mm
    y = height - 22 * mm
    pdf.setFont(font, 17)
    pdf.drawCentredString(width / 2, y, f"{company} {TITLE}")
    y -= 12 * mm
    pdf.setFont(font, 10)
    for label, value in notice_fields(bill, owed):
        pdf.drawString(left, y, f"{label}：")
        pdf.drawString(left + 24 * mm, y, _fit(value, font, 10, right - left - 24 * mm))
        y -= 6.5 * mm
    y -= 3 * mm
    pdf.setStrokeColor(colors.black)
    pdf.line(left, y + 4 * mm, right, y + 4 * mm)
    pdf.setFont(font, 10)
    columns = [left, left + 92 * mm, left + 120 * mm, right]
    for x, text in zip(columns[:3], ["项目", "数量", "单价"], strict=True):
        pdf.drawString(x, y, text)
    pdf.drawRightString(columns[3], y, "金额（元）")
    y -= 7 * mm
    for line in bill.lines.all():
        if y < 40 * mm:
            pdf.showPage()
            pdf.setFont(font, 10)
            y = height - 20 * mm
        pdf.drawString(
            columns[0], y, _fit(line.description or line.get_kind_display(), font, 10, 90 * mm)
        )
        pdf.drawString(columns[1], y, f"{line.quantity.normalize():f} {line.unit}")
        pdf.drawString(columns[2], y, f"{line.unit_price}")
        pdf.drawRightString(columns[3], y, money(line.amount))
        y -= 6 * mm
    pdf.line(left, y + 3 * mm, right, y + 3 * mm)
    pdf.setFont(font, 12)
    y -= 3 * mm
    pdf.drawString(left, y, "合计")
    pdf.drawRightString(right, y, f"{money(bill.total)} 元")
    y -= 12 * mm
    pdf.setFont(font, 9)
    for text in [
        f"请于{due_text(bill.due_on)}前缴纳。可在营业厅、银行或线上渠道缴费。",
        f"对账单有疑问请致电{settings.OUTAGE_NOTICE_HOTLINE}，我们将核对面积、单价与计费天数。",
    ]:
        pdf.drawString(left, y, text)
        y -= 5.5 * mm
    pdf.setFont(font, 8)
    pdf.drawString(left, 14 * mm, f"打印时间：{timezone.localtime().strftime('%Y-%m-%d %H:%M')}")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _fit(text: str, font: str, size: float, width: float) -> str:
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"
