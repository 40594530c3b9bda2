"""The demo official account (``load_demo``): a few followers whose texts wait for an agent
at 微信留言 (/wechat/messages/), one of them linked to a demo customer — received through
``wechat.services.receive`` as if WeChat had sent them, so loading twice adds nothing (the
MsgIds are fixed)."""

from datetime import timedelta

from django.utils import timezone

from utilitydesk.customers.models import Customer
from utilitydesk.wechat import services
from utilitydesk.wechat.models import Follower
from utilitydesk.wechat.protocol import Incoming

ACCOUNT = "gh_demo00000001"
# (openid, minutes ago, MsgId or event, text)
MESSAGES = [
    ("o-demo-wang", 95, "subscribe", ""),
    ("o-demo-wang", 40, "7100000000000000001", "暖气片上面热下面凉，是不是要放气？"),
    ("o-demo-wang", 38, "7100000000000000002", "家里现在只有17度。"),
    ("o-demo-zhao", 130, "7100000000000000003", "请问这个采暖季的供暖费什么时候截止缴纳？"),
    ("o-demo-sun", 15, "subscribe", ""),
    ("o-demo-sun", 12, "7100000000000000004", "昨天报修的漏水师傅已经修好了，谢谢！"),
]


def load_wechat_demo() -> int:
    """Returns how many demo followers there are."""
    now = timezone.now()
    known = set(Follower.objects.values_list("openid", flat=True))
    for openid, minutes, ident, text in MESSAGES:
        at = now - timedelta(minutes=minutes)
        created = int(at.timestamp())
        if ident == "subscribe":
            if openid in known:  # an event's identity is its time: once is enough
                continue
            incoming = Incoming(ACCOUNT, openid, created, "event", event="subscribe")
        else:
            incoming = Incoming(ACCOUNT, openid, created, "text", content=text, msg_id=ident)
        services.receive(incoming, now=at)
    customer = Customer.objects.order_by("account_no").first()
    if customer is not None:
        phone = customer.phones.order_by("pk").values_list("number", flat=True).first() or ""
        services.link_follower("o-demo-zhao", customer_id=customer.pk, phone=phone)
    return len({openid for openid, *_rest in MESSAGES})
