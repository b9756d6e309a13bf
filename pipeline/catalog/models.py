"""Catalog models. No logic in save() or signals: rules live in services.py."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    """Roles named by the regulation (第八条–第二十二条)."""

    STATION_HEAD = "station_head", "站长"
    ARCHIVIST = "archivist", "档案管理员"
    EXAM_AFFAIRS = "exam_affairs", "考务人员"
    EXAMINER = "examiner", "考评员"
    CHIEF_EXAMINER = "chief_examiner", "考评组长"
    INVIGILATOR = "invigilator", "监考"
    PAPER_CUSTODIAN = "paper_custodian", "试卷保密人员"
    SCORE_CLERK = "score_clerk", "汇总计分员"
    OFFICE_HEAD = "office_head", "办公室主任"
    WITNESS = "witness", "监销人"


class Round(models.Model):
    """一期鉴定: an appraisal round, known on the CLI by its short code."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    theory_at = models.DateTimeField(null=True, blank=True)
    practical_at = models.DateTimeField(null=True, blank=True)
    theory_minutes = models.PositiveIntegerField(default=90)
    practical_minutes = models.PositiveIntegerField(default=120)
    scores_recorded_on = models.DateField(null=True, blank=True)
    seating_seed = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Room(models.Model):
    """考场: a theory or practical room with its capacity and workstations."""

    class Kind(models.TextChoices):
        THEORY = "theory", "理论"
        PRACTICAL = "practical", "实操"

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    capacity = models.PositiveIntegerField()
    location = models.CharField(max_length=200, blank=True)
    occupations = models.CharField(max_length=200, blank=True,
                                   help_text="occupations this practical room serves, comma-separated; empty: any")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Workstation(models.Model):
    """工位 in a practical room."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="workstations")
    number = models.CharField(max_length=16)

    class Meta:
        unique_together = [("room", "number")]
        ordering = ["room", "number"]


class Candidate(models.Model):
    """考生 of one round, for one occupation and level."""

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="candidates")
    name = models.CharField(max_length=40)
    id_number = models.CharField(max_length=18)
    gender = models.CharField(max_length=2)
    birth_date = models.DateField()
    phone = models.CharField(max_length=20)
    occupation = models.CharField(max_length=40)
    level = models.PositiveSmallIntegerField()
    ticket_number = models.CharField(max_length=32, unique=True)
    class_name = models.CharField(max_length=100, blank=True)
    employer = models.CharField(max_length=200, blank=True)
    education = models.CharField(max_length=40, blank=True)
    address = models.CharField(max_length=200, blank=True)
    photo = models.CharField(max_length=300, blank=True, help_text="path under the data root's var/photos")
    is_retake = models.BooleanField(default=False)
    sheet_row = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        unique_together = [("round", "id_number")]
        ordering = ["ticket_number"]

    def __str__(self) -> str:
        return f"{self.name} {self.ticket_number}"


class Staff(models.Model):
    """鉴定工作人员 with roles and a badge number (第十条(二))."""

    name = models.CharField(max_length=40)
    badge_number = models.CharField(max_length=32, unique=True)
    roles = models.JSONField(default=list)
    id_number = models.CharField(max_length=18, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    occupations = models.JSONField(default=list, help_text="occupations an examiner is certified for")
    certificate = models.CharField(max_length=64, blank=True)
    photo = models.CharField(max_length=300, blank=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["badge_number"]

    def __str__(self) -> str:
        return f"{self.name} {self.badge_number}"


class Recusal(models.Model):
    """回避关系: a staff member must not examine this person (第十条(四))."""

    class Relation(models.TextChoices):
        RELATIVE = "relative", "亲属"
        STUDENT = "student", "师生"
        APPRENTICE = "apprentice", "师徒"

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="recusals")
    candidate_id_number = models.CharField(max_length=18)
    candidate_name = models.CharField(max_length=40, blank=True)
    relation = models.CharField(max_length=16, choices=Relation.choices)

    class Meta:
        unique_together = [("staff", "candidate_id_number")]


class SeatAssignment(models.Model):
    """A candidate's seat (theory) or workstation (practical) in one room × sitting (pipeline.exams.assign.planner)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="seats")
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="seats")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="seats")
    sitting = models.PositiveSmallIntegerField(help_text="场次, 1-based")
    workstation = models.CharField(max_length=16, help_text="seat number (theory) or workstation number")
    starts_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        unique_together = [("room", "sitting", "round", "workstation"), ("candidate", "room")]
        ordering = ["round", "room", "sitting", "workstation"]


