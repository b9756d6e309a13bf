"""A worker killed while writing a quarantine reason leaves a hidden temporary; the retry cleans it up."""

from __future__ import annotations

from pipeline.ingest.quarantine import REASON_SUFFIX, quarantine_file, quarantine_list


def test_a_retry_removes_the_half_written_reason_of_a_killed_attempt_and_keeps_the_file(data_root, tmp_path):
    source = tmp_path / "truncated.pdf"
    source.write_bytes(b"%PDF-1.7 cut short")
    stale = data_root.quarantine / f".truncated.pdf{REASON_SUFFIX}.0123456789abcdef.tmp"
    stale.write_text('{"name": "trunc', encoding="utf-8")      # what a SIGKILL mid-write leaves
    other = data_root.quarantine / f".other.pdf{REASON_SUFFIX}.fedcba9876543210.tmp"
    other.write_text("{", encoding="utf-8")                    # another file's write: not ours to touch

    target = quarantine_file(paths=data_root, source=source, sha256="a" * 64,
                             error={"code": "unreadable", "message": "文件已损坏"})

    assert target.read_bytes() == b"%PDF-1.7 cut short" and not source.exists()
    assert not stale.exists() and other.exists()
    assert [row["name"] for row in quarantine_list(data_root)] == ["truncated.pdf"]
