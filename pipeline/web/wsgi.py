"""WSGI entry point of the web interface (gunicorn: pipeline.web.wsgi:application; waitress on Windows)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pipeline.site.settings")
application = get_wsgi_application()
