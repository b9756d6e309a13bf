"""What the stages of one ingest job pass along: the job row, where it works, and what it found so far."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.catalog.models import IngestJob
from pipeline.core.config import StationConfig
from pipeline.core.paths import DataPaths
from pipeline.ingest import jobs
from pipeline.ingest.identify import GroupingResult


@dataclass
class Work:
    """What the stages of one job pass along (plain data; the job row is the durable part)."""

    job: IngestJob
    paths: DataPaths
    config: StationConfig
    source: Path
    infos: list = field(default_factory=list)
    grouping: GroupingResult | None = None
    items: list[dict] = field(default_factory=list)       # to be filed (the plan)
    reviews: list[dict] = field(default_factory=list)     # to wait for a person
    set_aside: list[str] = field(default_factory=list)    # groups quarantined on their own (file names)
    oversize: tuple[str, str] | None = None                # (Chinese reason, English detail): over a limit
    progress: Callable[[str, str, int], None] | None = None
    may_ocr: Callable[[], bool] | None = None             # False: OCR steps aside (lane.py); None: always OCR

    @property
    def out(self) -> Path:
        return jobs.job_folder(self.paths, self.job.sha256) / "out"
