"""WeChat repeats a message while the first delivery is still being handled, and two
agents may answer one follower at once. PostgreSQL only: what is proved is the unique key
and the row lock."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from tests.factories import is_postgres
from utilitydesk.cases.models import Contact
from utilitydesk.wechat import services
from utilitydesk.wechat.models import Follower, InboundMessage
from utilitydesk.wechat.protocol import Incoming

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not is_postgres(), reason="concurrency is proved on PostgreSQL"),
]


def at_once(count: int, work) -> list:
    barrier = threading.Barrier(count)
    results: list = []

    def run():
        try:
            barrier.wait()
            results.append(work())
        except ValidationError as error:
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_repetitions_arriving_together_are_one_message(wechat_api):
    incoming = Incoming("gh_x", "o-li", 1_790_000_000, "text", "暖气不热", "6200000000000000009")
    replies = at_once(4, lambda: services.receive(incoming))
    assert len(set(replies)) == 1 and replies[0]
    assert InboundMessage.objects.count() == 1 and Follower.objects.count() == 1


def test_two_agents_answering_at_once_send_one_answer(wechat_api, people):
    services.receive(Incoming("gh_x", "o-li", 1_790_000_000, "text", "在吗", "62000000001"))
    follower = Follower.objects.get()
    results = at_once(
        2, lambda: services.answer(follower.pk, services.Answer("在的"), actor=people["agent"])
    )
    assert sum(isinstance(r, Contact) for r in results) == 1
    assert Contact.objects.count() == 1 and len(wechat_api.texts) == 1