class StaffDuty(models.Model):
    """A staff member's duty in one room × sitting of a round (pipeline.exams.assign.planner)."""

    class Duty(models.TextChoices):
        EXAMINER = "examiner", "考评员"
        CHIEF_EXAMINER = "chief_examiner", "考评组长"
        INVIGILATOR = "invigilator", "监考"
        EXAM_AFFAIRS = "exam_affairs", "考务人员"

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="duties")
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="duties")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="duties")
    sitting = models.PositiveSmallIntegerField()
    duty = models.CharField(max_length=16, choices=Duty.choices)

    class Meta:
        unique_together = [("round", "staff", "room", "sitting")]
        ordering = ["round", "room", "sitting", "duty"]


class Score(models.Model):
    """A candidate's result in a round (from the examiners' score sheet)."""

    candidate = models.OneToOneField(Candidate, on_delete=models.CASCADE, related_name="score")
    theory = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    practical = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    theory_absent = models.BooleanField(default=False)
    practical_absent = models.BooleanField(default=False)
    is_retake = models.BooleanField(default=False)
    passed = models.BooleanField(default=False)
    recorded_on = models.DateField()


class FormInstance(models.Model):
    """One generated form: known from generation, so its signed scan files itself."""

    class Status(models.TextChoices):
        GENERATED = "generated", "已生成"
        SCANNED = "scanned", "已扫描"
        FILED = "filed", "已归档"
        SUPERSEDED = "superseded", "已作废（已重印）"

    code = models.CharField(max_length=8, unique=True)
    form = models.CharField(max_length=40)
    round = models.ForeignKey(Round, null=True, blank=True, on_delete=models.PROTECT, related_name="forms")
    subject = models.CharField(max_length=100, blank=True, help_text="candidate ID, room×sitting, batch...")
    subject_label = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=300)
    pages = models.PositiveIntegerField()
    retention_class = models.CharField(max_length=40, blank=True)
    category = models.CharField(max_length=8, blank=True)
    doc_date = models.DateField()
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    docx_sha256 = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, help_text="the values printed on the form (search text)")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.GENERATED)
    superseded_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="supersedes", help_text="the reprint that replaces this one")
    superseded_at = models.DateTimeField(null=True, blank=True)
    supersede_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["form", "round"]), models.Index(fields=["form", "subject"])]


class NumberSeries(models.Model):
    """The last 件号 used in one year × retention × category series (allocated under a row lock)."""

    fonds = models.CharField(max_length=8)
    year = models.PositiveIntegerField()
    retention = models.CharField(max_length=8)
    category = models.CharField(max_length=8)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        unique_together = [("fonds", "year", "retention", "category")]


class ArchiveItem(models.Model):
    """The catalog card of one archive item folder (the folder is the truth)."""

    class Status(models.TextChoices):
        FILED = "filed", "在库"
        DESTROYED = "destroyed", "已销毁"

    archival_code = models.CharField(max_length=64, unique=True)
    fonds = models.CharField(max_length=8)
    year = models.PositiveIntegerField()
    retention_code = models.CharField(max_length=8)
    category = models.CharField(max_length=8)
    item_number = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    responsible = models.CharField(max_length=200)
    doc_number = models.CharField(max_length=100, blank=True, help_text="文号 of an incoming document")
    doc_date = models.DateField()
    pages = models.PositiveIntegerField()
    secrecy = models.CharField(max_length=16, default="", blank=True, help_text="密级; empty: 公开")
    restricted = models.BooleanField(default=False)
    secret = models.BooleanField(default=False,
                                 help_text="secret class (exam papers before release): encrypted, no text indexed")
    encrypted = models.BooleanField(default=False, help_text="content files are AES-256-GCM ciphertext")
    files_sha256 = models.JSONField(default=dict, blank=True,
                                    help_text="archived file -> SHA-256 of its plaintext, as filed")
    form = models.CharField(max_length=40, blank=True)
    form_instance = models.ForeignKey(FormInstance, null=True, blank=True, on_delete=models.SET_NULL)
    round_code = models.CharField(max_length=32, blank=True)
    candidate_id_number = models.CharField(max_length=18, blank=True)
    candidate_name = models.CharField(max_length=40, blank=True)
    ticket_number = models.CharField(max_length=32, blank=True)
    occupation = models.CharField(max_length=40, blank=True)
    level = models.PositiveSmallIntegerField(null=True, blank=True)
    retention_class = models.CharField(max_length=40)
    clock_start = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True, help_text="empty: permanent")
    source_sha256 = models.CharField(max_length=64, db_index=True)
    source_name = models.CharField(max_length=300)
    folder = models.CharField(max_length=300)
    text = models.TextField(blank=True)
    filed_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.FILED)

    class Meta:
        unique_together = [("fonds", "year", "retention_code", "category", "item_number")]
        ordering = ["fonds", "year", "retention_code", "category", "item_number"]
        indexes = [models.Index(fields=["status", "due_date"], name="item_status_due"),   # the due list
                   # filed today, and the items filed last (inbox status, polled by every open inbox page)
                   models.Index(fields=["status", "filed_at"], name="item_status_filed")]


