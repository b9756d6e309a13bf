"""Admin pages for master data (rooms, staff, recusals); archive records are read-only here."""

from django.contrib import admin

from pipeline.catalog import models

for model in (models.Round, models.Room, models.Workstation, models.Candidate, models.Staff, models.Recusal):
    admin.site.register(model)
