"""Progress of a background job, polled by htmx every second until it ends (pipeline/web/jobs.py)."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from pipeline.web.jobs import job_read


@require_GET
def job_status(request, job_id: str):
    """The job's progress fragment (polls itself while running); only the user who started it sees it."""
    job = job_read(job_id=job_id, user=request.user)
    return render(request, "web/_job.html", {"job": job})
