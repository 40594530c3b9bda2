"""Payments fixtures: a billing clerk, billed customers, and a local Alipay sender that
signs notifications exactly as Alipay documents it, with a key pair made by openssl (an
implementation independent of the verifier under test)."""

import base64
import subprocess  # nosec B404: openssl in tests only
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest

from tests.factories import staff
from utilitydesk.org.models import Position
from utilitydesk.payments.defaults import install_default_layouts
from utilitydesk.payments.models import BankFileLayout

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=SH)


@pytest.fixture
def clerk(org, people):
    # Transactional tests flush the data migration's layouts: install them again.
    install_default_layouts(BankFileLayout)
    return staff("billing", Position.BILLING_CLERK, org["centre"])


@pytest.fixture(scope="session")
def alipay_keys(tmp_path_factory):
    folder = tmp_path_factory.mktemp("alipay")
    private = folder / "private.pem"
    public = folder / "public.pem"
    subprocess.run(  # nosec B603 B607: fixed arguments
        [
            "openssl",
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            str(private),
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(  # nosec B603 B607
        ["openssl", "pkey", "-in", str(private), "-pubout", "-out", str(public)],
        check=True,
        capture_output=True,
    )
    return {"private": private, "public": public.read_text()}


def alipay_sign(content: str, private: Path) -> str:
    """RSA2 as Alipay signs: SHA256withRSA over the UTF-8 content, base64."""
    result = subprocess.run(  # nosec B603 B607
        ["openssl", "dgst", "-sha256", "-sign", str(private)],
        input=content.encode("utf-8"),
        check=True,
        capture_output=True,
    )
    return base64.b64encode(result.stdout).decode()


def alipay_body(params: dict[str, str], private: Path) -> str:
    """The form Alipay posts: the parameters and their signature over the sorted
    non-empty ones (sign and sign_type left out)."""
    content = "&".join(
        f"{k}={params[k]}"
        for k in sorted(params)
        if params[k] != "" and k not in ("sign", "sign_type")
    )
    signed = {**params, "sign_type": "RSA2", "sign": alipay_sign(content, private)}
    return urlencode(signed)


def notification(order, trade_no="2026120322001401230000012345", **overrides) -> dict[str, str]:
    params = {
        "notify_time": "2026-12-03 09:05:00",
        "notify_type": "trade_status_sync",
        "notify_id": "ac05099524730693a8b330c5ecf72da9786",
        "app_id": "2021000000000001",
        "charset": "utf-8",
        "version": "1.0",
        "trade_no": trade_no,
        "out_trade_no": order.out_trade_no,
        "total_amount": str(order.amount),
        "receipt_amount": str(order.amount),
        "trade_status": "TRADE_SUCCESS",
        "subject": "供热费 李雷",
        "gmt_create": "2026-12-03 09:04:30",
        "gmt_payment": "2026-12-03 09:04:58",
        "buyer_logon_id": "",
        "seller_id": "2088101106499364",
    }
    params.update(overrides)
    return params
