"""Durable jobs: the atomic claim, recovery of half-done claims, exclusive locks, resuming mid-flow."""

from __future__ import annotations

import json
import shutil

import pytest

from pipeline.archive.store import item_verify, sha256_file
from pipeline.catalog.models import ArchiveItem, IngestJob, NumberSeries
from pipeline.ingest import jobs
from pipeline.ingest.flow import STAGES, jobs_resume
from pipeline.ingest.work import Work

from .test_flow import fast_config, form_pages, make_registration, make_round, stack_bytes


@pytest.mark.django_db
def test_claim_moves_the_file_into_work_keyed_by_its_hash(data_root):
    path = data_root.inbox / "公文" / "a.pdf"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"%PDF-1.4 some bytes")
    digest = sha256_file(path)
    claim = jobs.claim_file(paths=data_root, path=path, category_hint="FW")
    assert claim.outcome == "job" and claim.job.sha256 == digest and claim.job.category_hint == "FW"
    assert (data_root.work / digest / "source" / "a.pdf").read_bytes() == b"%PDF-1.4 some bytes"
    assert not path.exists()
    assert jobs.job_lock(data_root, claim.job) is None          # held by the claimer
    claim.lock.release()
    assert jobs.claim_file(paths=data_root, path=path).outcome == "gone"   # another worker was first
    again = jobs.job_lock(data_root, claim.job)
    assert again is not None
    again.release()


@pytest.mark.django_db
def test_recovery_finishes_a_claim_cut_short_by_a_crash(data_root):
    half = data_root.work / ".claim-0123abcd"
    (half / "source").mkdir(parents=True)
    (half / "source" / "b.pdf").write_bytes(b"%PDF-1.4 b")
    (half / jobs.CLAIM_INFO).write_text(json.dumps({"source_name": "b.pdf", "category_hint": "KW"}))
    stale = data_root.work / ".claim-99.new"
    stale.mkdir()
    jobs.jobs_recover(paths=data_root)
    job = IngestJob.objects.get()
    assert job.source_name == "b.pdf" and job.category_hint == "KW" and job.state == "claimed"
    assert sorted(p.name for p in data_root.work.iterdir()) == [job.sha256]
    assert [j.pk for j in jobs.jobs_resumable()] == [job.pk]


@pytest.mark.django_db
@pytest.mark.parametrize("crash_after", ["reserve", "write", "commit", "index"])
def test_a_job_killed_after_any_stage_resumes_with_the_same_codes(data_root, tmp_path, crash_after):
    round_ = make_round()
    forms = [make_registration(round_, n) for n in (1, 2)]
    data = stack_bytes(form_pages(forms[0]) + form_pages(forms[1]), tmp_path)
    path = data_root.inbox / "s.pdf"
    path.write_bytes(data)
    config = fast_config(0)
    claim = jobs.claim_file(paths=data_root, path=path)
    work = Work(job=claim.job, paths=data_root, config=config, source=jobs.job_source(data_root, claim.job))
    for name, stage in STAGES:                   # run the flow up to the crash point, then "die"
        stage(work)
        if name == crash_after:
            break
    claim.lock.release()
    reserved = IngestJob.objects.get().archival_codes
    assert jobs_resume(paths=data_root, config=config) == ["filed"]
    assert list(ArchiveItem.objects.values_list("archival_code", flat=True)) == reserved
    assert reserved == ["J118-WS·2026-D10-KW-0001", "J118-WS·2026-D10-KW-0002"]
    assert NumberSeries.objects.get().last == 2
    assert all(item_verify(data_root.archive / item.folder) == [] for item in ArchiveItem.objects.all())
    assert [p.name for p in data_root.processed.glob("*/*")] == ["s.pdf"]
    assert jobs_resume(paths=data_root, config=config) == []   # nothing left; running again is harmless


@pytest.mark.django_db
def test_a_job_killed_before_reservation_is_redone_from_its_claimed_file(data_root, tmp_path):
    form = make_registration(make_round(), 3)
    path = data_root.inbox / "t.pdf"
    path.write_bytes(stack_bytes(form_pages(form), tmp_path))
    claim = jobs.claim_file(paths=data_root, path=path)
    work = Work(job=claim.job, paths=data_root, config=fast_config(0), source=jobs.job_source(data_root, claim.job))
    for _, stage in STAGES[:5]:                 # read … normalise, then killed
        stage(work)
    claim.lock.release()
    shutil.rmtree(data_root.work / claim.job.sha256 / "out")   # even its half-written outputs lost
    assert jobs_resume(paths=data_root, config=fast_config(0)) == ["filed"]
    assert ArchiveItem.objects.get().archival_code == "J118-WS·2026-D10-KW-0001"
