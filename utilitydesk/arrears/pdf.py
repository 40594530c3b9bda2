"""The payment demand letter (催缴通知书, R-803 / R-805) as a PDF in Chinese, in the embedded
font of the dispatch slip: the account, the overdue amount, the bills past their due day,
and, once a limit or stop is approved, the written notice of the day it may happen."""

import io

from django.conf import settings
from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from utilitydesk.billing.models import Bill, BillStatus
from utilitydesk.cases.slip import slip_font

from .models import SUPPLY_STEPS, ActionStatus, ArrearsRecord, StepKind

COMPANY = "热力公司"


def _wrap(text: str, width: int) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)] or [""]


def letter_lines(record: ArrearsRecord) -> list[str]:
    customer, premises = record.customer, record.premises
    bills = Bill.objects.filter(
        customer_id=record.customer_id, status=BillStatus.ISSUED, due_on__lte=record.due_on
    ).order_by("season", "number")
    lines = [
        f"尊敬的{customer.name}（户号 {customer.account_no}）：",
        "",
        f"您位于{premises.address_text}的房屋{record.season}—{record.season + 1}年度采暖费"
        f"已于{record.due_on:%Y年%m月%d日}到期，截至本通知发出之日尚欠"
        f"人民币{record.overdue_amount:,.2f}元。",
        "请于收到本通知之日起十五日内到营业厅、银行或通过线上渠道缴清欠费。",
    ]
    for bill in bills:
        lines.append(f"  账单 {bill.number}：{bill.total:,.2f}元，缴费期限 {bill.due_on:%Y-%m-%d}")
    notice = (
        record.actions.filter(
            step__in=SUPPLY_STEPS, status__in=(ActionStatus.APPROVED, ActionStatus.DONE)
        )
        .order_by("-decided_at")
        .first()
    )
    if notice is not None and notice.acts_from is not None:
        what = "停止供热" if notice.step == StepKind.STOP else "限制供热"
        lines += [
            "",
            f"逾期仍未缴纳的，本公司将依照《民法典》第六百五十四条及当地供热管理规定，"
            f"自{timezone.localtime(notice.acts_from):%Y年%m月%d日}起对上述房屋{what}，"
            "仅限上述房屋，不影响相邻用户供热。",
        ]
    lines += [
        "缴清欠费后，本公司将在二十四小时内恢复供热。",
        f"如有疑问，请拨打客服热线 {settings.OUTAGE_NOTICE_HOTLINE}。",
        "",
        f"{COMPANY}",
        f"{timezone.localdate():%Y年%m月%d日}",
    ]
    return lines


def render_letter(record: ArrearsRecord) -> bytes:
    stream = io.BytesIO()
    font = slip_font()
    page = canvas.Canvas(stream, pagesize=A4)
    page.setTitle("催缴通知书")
    width, height = A4
    page.setFont(font, 20)
    page.drawCentredString(width / 2, height - 30 * mm, "催缴通知书")
    page.setFont(font, 11)
    y = height - 48 * mm
    for line in letter_lines(record):
        for part in _wrap(line, 40):
            page.drawString(20 * mm, y, part)
            y -= 7 * mm
            if y < 20 * mm:
                page.showPage()
                page.setFont(font, 11)
                y = height - 20 * mm
    page.showPage()
    page.save()
    return stream.getvalue()
