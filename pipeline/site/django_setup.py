"""Start Django for the CLI and workers (settings from pipeline.site.settings)."""

from __future__ import annotations

import os


def setup() -> None:
    """Configure Django once; safe to call again."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pipeline.site.settings")
    import django  # local: Django must not load before the settings module is chosen
    from django.apps import apps

    if not apps.ready:
        django.setup()
