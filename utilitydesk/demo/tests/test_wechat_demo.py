from django.core.management import call_command

from utilitydesk.demo.management.commands.load_demo import DEMO_PASSWORD
from utilitydesk.wechat.models import Follower, InboundMessage


def test_the_demo_has_wechat_texts_waiting_and_loading_twice_adds_none(client, db):
    call_command("load_demo", "--customers", "20")
    call_command("load_demo", "--customers", "20")
    assert InboundMessage.objects.filter(type="text", answered_at__isnull=True).count() == 4
    assert InboundMessage.objects.filter(type="event").count() == 2
    assert Follower.objects.filter(openid="o-demo-zhao", customer__isnull=False).exists()
    client.login(username="agent", password=DEMO_PASSWORD)
    page = client.get("/wechat/messages/").content.decode()
    assert "3 位用户等待答复" in page and "家里现在只有17度" in page
