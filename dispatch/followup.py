"""Follow-up visits and the complainant's vote; "unsatisfied" reopens the case and puts it on the ledger.

Whether rectification is done is for the residents to say (``000_29902708e73b3421.txt``); the
ledger of unsatisfied cases and the satisfaction rate come from ``004_e87d0cefe5859f3c.txt``.
A complainant votes with the receipt token of their complaint, without an account.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg

from dispatch.events import record_event
from dispatch.lifecycle import lock_case, transition
from envpetition.errors import Conflict, InvalidInput

VERDICTS = ("satisfied", "basically_satisfied", "unsatisfied")
VOTABLE_STATES = ("replied", "followed_up", "closed")

INSERT_FOLLOW_UP = "insert into follow_ups (case_id, at, actor, method, notes) values (%s, %s, %s, %s, %s)"
INSERT_VOTE = """
insert into satisfaction_votes (case_id, complaint_id, at, verdict, comment, via) values (%s, %s, %s, %s, %s, %s)
returning id
"""
ADD_UNSATISFIED = """
insert into ledger_entries (case_id, ledger, added_at, reason) values (%s, 'unsatisfied', %s, %s)
on conflict (case_id, ledger) where resolved_at is null do nothing
"""
RESOLVE_UNSATISFIED = """
update ledger_entries set resolved_at = %s where case_id = %s and ledger = 'unsatisfied' and resolved_at is null
"""
METHODS = ("phone", "visit", "sms", "online")


def record_follow_up(conn: psycopg.Connection[Any], case_id: int, *, actor: str, role: str, method: str,
                     notes: str | None, now: datetime) -> dict[str, Any]:
    """Record the follow-up visit (回访) and move the case to followed_up."""
    if method not in METHODS:
        raise InvalidInput(f"回访方式应为 {', '.join(METHODS)} / method must be one of {', '.join(METHODS)}")
    with conn.transaction():
        result = transition(conn, case_id, "follow_up", actor=actor, role=role, now=now, data={"method": method})
        conn.execute(INSERT_FOLLOW_UP, (case_id, now, actor, method, notes))
    return result


def vote(conn: psycopg.Connection[Any], case_id: int, verdict: str, *, via: str, now: datetime, actor: str,
         comment: str | None = None, complaint_id: int | None = None) -> dict[str, Any]:
    """Record a satisfaction vote; "unsatisfied" reopens the case and enters the unsatisfied ledger."""
    if verdict not in VERDICTS:
        raise InvalidInput(f"评价应为 {', '.join(VERDICTS)} / verdict must be one of {', '.join(VERDICTS)}")
    with conn.transaction():
        case = lock_case(conn, case_id)
        if case["state"] not in VOTABLE_STATES:
            raise Conflict(f"案件尚未答复或已归档,暂不能评价 / the case is {case['state']}; votes are taken "
                           f"after the reply ({', '.join(VOTABLE_STATES)})")
        row = conn.execute(INSERT_VOTE, (case_id, complaint_id, now, verdict, comment, via)).fetchone()
        assert row is not None
        record_event(conn, case_id, "vote", actor=actor, role=None, at=now, reason=comment,
                     data={"verdict": verdict, "via": via})
        reopened = False
        if verdict == "unsatisfied":
            conn.execute(ADD_UNSATISFIED, (case_id, now, comment or "群众不满意"))
            transition(conn, case_id, "reopen", actor="satisfaction-vote", role="system", now=now,
                       reason=f"群众评价不满意: {comment or ''}".strip())
            reopened = True
        else:
            conn.execute(RESOLVE_UNSATISFIED, (now, case_id))
    return {"vote_id": int(row[0]), "case_id": case_id, "verdict": verdict, "reopened": reopened}
