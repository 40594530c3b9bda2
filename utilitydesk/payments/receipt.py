"""The counter receipt (收费收据): the payment's receipt number, the customer, the amount in
figures and in Chinese capitals, who took it and when; as a PDF in an embedded CJK font (the
dispatch slip's font, ``cases.slip.slip_font``) and as the data of the print view."""

import io
from decimal import Decimal

from django.utils import timezone
from reportlab.lib.pagesizes import A5, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from utilitydesk.cases.slip import slip_font

from .models import Payment

DIGITS = "零壹贰叁肆伍陆柒捌玖"
UNITS = ["", "拾", "佰", "仟"]
GROUPS = ["", "万", "亿"]


def _four(n: int) -> str:
    """0 < n < 10000 in capitals, zeros collapsed."""
    text = ""
    zero = False
    for position in range(3, -1, -1):
        digit = n // 10**position % 10
        if digit == 0:
            zero = bool(text)
            continue
        if zero:
            text += "零"
            zero = False
        text += DIGITS[digit] + UNITS[position]
    return text


def capitals(amount: Decimal) -> str:
    """人民币大写: 1234.50 → 壹仟贰佰叁拾肆元伍角整."""
    amount = amount.quantize(Decimal("0.01"))
    sign = "负" if amount < 0 else ""
    fen_total = int(abs(amount) * 100)
    yuan, cents = divmod(fen_total, 100)
    jiao, fen = divmod(cents, 10)
    text = ""
    group = 0
    need_zero = False
    while yuan > 0:
        part = yuan % 10000
        if part:
            chunk = _four(part) + GROUPS[group]
            if need_zero:
                chunk += "零"
            text = chunk + text
            need_zero = part < 1000
        elif text:
            need_zero = True
        yuan //= 10000
        group += 1
    text = text.rstrip("零")
    if text.startswith("零"):
        text = text[1:]
    if text:
        text += "元"
    if jiao:
        text += DIGITS[jiao] + "角"
    elif fen and text:
        text += "零"
    if fen:
        text += DIGITS[fen] + "分"
    else:
        text += "整"
    return sign + (text if text != "整" else "零元整")


def _person(user) -> str:
    if user is None:
        return ""
    return f"{user.last_name}{user.first_name}" or user.get_username()


def receipt_fields(payment: Payment) -> list[tuple[str, str]]:
    customer = payment.customer
    address = payment.premises.address_text if payment.premises else ""
    return [
        ("收据号", payment.receipt_no or payment.number),
        ("缴费单号", payment.number),
        ("户号", customer.account_no),
        ("户名", customer.name),
        ("地址", address),
        ("收费项目", "供热费"),
        ("缴费方式", str(payment.get_channel_display())),
        ("金额（小写）", f"¥{payment.amount:,.2f}"),
        ("金额（大写）", f"人民币{capitals(payment.amount)}"),
        ("收款时间", timezone.localtime(payment.received_at).strftime("%Y-%m-%d %H:%M")),
        ("收款员", _person(payment.taken_by)),
    ]


def render_receipt(payment: Payment, company: str = "热力公司") -> bytes:
    font = slip_font()
    buffer = io.BytesIO()
    size = landscape(A5)
    pdf = canvas.Canvas(buffer, pagesize=size)
    pdf.setTitle(f"收费收据 {payment.receipt_no}")
    width, height = size
    left = 18 * mm
    y = height - 20 * mm
    pdf.setFont(font, 16)
    pdf.drawCentredString(width / 2, y, f"{company} 供热费收费收据")
    y -= 12 * mm
    for label, value in receipt_fields(payment):
        pdf.setFont(font, 10)
        pdf.drawString(left, y, f"{label}：")
        pdf.setFont(font, 11)
        pdf.drawString(left + 30 * mm, y, value[:60])
        y -= 7.5 * mm
    pdf.setFont(font, 9)
    pdf.drawString(left, 12 * mm, "本收据为缴费凭证，请妥善保管。")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
