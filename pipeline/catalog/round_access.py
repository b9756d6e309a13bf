"""Who may work a round (鉴定批次): create it, import its sheets, correct its candidates, plan it, print its forms.

The services of the round (services.round_add, importing.*_import, corrections*, assignment.assignment_make,
forms.service.forms_round, forms.reprint.forms_reprint_outstanding) take their actor by name and call
`round_actor_require` first, so the rule holds for the web and the CLI alike:

- A person acts under their own station account: the web passes the signed-in account, the CLI the
  account its `--user` verified by password. That account must hold 考务人员 or 站长 (and be accounted
  for by the audit log, `people.role_require`); anyone else is refused with a Chinese message naming
  the roles, and nothing is written.
- A CLI command without `--user` is the system operator at the station PC's shell (SYSTEM_ACTOR,
  recorded as "system" in the audit log), the same rule as `station review discard` without `--user`
  (recorded there as "staff"): whoever holds that shell holds the data root and the database already,
  so a role check there protects nothing; the station's scripts (`make demo`) work this way. Give
  `--user` to act, and be checked, as a person.
- Any other name is refused: nothing at the edge produces a name that is not an account, so it is a
  caller's mistake, never let through as if it were the shell. An account that happens to be named
  "system" is a person like any other and is checked.
"""

from __future__ import annotations

from django.contrib.auth.models import User

from pipeline.catalog.models import Role
from pipeline.catalog.people import role_require
from pipeline.catalog.roles import SYSTEM_ACTOR
from pipeline.core.errors import Refused

ROUND_ROLES = (Role.EXAM_AFFAIRS, Role.STATION_HEAD)


def round_actor_require(*, actor: str, action_zh: str) -> None:
    """Refused unless actor is the shell's system operator or an active account holding 考务人员 or 站长."""
    user = User.objects.filter(username=actor).first()
    if user is None:
        if actor == SYSTEM_ACTOR:
            return
        raise Refused(f"“{actor}”不是本站的用户，无权{action_zh}。请以本人账号登录或在命令中加 --user 本人用户名。",
                      f"actor {actor!r} is neither an account nor the system operator", code="actor_unknown")
    if not user.is_active:
        raise Refused(f"用户“{actor}”已停用，无权{action_zh}。", f"{actor} is disabled", code="user_disabled")
    role_require(user, ROUND_ROLES, action_zh)
