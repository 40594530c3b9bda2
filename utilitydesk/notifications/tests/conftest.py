import pytest

from utilitydesk.notifications.defaults import DEFAULT_TEMPLATES, install_default_templates
from utilitydesk.notifications.models import NoticeTemplate
from utilitydesk.notifications.testing import TencentSmsStub

TENCENT = "utilitydesk.notifications.tencent.TencentSmsBackend"
# The provider template id of each shipped template in these tests.
PROVIDER_IDS = {row["code"]: str(2000 + i) for i, row in enumerate(DEFAULT_TEMPLATES)}


@pytest.fixture
def templates(db):
    """The shipped templates (a transactional test flushes migration data) with the ids the
    provider approved."""
    install_default_templates(NoticeTemplate)
    for code, provider_id in PROVIDER_IDS.items():
        NoticeTemplate.objects.filter(code=code).update(provider_template_id=provider_id)


@pytest.fixture
def stub(settings, templates):
    """A local Tencent SMS on 127.0.0.1, configured as the sms backend, no rate limit."""
    with TencentSmsStub(templates=PROVIDER_IDS.values()) as server:
        settings.NOTIFICATION_BACKENDS = {**settings.NOTIFICATION_BACKENDS, "sms": TENCENT}
        settings.SMS_TENCENT = server.settings()
        yield server
