"""Highlighted fragments for search hits, built from the item's text. Pure."""

from __future__ import annotations

import html
import re

from pipeline.core.domain import mask_id
from pipeline.search.analyzer import normalise

_ID_IN_TEXT = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
_SPACES = re.compile(r"\s+")
_MOBILE_IN_TEXT = re.compile(r"(?<![0-9])(1[3-9][0-9])[0-9]{4}([0-9]{4})(?![0-9])")


def mask_ids(text: str) -> str:
    """Every 18-character ID number in text shown as 110105********1234."""
    return _ID_IN_TEXT.sub(lambda m: mask_id(m.group(0)), text)


def mask_phones(text: str) -> str:
    """Every 11-digit mobile number in text shown as 138****5678 (personal data)."""
    return _MOBILE_IN_TEXT.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)


def _matchable(text: str) -> str:
    """A normalised copy of text with the same length (so offsets still point into text)."""
    normalised = normalise(text)
    return normalised if len(normalised) == len(text) else text.lower()


def _spans(haystack: str, needles: list[str]) -> list[tuple[int, int]]:
    spans = []
    for needle in sorted({n for n in needles if n}, key=len, reverse=True):
        start = haystack.find(needle)
        while start >= 0:
            end = start + len(needle)
            if not any(s < end and start < e for s, e in spans):
                spans.append((start, end))
            start = haystack.find(needle, end)
    return sorted(spans)


def make_snippet(text: str, needles: list[str], *, width: int = 90, show_id: bool = False,
                 mark: tuple[str, str] = ("<b>", "</b>")) -> str:
    """About width characters around the first match, matches wrapped in mark, the rest HTML-escaped."""
    text = _SPACES.sub(" ", text or "").strip()
    if not show_id:
        text = mask_phones(mask_ids(text))
    spans = _spans(_matchable(text), needles)
    first = spans[0][0] if spans else 0
    start = max(0, first - width // 3)
    end = min(len(text), start + width)
    pieces, cursor = [], start
    for s, e in spans:
        if s < start or e > end:
            continue
        pieces += [html.escape(text[cursor:s]), mark[0], html.escape(text[s:e]), mark[1]]
        cursor = e
    pieces.append(html.escape(text[cursor:end]))
    return ("…" if start > 0 else "") + "".join(pieces) + ("…" if end < len(text) else "")
