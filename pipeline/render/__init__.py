"""Rendering: HTML → PDF in batches (html.py), page QR stamping (stamp.py, qr.py), DOCX (docx.py)."""
