"""WSGI entry point: `gunicorn lms_identity.wsgi:application`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms_identity.settings")

application = get_wsgi_application()
