"""What followers sent is kept WECHAT_MESSAGE_RETENTION_DAYS, texts still waiting for an
agent for as long as they wait."""

from datetime import timedelta

from django.utils import timezone

from utilitydesk.wechat import services, tasks
from utilitydesk.wechat.models import Follower, InboundMessage

Type = InboundMessage.Type


def message(follower, key, kind, age_days, *, answered=False, now):
    at = now - timedelta(days=age_days)
    return InboundMessage.objects.create(
        key=key,
        follower=follower,
        type=kind,
        content="暖气不热" if kind == Type.TEXT else "",
        event="subscribe" if kind == Type.EVENT else "",
        sent_at=at,
        received_at=at,
        answered_at=at + timedelta(hours=1) if answered else None,
    )


def test_old_messages_are_purged_but_waiting_texts_stay(settings, db):
    settings.WECHAT_MESSAGE_RETENTION_DAYS = 180
    now = timezone.now()
    follower = Follower.objects.create(openid="o-old", subscribed=True)
    message(follower, "old-answered", Type.TEXT, 181, answered=True, now=now)
    message(follower, "old-event", Type.EVENT, 200, now=now)
    message(follower, "old-picture", Type.OTHER, 365, now=now)
    message(follower, "old-waiting", Type.TEXT, 400, now=now)
    message(follower, "recent-answered", Type.TEXT, 179, answered=True, now=now)
    message(follower, "recent-event", Type.EVENT, 1, now=now)
    assert services.purge_messages(now=now, batch=2) == 3
    left = set(InboundMessage.objects.values_list("key", flat=True))
    assert left == {"old-waiting", "recent-answered", "recent-event"}
    assert services.purge_messages(now=now) == 0
    assert Follower.objects.filter(openid="o-old", subscribed=True).exists()


def test_the_periodic_job_purges_with_the_configured_days(settings, db):
    assert "wechat.purge_messages" in settings.PERIODIC_JOBS
    settings.WECHAT_MESSAGE_RETENTION_DAYS = 30
    now = timezone.now()
    follower = Follower.objects.create(openid="o-job")
    message(follower, "forty-days", Type.TEXT, 40, answered=True, now=now)
    message(follower, "twenty-days", Type.TEXT, 20, answered=True, now=now)
    assert tasks.purge_messages() == 1
    assert list(InboundMessage.objects.values_list("key", flat=True)) == ["twenty-days"]
