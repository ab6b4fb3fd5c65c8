"""Who may do what to whose case: one declarative table (role × action × ownership), checked one way.

Each write action names, per role, the cases it reaches: ``ANY`` (any team's, and cases with no
team), ``OWN_TEAM`` (only cases assigned to the user's own team; a case with no team, e.g. one
sent to a department, is nobody's team's) or ``OWN_LEADER_CASE`` (only the leader's own 包案).
A role not listed may not do it. ``admin`` manages users, the calendar and routing and takes no
case decision: unlike ``auth.may`` (which lets the administrator *see* every page), nothing here
lets a role act because it is admin.

Every write endpoint and form declares its action (``require_action`` in dashboard/deps.py, the
``x-action`` field of the OpenAPI document); the role-matrix test walks the document and checks
every declared action against this table.
"""

from __future__ import annotations

from collections.abc import Iterable

from envpetition.auth import BUREAU_LEADERS, DIRECTOR, FIELD, LEADERS, MONITORING, OFFICE, ROLES

ANY = "any"
OWN_TEAM = "own_team"
OWN_LEADER_CASE = "own_leader_case"
SCOPES = (ANY, OWN_TEAM, OWN_LEADER_CASE)
PUBLIC = "public"  # no login (the receipt token, the login form itself)


def _all(roles: Iterable[str], scope: str = ANY) -> dict[str, str]:
    return {role: scope for role in roles}


_FIELD_OWN = {"team_member": OWN_TEAM, "section_chief": ANY}

# action -> {role: scope}
POLICY: dict[str, dict[str, str]] = {
    # ingest
    "complaint.create": _all(("intake",)),
    "quarantine.place": _all(("intake",)),
    "complaint.label": _all(OFFICE),
    # cases and their life (the transitions' roles mirror dispatch/states.py; team members own-team only)
    "case.create": _all(OFFICE),
    "case.accept": _all(OFFICE),
    "case.assign": _all(OFFICE),
    "case.transfer": _all(OFFICE),
    "case.depart": dict(_FIELD_OWN),
    "case.arrive": dict(_FIELD_OWN),
    "case.return": {**_all(OFFICE), **_FIELD_OWN},
    "case.investigate": dict(_FIELD_OWN),
    "case.reply": {**_all(OFFICE), **_FIELD_OWN},
    "case.follow_up": _all(OFFICE),
    "case.close": _all(LEADERS),
    "case.archive": _all(("intake", *LEADERS)),
    "case.reopen": _all(LEADERS),
    "case.department": _all(OFFICE),
    "case.escalate": {**_all(("intake", *LEADERS)), "team_member": OWN_TEAM},
    "case.final_no": _all(DIRECTOR),
    "case.extend": _all(BUREAU_LEADERS),
    "case.vote": _all(OFFICE),
    "clock.pause": _all(LEADERS),
    "clock.resume": _all(LEADERS),
    "order.ack": dict(_FIELD_OWN),
    "field.action": dict(_FIELD_OWN),  # the team app's queued actions and their photos (dispatch/field.py)
    "escalation.scan": _all(LEADERS),
    # supervision: orders are answered by the team that holds the case (or a leader), not by intake
    "supervision.issue": _all(LEADERS),
    "supervision.answer": {**_all(LEADERS), "team_member": OWN_TEAM},
    "leader_case.take": _all(BUREAU_LEADERS),
    "leader_case.duty": _all(BUREAU_LEADERS, OWN_LEADER_CASE),
    "listed.create": _all(BUREAU_LEADERS),
    "listed.item_done": {**_all(LEADERS), "team_member": OWN_TEAM},
    "listed.close": _all(BUREAU_LEADERS),
    # administration
    "routing.add": _all(("admin",)),
    "calendar.set": _all(("admin",)),
    "user.unlock": _all(("admin",)),
    "sensor.save": _all(("monitoring",)),
    "incident.investigation": _all((*MONITORING, *FIELD)),  # incidents belong to no team
    # anyone (no login or any login)
    "session.login": _all(ROLES),
    "session.logout": _all(ROLES),
    "receipt.vote": _all(ROLES),
}
assert all(scope in SCOPES for rules in POLICY.values() for scope in rules.values())
assert all(role in ROLES for rules in POLICY.values() for role in rules)


def roles_for(action: str) -> tuple[str, ...]:
    """The roles that may do ``action`` at all (on some case)."""
    return tuple(POLICY[action])


def permits(role: str, action: str) -> bool:
    """Whether ``role`` may do ``action`` on at least some cases (the role half of the check)."""
    return role in POLICY[action]


def permits_on(role: str, action: str, *, user_team_id: int | None = None, username: str | None = None,
               case_team_id: int | None = None, leader: str | None = None) -> bool:
    """Whether a user (role, team, name) may do ``action`` on this case (its team, or the leader of its 包案)."""
    scope = POLICY[action].get(role)
    if scope is None:
        return False
    if scope == OWN_TEAM:
        return user_team_id is not None and case_team_id == user_team_id
    if scope == OWN_LEADER_CASE:
        return leader is not None and leader == username
    return True
