"""Django app of the web interface."""

from django.apps import AppConfig


class WebConfig(AppConfig):
    """Templates, static files (vendored Bootstrap and htmx) and views of the station's web pages."""

    name = "pipeline.web"
    label = "web"
    verbose_name = "网页界面"