class IngestJob(models.Model):
    """A claimed inbox file, keyed by its content hash: survives a crash and is resumed.

    State moves claimed → reserved (档号 and the item plan recorded together) → committed
    (catalog rows written) → indexed → filed (inbox file released); or review / quarantined.
    """

    class State(models.TextChoices):
        CLAIMED = "claimed", "已领取"
        RESERVED = "reserved", "已分配档号"
        COMMITTED = "committed", "已编目"
        INDEXED = "indexed", "已索引"
        FILED = "filed", "已归档"
        REVIEW = "review", "待人工处理"
        QUARANTINED = "quarantined", "已隔离"

    sha256 = models.CharField(max_length=64, unique=True)
    source_name = models.CharField(max_length=300)
    category_hint = models.CharField(max_length=8, blank=True)
    work_path = models.CharField(max_length=500)
    state = models.CharField(max_length=16, choices=State.choices, default=State.CLAIMED)
    reason = models.JSONField(default=dict, blank=True)
    archival_codes = models.JSONField(default=list, blank=True)
    plan = models.JSONField(default=list, blank=True, help_text="the items to write, fixed at reservation")
    ingest_time = models.DateTimeField(null=True, blank=True)
    released_path = models.CharField(max_length=500, blank=True)
    duplicate_drops = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)


class ReviewItem(models.Model):
    """Pages of a job that wait for a person: a grouping problem or no category found."""

    class State(models.TextChoices):
        WAITING = "waiting", "待处理"
        RESERVED = "reserved", "已分配档号"
        FILED = "filed", "已归档"
        DISCARDED = "discarded", "已剔除"

    job = models.ForeignKey(IngestJob, on_delete=models.PROTECT, related_name="reviews")
    kind = models.CharField(max_length=40, help_text="English problem code")
    message = models.CharField(max_length=500, help_text="Chinese, for staff")
    detail = models.TextField(blank=True)
    instance_code = models.CharField(max_length=8, blank=True)
    source_pages = models.JSONField(default=list)
    pdf = models.CharField(max_length=500, help_text="normalised pages, relative to the data root")
    text = models.TextField(blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.WAITING)
    plan = models.JSONField(default=dict, blank=True)
    archival_code = models.CharField(max_length=64, blank=True)
    resolved_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)


class AuditEntry(models.Model):
    """Append-only, hash-chained log entry (verify finds edits, removals, reordering)."""

    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    action = models.CharField(max_length=64)
    target = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]


class Hold(models.Model):
    """A legal/administrative hold on one item, a whole round or one candidate: blocks destruction."""

    class Scope(models.TextChoices):
        ITEM = "item", "档案"
        ROUND = "round", "鉴定批次"
        CANDIDATE = "candidate", "考生"

    scope = models.CharField(max_length=16, choices=Scope.choices, default=Scope.ITEM)
    value = models.CharField(max_length=64, db_index=True, help_text="档号, round code or candidate ID number")
    item = models.ForeignKey(ArchiveItem, null=True, blank=True, on_delete=models.PROTECT, related_name="holds")
    reason = models.CharField(max_length=300)
    placed_by = models.CharField(max_length=150)
    placed_at = models.DateTimeField()
    released_by = models.CharField(max_length=150, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)


