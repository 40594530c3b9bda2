"""Issue 15, item 3 in a browser: the billing clerk finds the account at the counter, sees
the bill and what is owed, takes the payment in cash, and prints the receipt — the print
view and the downloaded PDF show the receipt number and the amount; the account is then
settled."""

import subprocess  # nosec B404: pdftotext reads the PDF the test downloaded
from pathlib import Path

import pytest

from tests.factories import staff
from utilitydesk.billing import services as billing
from utilitydesk.org.models import Position
from utilitydesk.payments.models import Payment

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_clerk_takes_a_counter_payment_and_prints_the_receipt(
    page, login, live_server, org, people, customers, tmp_path
):
    staff("billing", Position.BILLING_CLERK, org["centre"])
    billing.generate_bills(billing.start_run(2026, actor=None).pk)
    login("billing")
    page.click("text=柜台收费")
    page.fill("#id_account", customers["east"].account_no)
    page.click("button:has-text('查找')")
    assert "李雷" in page.inner_text("#counter-customer")
    assert "2230.20" in page.inner_text("#counter-balance")
    page.fill("#id_amount", "2230.20")
    page.select_option("#id_channel", "counter_cash")
    page.click("button:has-text('收费并打印收据')")
    page.wait_for_url("**/payments/receipts/**")
    payment = Payment.objects.get()
    receipt = page.inner_text("#receipt")
    assert payment.receipt_no in receipt and "¥2,230.20" in receipt
    assert "人民币贰仟贰佰叁拾元贰角整" in receipt
    with page.expect_download() as download_info:
        page.evaluate(
            "url => { const a = document.createElement('a'); a.href = url;"
            " a.download = 'receipt.pdf'; document.body.appendChild(a); a.click(); }",
            page.get_attribute("#receipt-pdf", "href"),
        )
    pdf = Path(tmp_path / "receipt.pdf")
    download_info.value.save_as(pdf)
    text = subprocess.run(  # nosec B603 B607: fixed arguments
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert payment.receipt_no in text and "2,230.20" in text
    page.click("text=返回柜台收费")
    assert "已结清" in page.inner_text("#counter-balance")
