"""The audit chain head as printed on destruction registers and yearly 归档文件目录: short hash + QR.

Paper kept outside the data root is an anchor nobody who edits the database can rewrite:
`station audit verify --anchor` takes the QR's text (DHJD-AUDIT <seq> <hash>) or an exported file.
"""

from __future__ import annotations

import base64

from pipeline.archive.audit import GENESIS, anchor_line, audit_head
from pipeline.render.qr import qr_png_text


def audit_anchor_context() -> dict:
    """Context keys for a form: audit_seq, audit_hash (full), audit_short, audit_line, audit_qr_uri (not stored)."""
    seq, digest = audit_head() or (0, GENESIS)
    line = anchor_line(seq, digest)
    uri = "data:image/png;base64," + base64.b64encode(qr_png_text(line, scale=3)).decode("ascii")
    return {"audit_seq": seq, "audit_hash": digest, "audit_short": digest[:16], "audit_line": line,
            "audit_qr_uri": uri}