class Loan(models.Model):
    """借阅 (第十八条(一)2): request → approve → lend → return."""

    class State(models.TextChoices):
        REQUESTED = "requested", "已申请"
        APPROVED = "approved", "已批准"
        LENT = "lent", "借出"
        RETURNED = "returned", "已归还"
        REFUSED = "refused", "未批准"

    item = models.ForeignKey(ArchiveItem, on_delete=models.PROTECT, related_name="loans")
    borrower = models.CharField(max_length=100)
    purpose = models.CharField(max_length=300)
    copy_requested = models.BooleanField(default=False)
    state = models.CharField(max_length=16, choices=State.choices, default=State.REQUESTED)
    requested_by = models.CharField(max_length=150)
    requested_at = models.DateTimeField()
    approved_by = models.CharField(max_length=150, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    lent_at = models.DateTimeField(null=True, blank=True)
    due_back = models.DateField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)


class DestructionBatch(models.Model):
    """A 档案销毁清册: propose → approve → witness ×2 → execute."""

    class State(models.TextChoices):
        PROPOSED = "proposed", "已提出"
        APPROVED = "approved", "已批准"
        WITNESSED = "witnessed", "已监销确认"
        EXECUTED = "executed", "已销毁"
        CANCELLED = "cancelled", "已撤销"

    code = models.CharField(max_length=32, unique=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PROPOSED)
    proposed_by = models.CharField(max_length=150)
    proposed_at = models.DateTimeField()
    approved_by = models.CharField(max_length=150, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    executed_by = models.CharField(max_length=150, blank=True)
    executed_at = models.DateTimeField(null=True, blank=True)
    form_instance = models.ForeignKey(FormInstance, null=True, blank=True, on_delete=models.SET_NULL)
    as_of = models.DateField(null=True, blank=True, help_text="the day the due list was drawn up for")
    opinion = models.CharField(max_length=300, default="已到保管期限，经鉴定无继续保存价值，同意销毁")
    approved_version = models.CharField(max_length=64, blank=True,
                                        help_text="SHA-256 of the register's rows and evidence as approved")
    approved_rows = models.JSONField(default=dict, blank=True, help_text="档号 -> short hash of its row, as approved")


class DestructionEntry(models.Model):
    """One item on a destruction register; struck-out entries are kept with their reason."""

    batch = models.ForeignKey(DestructionBatch, on_delete=models.CASCADE, related_name="entries")
    item = models.ForeignKey(ArchiveItem, on_delete=models.PROTECT, related_name="destruction_entries")
    struck = models.BooleanField(default=False)
    struck_reason = models.CharField(max_length=300, blank=True)


class Witness(models.Model):
    """监销人 confirmation of a batch, under their own identity."""

    batch = models.ForeignKey(DestructionBatch, on_delete=models.CASCADE, related_name="witnesses")
    user = models.CharField(max_length=150)
    at = models.DateTimeField()
    version = models.CharField(max_length=64, blank=True, help_text="the register version the witness confirmed")

    class Meta:
        unique_together = [("batch", "user")]


class Tombstone(models.Model):
    """What remains of a destroyed item, for ever."""

    archival_code = models.CharField(max_length=64, unique=True)
    title = models.CharField(max_length=300)
    doc_date = models.DateField()
    retention_class = models.CharField(max_length=40)
    retention_code = models.CharField(max_length=8)
    due_date = models.DateField(null=True, blank=True)
    pages = models.PositiveIntegerField()
    source_sha256 = models.CharField(max_length=64)
    manifest_sha256 = models.CharField(max_length=64)
    batch = models.ForeignKey(DestructionBatch, on_delete=models.PROTECT, related_name="tombstones")
    destroyed_at = models.DateTimeField()
    destroyed_by = models.CharField(max_length=150)


class RetentionRules(models.Model):
    """The retention rules (config/retention.toml) last seen, to notice and audit a change."""

    digest = models.CharField(max_length=64)
    content = models.JSONField(default=dict)
    seen_at = models.DateTimeField()
    seen_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["-seen_at", "-id"]
