"""Archive item folders: atomic, idempotent, read-only; a stack's original stored once on disk."""

import os

import pytest

from pipeline.archive.store import ArchivedOriginals, item_verify, item_write, iter_item_folders, manifest_read
from pipeline.core.domain import ArchivalCode
from pipeline.core.errors import Conflict


def _code(n):
    return ArchivalCode("J118", 2026, "D10", "KW", n)


def test_item_is_written_read_only_and_verifies(data_root, tmp_path):
    source = tmp_path / "stack.pdf"
    source.write_bytes(b"%PDF-1.7 scanned stack")
    folder = item_write(paths=data_root, code=_code(1), pdf=b"%PDF-1.7 item", originals=[source],
                        metadata={"title": "张三 报名登记表"})
    assert folder.name == "J118-WS·2026-D10-KW-0001"
    assert (folder / "original" / "stack.pdf").read_bytes() == source.read_bytes()
    assert set(manifest_read(folder)) == {"document.pdf", "metadata.json", "original/stack.pdf"}
    assert item_verify(folder) == []
    assert not ((folder / "document.pdf").stat().st_mode & 0o222)      # read-only (even root's tests see the bits)
    assert not (folder.stat().st_mode & 0o222)
    assert list(iter_item_folders(data_root)) == [folder]
    assert not list((data_root.archive / ".tmp").iterdir())


def test_same_item_again_is_idempotent_and_different_content_is_refused(data_root, tmp_path):
    source = tmp_path / "a.jpg"
    source.write_bytes(b"\xff\xd8scan")
    first = item_write(paths=data_root, code=_code(2), pdf=b"%PDF a", originals=[source], metadata={"t": 1})
    assert item_write(paths=data_root, code=_code(2), pdf=b"%PDF a", originals=[source], metadata={"t": 1}) == first
    with pytest.raises(Conflict):
        item_write(paths=data_root, code=_code(2), pdf=b"%PDF b", originals=[source], metadata={"t": 1})


def test_items_of_one_stack_share_one_copy_inside_the_archive_only(data_root, tmp_path):
    source = tmp_path / "stack.pdf"
    source.write_bytes(os.urandom(200_000))
    archived = ArchivedOriginals()                           # one job's items
    folders = [item_write(paths=data_root, code=_code(n), pdf=f"%PDF {n}".encode(), originals=[source],
                          metadata={"n": n}, archived=archived) for n in (3, 4, 5)]
    inodes = {(f / "original" / "stack.pdf").stat().st_ino for f in folders}
    assert len(inodes) == 1                                  # one copy on disk for the stack
    assert source.stat().st_ino not in inodes                # never linked to the released inbox file
    source.write_bytes(b"changed after release")             # staff edit the released file...
    assert all(item_verify(f) == [] for f in folders)        # ...the archive is untouched


def test_what_one_job_archived_is_not_remembered_by_the_process_for_the_next(data_root, tmp_path):
    source = tmp_path / "stack.pdf"
    source.write_bytes(os.urandom(50_000))
    first, second = ArchivedOriginals(), ArchivedOriginals()
    folders = [item_write(paths=data_root, code=_code(n), pdf=f"%PDF {n}".encode(), originals=[source],
                          metadata={"n": n}, archived=archived) for n, archived in ((8, first), (9, second))]
    folders.append(item_write(paths=data_root, code=_code(10), pdf=b"%PDF 10", originals=[source],
                              metadata={"n": 10}))
    inodes = [(f / "original" / "stack.pdf").stat().st_ino for f in folders]
    assert len(set(inodes)) == 3                             # separate jobs, separate copies: no process-wide memory
    assert all(item_verify(f) == [] for f in folders)


def test_a_flipped_byte_in_a_shared_original_is_found_in_every_item_that_holds_it(data_root, tmp_path):
    from pipeline.archive.store import make_writable

    source = tmp_path / "stack.pdf"
    source.write_bytes(os.urandom(50_000))
    archived = ArchivedOriginals()
    folders = [item_write(paths=data_root, code=_code(n), pdf=f"%PDF {n}".encode(), originals=[source],
                          metadata={"n": n}, archived=archived) for n in (6, 7)]
    cache = {}
    assert [item_verify(f, cache=cache) for f in folders] == [[], []]
    shared = folders[0] / "original" / "stack.pdf"
    make_writable(folders[0])
    data = bytearray(shared.read_bytes())
    data[1000] ^= 0x01
    shared.write_bytes(bytes(data))
    for folder in folders:
        (finding,) = item_verify(folder, cache=cache)
        assert (finding.path, finding.problem) == ("original/stack.pdf", "changed")
