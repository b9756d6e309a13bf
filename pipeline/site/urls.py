"""URL map (the web interface arrives in a later issue; admin serves master data now)."""

from django.contrib import admin
from django.urls import path

urlpatterns = [path("admin/", admin.site.urls)]
