"""Ingest: watched inbox → claimed job → identified, grouped, filed items (see flow.STAGES)."""
