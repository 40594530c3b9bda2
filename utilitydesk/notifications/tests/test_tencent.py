"""The Tencent Cloud SMS adapter against the local stub: signing, batching, per-number
statuses, request-level errors."""

import hashlib
import hmac
import json

import pytest
from django.utils import timezone

from utilitydesk.notifications import tencent
from utilitydesk.notifications.defaults import OUTAGE_UNPLANNED
from utilitydesk.notifications.delivery import deliver_due
from utilitydesk.notifications.models import Message
from utilitydesk.notifications.services import notice_status, queue_customer_notices
from utilitydesk.notifications.testing import APP_ID, SECRET_KEY, SIGN_NAME

from .conftest import PROVIDER_IDS

PARAMS = {
    "reason": "管道抢修",
    "area": "城东3号楼",
    "start": "08:00",
    "end": "18:00",
    "service": "热",
    "hotline": "96069",
}


def phones(n: int, start: int = 0) -> list[tuple[int, str]]:
    return [(i, f"139{start + i:08d}") for i in range(n)]


def queue(recipients, event_key="announced", reference="interruption:7"):
    return queue_customer_notices(
        reference=reference,
        event_key=event_key,
        template_code=OUTAGE_UNPLANNED,
        params=PARAMS,
        recipients=recipients,
        actor=None,
        now=timezone.now(),
    )


def test_signature_follows_the_documented_steps():
    payload = b'{"PhoneNumberSet":["+8613800000000"]}'
    signed = tencent.sign(
        secret_id="AKIDexample",
        secret_key="key",
        host="sms.tencentcloudapi.com",
        action="SendSms",
        version="2021-01-11",
        region="ap-guangzhou",
        payload=payload,
        timestamp=1_700_000_000,  # 2023-11-14 22:13:20 UTC
    )
    assert signed.canonical_request == "\n".join(
        [
            "POST",
            "/",
            "",
            "content-type:application/json; charset=utf-8\nhost:sms.tencentcloudapi.com\n"
            "x-tc-action:sendsms\n",
            "content-type;host;x-tc-action",
            hashlib.sha256(payload).hexdigest(),
        ]
    )
    scope = "2023-11-14/sms/tc3_request"
    assert signed.string_to_sign.split("\n")[:3] == ["TC3-HMAC-SHA256", "1700000000", scope]
    key = b"TC3key"
    for part in ("2023-11-14", "sms", "tc3_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    assert (
        signed.signature
        == hmac.new(key, signed.string_to_sign.encode(), hashlib.sha256).hexdigest()
    )
    assert signed.headers["Authorization"] == (
        f"TC3-HMAC-SHA256 Credential=AKIDexample/{scope}, "
        f"SignedHeaders=content-type;host;x-tc-action, Signature={signed.signature}"
    )
    assert signed.headers["X-TC-Timestamp"] == "1700000000"
    assert signed.headers["X-TC-Region"] == "ap-guangzhou"


def test_numbers_in_e164():
    assert tencent.to_e164("13912345678") == "+8613912345678"
    assert tencent.to_e164("+86 139-1234-5678") == "+8613912345678"
    assert tencent.to_e164("008613912345678") == "+8613912345678"
    assert tencent.to_e164("0451-82345678") is None
    assert tencent.to_e164("12345") is None


def test_the_stub_refuses_a_wrong_signature(stub, settings):
    settings.SMS_TENCENT = stub.settings(SECRET_KEY="not-the-key")
    with pytest.raises(tencent.ProviderError) as refused:
        tencent.TencentSmsBackend().send_sms(["+8613900000001"], PROVIDER_IDS[OUTAGE_UNPLANNED], [])
    assert refused.value.code == "AuthFailure.SignatureFailure"
    assert refused.value.retryable  # nothing was sent: tried again after the key is fixed
    assert stub.sent == []


def test_one_request_as_documented(stub):
    statuses = tencent.TencentSmsBackend().send_sms(
        ["+8613900000001", "+8613900000002"], PROVIDER_IDS[OUTAGE_UNPLANNED], ["a", "b"]
    )
    assert {s["Code"] for s in statuses.values()} == {"Ok"}
    (request,) = stub.requests
    body, headers = request["body"], request["headers"]
    assert body["PhoneNumberSet"] == ["+8613900000001", "+8613900000002"]
    assert body["SmsSdkAppId"] == APP_ID and body["SignName"] == SIGN_NAME
    assert body["TemplateId"] == PROVIDER_IDS[OUTAGE_UNPLANNED]
    assert body["TemplateParamSet"] == ["a", "b"]
    assert headers["x-tc-action"] == "SendSms" and headers["x-tc-version"] == "2021-01-11"
    assert SECRET_KEY not in json.dumps(headers)


@pytest.mark.django_db
def test_450_numbers_go_in_three_requests_with_the_values_in_order(stub):
    assert queue(phones(450)) == 450
    result = deliver_due()
    assert result.sent == 450
    assert [len(r["body"]["PhoneNumberSet"]) for r in stub.requests] == [200, 200, 50]
    assert stub.requests[0]["body"]["TemplateParamSet"] == [
        "管道抢修",
        "城东3号楼",
        "08:00",
        "热",
        "18:00",
        "96069",
    ]
    assert notice_status("interruption:7")["sent"] == 450
    serials = set(Message.objects.values_list("provider_id", flat=True))
    assert len(serials) == 450 and "" not in serials
    assert set(Message.objects.values_list("provider", flat=True)) == {"tencent"}


@pytest.mark.django_db
def test_permanent_failures_and_landlines_are_failed_at_once(stub):
    stub.script["+8613900000001"] = ["FailedOperation.PhoneNumberInBlacklist"]
    queue([(1, "13900000001"), (2, "13900000002"), (3, "0451-82345678")])
    result = deliver_due()
    assert (result.sent, result.failed) == (1, 2)
    blacklisted = Message.objects.get(address="13900000001")
    assert blacklisted.status == "failed"
    assert blacklisted.error_code == "FailedOperation.PhoneNumberInBlacklist"
    assert Message.objects.get(address="0451-82345678").error_code == tencent.NOT_A_MOBILE
    # The landline never went to the provider.
    assert all("+86045182345678" not in r["body"]["PhoneNumberSet"] for r in stub.requests)
