"""Property: over random sequences of operations by random users, nothing unlawful is ever destroyed.

Nothing is destroyed that was held, on loan, not due, permanent, not approved by a non-proposer
station head, or witnessed by fewer than two distinct people other than the proposer and approver;
every destroyed item has a tombstone (catalog and archive/.tombstones) and a register entry.
"""

import contextlib
import datetime as dt
import shutil
import tempfile
from pathlib import Path

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.archive.store import item_folder, make_writable
from pipeline.catalog.destruction import (
    destruction_approve,
    destruction_execute,
    destruction_propose,
    destruction_witness,
    separation_problems,
    tombstone_path,
)
from pipeline.catalog.holds import hold_place, hold_release
from pipeline.catalog.loans import loan_approve, loan_lend, loan_request, loan_return
from pipeline.catalog.models import ArchiveItem, DestructionBatch, Hold, Loan, Tombstone
from pipeline.core.config import get_config
from pipeline.core.domain import ArchivalCode
from pipeline.core.errors import StationError
from pipeline.core.paths import DataPaths
from tests.retention.conftest import USERS, make_item

# Users who plausibly attempt each step (often the step's own role, sometimes anybody at all), so
# that random sequences do reach execution instead of stopping at the first refusal.
LIKELY = {"propose": ("arch", "arch2", "boss"), "approve": ("head", "head2", "boss"),
          "strike": ("head", "head2", "boss"), "witness": ("w1", "w2", "w3", "boss"),
          "execute": ("arch", "arch2", "boss", "head"), "hold": ("arch", "head", "boss"),
          "release": ("arch", "head", "boss"), "loan": ("clerk", "arch"), "loan_ok": ("head", "head2"),
          "lend": ("arch", "arch2"), "return": ("arch", "arch2"), "advance": ("arch",)}
OPS = tuple(LIKELY)


CHAIN = ("propose", "approve", "witness", "witness", "execute")


def _user(draw, op):
    pool = LIKELY[op] if draw(st.integers(0, 9)) < 8 else tuple(sorted(USERS))
    return draw(st.sampled_from(pool))


@st.composite
def step(draw):
    """[(operation, user name, index of the item/batch/hold/loan it acts on)]: one step, or a whole chain
    by five independently drawn users (the proposer may turn up again as approver or witness), with
    perhaps a hold, loan, release or a year passing somewhere in between."""
    op = draw(st.sampled_from(OPS + CHAIN + ("chain",) * 8))
    if op != "chain":
        return [(op, _user(draw, op), draw(st.integers(0, 4)))]
    parts = [(part, _user(draw, part), -1) for part in CHAIN]
    meddle = draw(st.sampled_from(("none", "hold", "loan", "release", "advance")))
    if meddle != "none":  # something happens to an item somewhere along the way
        parts.insert(draw(st.integers(0, len(parts))), (meddle, _user(draw, meddle), draw(st.integers(0, 4))))
    return parts


steps = st.lists(step(), min_size=2, max_size=20)


def _nth(rows, n):
    rows = list(rows)
    return rows[n % len(rows)] if rows else None


def _apply(op, user, n, items, paths, today):
    """Run one operation; a refused or conflicting step is simply refused (StationError)."""
    config = get_config()
    item = items[n % len(items)]
    batch = _nth(DestructionBatch.objects.order_by("id"), n)
    if op == "propose":
        destruction_propose(actor=user, config=config, as_of=today)
    elif op in ("approve", "strike") and batch:
        strikes = {item.archival_code: "仍有查考价值"} if op == "strike" else None
        destruction_approve(actor=user, batch_code=batch.code, strikes=strikes)
    elif op == "witness" and batch:
        destruction_witness(actor=user, batch_code=batch.code)
    elif op == "execute" and batch:
        _execute_checked(user, batch, paths, today)
    elif op == "hold":
        hold_place(actor=user, item_code=item.archival_code, reason="争议待查")
    elif op == "release" and (hold := _nth(Hold.objects.order_by("id"), n)):
        hold_release(actor=user, hold_id=hold.id)
    elif op == "loan":
        loan_request(actor=user, item_code=item.archival_code, borrower="王五", purpose="查阅")
    elif op in ("loan_ok", "lend", "return") and (loan := _nth(Loan.objects.order_by("id"), n)):
        {"loan_ok": loan_approve, "lend": loan_lend, "return": loan_return}[op](actor=user, loan_id=loan.id)


def _may_go(item, today):
    """The test's own oracle, written from the rules, not from the service's code."""
    held = Hold.objects.filter(value=item.archival_code, released_at=None).exists()
    lent = Loan.objects.filter(item=item, state__in=("requested", "approved", "lent")).exists()
    return not held and not lent and item.retention_code != "Y" and item.due_date and item.due_date <= today


def _execute_checked(user, batch, paths, today):
    config = get_config()
    allowed = {e.item.archival_code for e in batch.entries.filter(struck=False).select_related("item")
               if _may_go(e.item, today)}
    lawful = not separation_problems(batch)
    before = set(ArchiveItem.objects.filter(status="destroyed").values_list("archival_code", flat=True))
    try:
        destruction_execute(actor=user, batch_code=batch.code, config=config, paths=paths, today=today)
    finally:
        after = set(ArchiveItem.objects.filter(status="destroyed").values_list("archival_code", flat=True))
        assert after - before <= allowed, f"destroyed blocked items {after - before - allowed}"
        if not lawful:
            assert after == before, "an unlawful batch destroyed items"


def _check_every_destroyed_item(paths):
    for item in ArchiveItem.objects.filter(status="destroyed"):
        stone = Tombstone.objects.get(archival_code=item.archival_code)
        assert tombstone_path(paths, item.archival_code).is_file()
        assert not item_folder(paths, ArchivalCode.parse(item.archival_code)).exists()
        entry = stone.batch.entries.get(item=item)
        assert not entry.struck and stone.batch.state == "executed"
        assert not separation_problems(stone.batch)
        assert stone.batch.approved_by != stone.batch.proposed_by
        assert item.retention_code != "Y" and item.due_date is not None


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=steps, years=st.lists(st.integers(2016, 2024), min_size=3, max_size=3))
def test_random_operations_never_destroy_unlawfully(users, ops, years):
    root = Path(tempfile.mkdtemp(prefix="h8-prop-"))
    paths = DataPaths(root)
    paths.ensure()
    try:
        with transaction.atomic():
            items = [make_item(paths, doc_date=dt.date(y, 6, 1)) for y in years]
            items.append(make_item(paths, category="CJ", doc_date=dt.date(2010, 6, 1)))
            today = dt.date(2024, 1, 1)
            for op, name, n in (part for parts in ops for part in parts):
                if op == "advance":
                    today = today.replace(year=today.year + 1)
                    continue
                with contextlib.suppress(StationError):
                    _apply(op, users[name], n, items, paths, today)
            _check_every_destroyed_item(paths)
            transaction.set_rollback(True)
    finally:
        make_writable(root)
        shutil.rmtree(root)
