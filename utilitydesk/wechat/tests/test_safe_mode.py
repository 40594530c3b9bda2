"""Safe mode (安全模式) and compatible mode (兼容模式) against a local sender that encrypts
and signs as WeChat's published scheme says (sender.py, its own implementation)."""

import base64
import contextlib
import secrets
import struct
import xml.etree.ElementTree as ET

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings
from hypothesis import strategies as st

from utilitydesk.wechat import crypto
from utilitydesk.wechat.models import InboundMessage

from .conftest import TOKEN
from .sender import ACCOUNT, APP_ID, Sender

AES_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")


@pytest.fixture
def safe(wechat_api, settings, db):
    settings.WECHAT = {**settings.WECHAT, "APP_ID": APP_ID, "ENCODING_AES_KEY": AES_KEY}
    return Sender(TOKEN, aes_key=AES_KEY)


def fields_of(xml: bytes) -> dict[str, str]:
    root = ET.fromstring(xml)  # noqa: S314 - our own reply in a test
    return {child.tag: child.text or "" for child in root}


def test_a_text_in_safe_mode_is_recorded_and_answered_encrypted(safe):
    [response] = safe.text("o-safe", "楼道暖气漏水", msg_id="6300000000000000001")
    assert response.status_code == 200
    assert b"<Content>" not in response.content  # nothing readable on the wire
    reply = fields_of(safe.open_reply(response))
    assert reply["ToUserName"] == "o-safe" and reply["FromUserName"] == ACCOUNT
    assert "客服" in reply["Content"]
    message = InboundMessage.objects.get()
    assert message.content == "楼道暖气漏水" and message.follower.openid == "o-safe"


def test_compatible_mode_reads_the_ciphertext_and_answers_encrypted(safe):
    sender = Sender(TOKEN, aes_key=AES_KEY, compatible=True)
    [response] = sender.text("o-compat", "收费标准是多少")
    assert "客服" in fields_of(sender.open_reply(response))["Content"]
    assert InboundMessage.objects.get().content == "收费标准是多少"


def test_a_repeated_encrypted_message_is_recorded_once(safe):
    # Each repetition is encrypted anew (other random bytes), the MsgId inside is the same.
    responses = safe.text("o-rep", "没有热水", msg_id="6300000000000000002", repeats=2)
    assert [r.status_code for r in responses] == [200] * 3
    contents = {fields_of(safe.open_reply(r))["Content"] for r in responses}
    assert len(contents) == 1
    assert InboundMessage.objects.count() == 1


def test_the_server_url_check_in_safe_mode_answers_the_decrypted_echostr(safe):
    response = safe.verify_encrypted("echo-4712")
    assert response.status_code == 200 and response.content == b"echo-4712"
    forged = safe.client.get(
        "/wechat/?msg_signature=0000&timestamp=1&nonce=2&echostr=" + safe.encrypt(b"e")
    )
    assert forged.status_code == 403


def test_a_ciphertext_changed_on_the_way_is_refused(safe):
    body = safe.xml("o-x", "text", Content="hi", MsgId="1")
    good = safe.encrypt(body.encode())
    raw = bytearray(base64.b64decode(good))
    raw[-20] ^= 0x01
    tampered = base64.b64encode(bytes(raw)).decode()
    # Signed for the original: the signature no longer matches.
    query = safe.query(ciphertext=good)
    unsigned = safe.client.post(
        f"/wechat/?{query}", data=safe.envelope(body, tampered), content_type="text/xml"
    )
    assert unsigned.status_code == 403
    # Signed as sent (someone holding the token): it does not decrypt to a message.
    assert safe.post(body, ciphertext=tampered).status_code == 400
    assert not InboundMessage.objects.exists()


def test_a_message_for_another_account_is_refused(safe):
    body = safe.xml("o-x", "text", Content="hi", MsgId="2")
    response = safe.post(body, ciphertext=safe.encrypt(body.encode(), app_id="wx0000other0000"))
    assert response.status_code == 400
    assert not InboundMessage.objects.exists()


def test_bad_padding_is_refused(safe):
    key = base64.b64decode(AES_KEY + "=")
    message = safe.xml("o-x", "text", Content="hi", MsgId="3").encode()
    plain = secrets.token_bytes(16) + struct.pack("!I", len(message)) + message + APP_ID.encode()
    plain += b"\x00" * (32 - len(plain) % 32)  # zeros, not PKCS#7
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    ciphertext = base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()
    assert safe.post(message, ciphertext=ciphertext).status_code == 400


def test_a_bad_configured_key_is_400_not_500(safe, settings):
    settings.WECHAT = {**settings.WECHAT, "ENCODING_AES_KEY": "too-short"}
    assert safe.text("o-x", "hi")[0].status_code == 400
    assert not InboundMessage.objects.exists()


def test_a_wrong_token_is_403_in_safe_mode(safe):
    body = safe.xml("o-x", "text", Content="hi", MsgId="4")
    assert safe.post(body, token="someone-else").status_code == 403


def test_without_a_key_a_plain_message_is_still_accepted(wechat_api, db):
    # Plain mode: no EncodingAESKey configured, WeChat sends no encrypt_type.
    assert Sender(TOKEN).text("o-plain", "hi")[0].status_code == 200
    assert InboundMessage.objects.filter(content="hi").exists()


def test_the_crypto_round_trip_and_key_checks():
    key = crypto.aes_key(AES_KEY)
    assert len(key) == 32
    ciphertext = crypto.encrypt(key, "供热".encode(), APP_ID)
    assert len(base64.b64decode(ciphertext)) % 32 == 0
    assert crypto.decrypt(key, ciphertext, APP_ID) == "供热".encode()
    with pytest.raises(crypto.CryptoError):
        crypto.decrypt(key, ciphertext, "wx-other")
    for bad in ("", AES_KEY[:-1], "!" * 43, "x" * 42 + "\u00e9"):
        with pytest.raises(crypto.CryptoError):
            crypto.aes_key(bad)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.text(max_size=120), st.binary(max_size=96).map(lambda b: base64.b64encode(b).decode())
    )
)
def test_anything_decrypts_to_a_message_or_a_crypto_error(ciphertext):
    with contextlib.suppress(crypto.CryptoError):
        crypto.decrypt(crypto.aes_key(AES_KEY), ciphertext, APP_ID)
