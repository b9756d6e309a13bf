"""One error hierarchy: English code and detail for the log, Chinese message for staff.

Only the CLI handler, the web error view and the quarantine writer turn these into output.
"""

from __future__ import annotations

import enum

from pipeline.core.privacy import mask_personal, mask_personal_all


class ExitCode(enum.IntEnum):
    """Process exit codes of the `station` command (documented in README)."""

    OK = 0
    FAILURE = 1        # an unexpected internal error
    BAD_INPUT = 2      # a file, row or argument that is wrong
    CONFIG = 3         # config/ is wrong
    CONFLICT = 4       # the request conflicts with what is stored (duplicate, state)
    NOT_FOUND = 5      # no such round, item, user...
    REFUSED = 6        # wrong password, role not allowed, separation of duties
    INTEGRITY = 7      # verify found a problem in the archive or audit log
    ATTENTION = 8      # ingest --once: a file was quarantined or a job is stuck (for cron alerts)


class StationError(Exception):
    """Base of every error the system reports on purpose."""

    exit_code: ExitCode = ExitCode.FAILURE
    code: str = "station_error"

    def __init__(self, message_zh: str, detail: str = "", *, code: str | None = None,
                 problems: list[str] | None = None) -> None:
        message_zh, detail = mask_personal(message_zh), mask_personal(detail)   # personal data never in errors
        super().__init__(detail or message_zh)
        self.message_zh = message_zh
        self.detail = detail or message_zh
        if code:
            self.code = code
        self.problems = mask_personal_all(list(problems or []))

    def __init_subclass__(cls, *, exit_code: ExitCode | None = None, code: str | None = None, **kwargs) -> None:
        """A subclass may set its exit code and default code in its class line (`exit_code=`, `code=`)."""
        super().__init_subclass__(**kwargs)
        if exit_code is not None:
            cls.exit_code = exit_code
        if code is not None:
            cls.code = code

    def as_dict(self) -> dict:
        """The JSON form used by --json output and reason files."""
        return {"code": self.code, "exit_code": int(self.exit_code),
                "message": self.message_zh, "detail": self.detail, "problems": self.problems}


# The kinds the CLI and the web tell apart: each its own class (`except NotFound:`), its exit code and default code.
class BadInput(StationError, exit_code=ExitCode.BAD_INPUT, code="bad_input"):
    """A file, row or argument that is wrong."""


class ConfigError(StationError, exit_code=ExitCode.CONFIG, code="config_error"):
    """config/ is wrong."""


class Conflict(StationError, exit_code=ExitCode.CONFLICT, code="conflict"):
    """The request conflicts with what is stored (a duplicate, a state)."""


class NotFound(StationError, exit_code=ExitCode.NOT_FOUND, code="not_found"):
    """No such round, item, user..."""


class Refused(StationError, exit_code=ExitCode.REFUSED, code="refused"):
    """A wrong password, a role not allowed, separation of duties."""


class NeedsAttention(StationError, exit_code=ExitCode.ATTENTION, code="needs_attention"):
    """The run finished, but something waits for a person (quarantined files, stuck jobs)."""


class IntegrityProblem(StationError, exit_code=ExitCode.INTEGRITY, code="integrity"):
    """Verify found a problem in the archive or the audit log."""


class NotInitialised(ConfigError):
    """The data root has no catalog database yet (or one missing migrations): run `station init`."""

    code = "not_initialised"
