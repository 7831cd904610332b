"""The Celery application. Workers: `celery -A lms_identity worker`; beat: `celery -A lms_identity beat`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms_identity.settings")

app = Celery("lms_identity")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
