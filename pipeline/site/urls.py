"""URL map: the web interface (pipeline/web/urls.py) and the admin for master data."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [path("admin/", admin.site.urls), path("", include("pipeline.web.urls"))]

handler403 = "pipeline.web.views.errors.forbidden"
handler404 = "pipeline.web.views.errors.not_found"
handler500 = "pipeline.web.views.errors.server_error"
