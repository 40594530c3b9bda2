"""The parser never fails other than by MalformedMessage, whatever arrives."""

from hypothesis import given, settings
from hypothesis import strategies as st

from utilitydesk.wechat import protocol

FIELDS = st.sampled_from(
    ["ToUserName", "FromUserName", "CreateTime", "MsgType", "Content", "MsgId", "Event", "x"]
)


@st.composite
def messages(draw) -> bytes:
    parts = draw(st.lists(st.tuples(FIELDS, st.text(max_size=30)), max_size=8))
    inner = "".join(f"<{name}>{value}</{name}>" for name, value in parts)
    prefix = draw(st.sampled_from(["", '<?xml version="1.0"?>', "<!DOCTYPE xml>", "\ufeff"]))
    return (prefix + draw(st.sampled_from(["<xml>", "<x>", ""])) + inner + "</xml>").encode()


@settings(max_examples=300, deadline=None)
@given(st.one_of(messages(), st.binary(max_size=200)))
def test_anything_is_a_message_or_malformed(body):
    try:
        incoming = protocol.parse(body)
    except protocol.MalformedMessage:
        return
    assert incoming.from_user and incoming.to_user and incoming.msg_type
    reply = protocol.text_reply(incoming, "好]]>的")
    assert (
        protocol.parse(reply.replace("</xml>", "<MsgId>1</MsgId></xml>").encode()).content
        == "好]]>的"
    )


def test_the_signature_is_sha1_of_the_sorted_parts():
    # WeChat's published example: token, timestamp and nonce sorted, joined, SHA1.
    import hashlib

    expected = hashlib.sha1(b"".join(sorted([b"tok", b"1409659813", b"1372623149"]))).hexdigest()
    assert protocol.signature("tok", "1409659813", "1372623149") == expected
    query = {"signature": expected, "timestamp": "1409659813", "nonce": "1372623149"}
    assert protocol.signed("tok", query) and not protocol.signed("other", query)
    assert not protocol.signed(
        "", {**query, "signature": protocol.signature("", "1409659813", "1372623149")}
    )
