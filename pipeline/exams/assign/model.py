"""What seating and staffing take in and give back (pipeline.exams.assign.planner): plain frozen data, no solver.

Kept apart from the solver so that the catalog, the forms and the diagnosis can use the types
without importing OR-Tools.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

from pipeline.core.domain import natural_key

THEORY, PRACTICAL = "theory", "practical"
EXAMINER, CHIEF, INVIGILATOR, EXAM_AFFAIRS = "examiner", "chief_examiner", "invigilator", "exam_affairs"
DUTY_ZH = {EXAMINER: "考评员", CHIEF: "考评组长", INVIGILATOR: "监考", EXAM_AFFAIRS: "考务人员"}


# ---------------------------------------------------------------- input

@dataclass(frozen=True)
class CandidateIn:
    """A candidate as the solver sees them; key is the ID number."""

    key: str
    name: str
    occupation: str
    class_name: str = ""
    employer: str = ""


@dataclass(frozen=True)
class RoomIn:
    """A theory or practical room; practical rooms list the occupations they serve (empty: any)."""

    code: str
    name: str
    kind: str
    capacity: int
    occupations: tuple[str, ...] = ()
    workstations: tuple[str, ...] = ()

    def serves(self, occupation: str) -> bool:
        """True when this practical room may hold candidates of occupation."""
        return self.kind == PRACTICAL and (not self.occupations or occupation in self.occupations)

    @cached_property
    def place_list(self) -> tuple[str, ...]:
        """places(), computed once."""
        if self.workstations:
            return tuple(sorted(self.workstations, key=natural_key))[: self.capacity]
        return tuple(f"{n:02d}" for n in range(1, self.capacity + 1))

    def places(self) -> tuple[str, ...]:
        """Seat or workstation numbers in order, as many as the room can hold."""
        return self.place_list


@dataclass(frozen=True)
class StaffIn:
    """A staff member: roles (Role values) and the occupations an examiner is certified for."""

    key: str
    name: str
    roles: frozenset[str]
    occupations: tuple[str, ...] = ()

    def can(self, duty: str, occupation: str = "") -> bool:
        """True when this person may take duty (in a room of occupation, for examiners)."""
        if duty == EXAMINER:
            return bool({EXAMINER, CHIEF} & self.roles) and occupation in self.occupations
        if duty == CHIEF:
            return CHIEF in self.roles and occupation in self.occupations
        return duty in self.roles


@dataclass(frozen=True)
class RecusalIn:
    """Staff member staff_key must not be in a room with candidate candidate_key."""

    staff_key: str
    candidate_key: str
    relation: str = ""


@dataclass(frozen=True)
class Ratio:
    """Staffing per room for one occupation (config/occupations.toml)."""

    examiners: int = 3
    invigilators: int = 2


@dataclass(frozen=True)
class Timing:
    """When the round's exams start and how long they last."""

    theory_at: dt.datetime | None = None
    theory_minutes: int = 90
    practical_at: dt.datetime | None = None
    practical_minutes: int = 120


@dataclass(frozen=True)
class Problem:
    """Everything the plan is made from."""

    candidates: tuple[CandidateIn, ...]
    rooms: tuple[RoomIn, ...]
    staff: tuple[StaffIn, ...]
    recusals: tuple[RecusalIn, ...] = ()
    ratios: dict[str, Ratio] = field(default_factory=dict)
    timing: Timing = Timing()

    def ratio(self, occupation: str) -> Ratio:
        """The configured ratio for occupation, or the default."""
        return self.ratios.get(occupation, Ratio())


# ---------------------------------------------------------------- output

@dataclass(frozen=True)
class Sitting:
    """One room in one sitting (场次), with the occupation examined there (theory: "")."""

    kind: str
    room_code: str
    room_name: str
    index: int
    occupation: str
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None

    @property
    def label(self) -> str:
        """实操一室 第1场 — for forms and messages."""
        return f"{self.room_name} 第{self.index}场"


@dataclass(frozen=True)
class Seat:
    """A candidate's place: room, sitting, seat or workstation number."""

    candidate_key: str
    kind: str
    room_code: str
    sitting: int
    place: str


@dataclass(frozen=True)
class Duty:
    """A staff member's duty in one room × sitting."""

    staff_key: str
    kind: str
    room_code: str
    sitting: int
    duty: str


@dataclass(frozen=True)
class Plan:
    """The seating and staffing of a round, and the seed that reproduces it."""

    seed: int
    sittings: tuple[Sitting, ...]
    seats: tuple[Seat, ...]
    duties: tuple[Duty, ...]
    warnings: tuple[str, ...] = ()
