"""Celery application for production (REDIS_URL set). Start with:

celery -A utilitydesk worker -l info
celery -A utilitydesk beat -l info
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "utilitydesk.settings")
app = Celery("utilitydesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
