"""Personal data in text that leaves the system: ID numbers and mobile numbers masked.

Every error message (StationError), every log line (the file handler's formatter) and every
quarantine reason passes through `mask_personal`, so a number that slipped into a message by
accident still never reaches a log, a reason file or the terminal in clear. The views that may
show full numbers (search/results with --show-id by a permitted, audited user; the forms
themselves) do not go through here.
"""

from __future__ import annotations

import logging
import re

from pipeline.core.domain import mask_id

# Boundaries exclude ASCII letters and digits, so a run of digits inside a hexadecimal hash is
# not taken for a number; Chinese text, punctuation and spaces around a number are boundaries.
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
_MOBILE_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(?:\+?86[- ]?)?(1[3-9][0-9])[- ]?[0-9]{4}[- ]?([0-9]{4})(?![0-9A-Za-z])")


def mask_phone(value: str) -> str:
    """138****5678 for a mobile; a wrong or short number keeps at most its first 3 and last 2 digits."""
    digits = re.sub(r"\D", "", value)
    if len(digits) == 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) <= 5:
        return "*" * len(value)
    return f"{digits[:3]}{'*' * (len(digits) - 5)}{digits[-2:]}"


def mask_personal(text: str) -> str:
    """text with every 18-character ID number and every mobile number masked."""
    if not text:
        return text
    text = _ID_IN_TEXT.sub(lambda m: mask_id(m.group(0).upper()), text)
    return _MOBILE_IN_TEXT.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)


def mask_personal_all(values: list[str]) -> list[str]:
    """mask_personal of each string."""
    return [mask_personal(value) if isinstance(value, str) else value for value in values]


class MaskingFormatter(logging.Formatter):
    """A log formatter whose every line (message and traceback) has personal numbers masked."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_personal(super().format(record))


def mask_data(value: object) -> object:
    """value with mask_personal applied to every string inside (dicts, lists, tuples)."""
    if isinstance(value, str):
        return mask_personal(value)
    if isinstance(value, dict):
        return {key: mask_data(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_data(item) for item in value]
    return value
