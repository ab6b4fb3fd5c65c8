"""Follow-up visits and the complainant's vote; "unsatisfied" reopens the case and puts it on the ledger.

Whether rectification is done is for the residents to say (``000_29902708e73b3421.txt``); the
ledger of unsatisfied cases and the satisfaction rate come from ``004_e87d0cefe5859f3c.txt``.
A complainant votes with the receipt token of their complaint, without an account.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import psycopg

from dispatch.events import record_event
from dispatch.lifecycle import lock_case, transition
from envpetition.errors import Conflict, InvalidInput

VERDICTS = ("satisfied", "basically_satisfied", "unsatisfied")
VOTABLE_STATES = ("replied", "followed_up", "closed")
# "Unsatisfied" reopens a closed case only this long after it was closed; later it is feedback.
REOPEN_WINDOW = timedelta(days=30)

INSERT_FOLLOW_UP = "insert into follow_ups (case_id, at, actor, method, notes) values (%s, %s, %s, %s, %s)"
INSERT_VOTE = """
insert into satisfaction_votes (case_id, complaint_id, at, verdict, comment, via, round, feedback_only)
values (%s, %s, %s, %s, %s, %s, %s, %s)
on conflict (complaint_id, round) where via = 'receipt' and complaint_id is not null do nothing
returning id
"""
CASE_ROUND = "select reopened_count from cases where id = %s"
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


def reopens(verdict: str, state: str, closed_at: datetime | None, now: datetime, window: timedelta) -> bool:
    """Whether a vote reopens the case: "unsatisfied", and the case not closed longer ago than ``window``."""
    if verdict != "unsatisfied":
        return False
    return state != "closed" or closed_at is None or now - closed_at <= window


def vote(conn: psycopg.Connection[Any], case_id: int, verdict: str, *, via: str, now: datetime, actor: str,
         comment: str | None = None, complaint_id: int | None = None,
         reopen_window: timedelta = REOPEN_WINDOW) -> dict[str, Any]:
    """Record a satisfaction vote (one per follow-up round per receipt); a timely "unsatisfied" reopens the case."""
    if verdict not in VERDICTS:
        raise InvalidInput(f"评价应为 {', '.join(VERDICTS)} / verdict must be one of {', '.join(VERDICTS)}")
    with conn.transaction():
        case = lock_case(conn, case_id)
        if case["state"] not in VOTABLE_STATES:
            raise Conflict(f"案件尚未答复或已归档,暂不能评价 / the case is {case['state']}; votes are taken "
                           f"after the reply ({', '.join(VOTABLE_STATES)})")
        round_row = conn.execute(CASE_ROUND, (case_id,)).fetchone()
        assert round_row is not None
        reopen = reopens(verdict, case["state"], case["closed_at"], now, reopen_window)
        feedback_only = verdict == "unsatisfied" and not reopen
        row = conn.execute(INSERT_VOTE, (case_id, complaint_id, now, verdict, comment, via, round_row[0],
                                         feedback_only)).fetchone()
        if row is None:
            raise Conflict("本轮回访已评价过 / this receipt has already voted in this follow-up round")
        record_event(conn, case_id, "vote", actor=actor, role=None, at=now, reason=comment,
                     data={"verdict": verdict, "via": via, "feedback_only": feedback_only})
        if reopen:
            conn.execute(ADD_UNSATISFIED, (case_id, now, comment or "群众不满意"))
            transition(conn, case_id, "reopen", actor="satisfaction-vote", role="system", now=now,
                       reason=f"群众评价不满意: {comment or ''}".strip())
        elif not feedback_only:  # a late "unsatisfied" is feedback: it neither reopens nor clears the ledger
            conn.execute(RESOLVE_UNSATISFIED, (now, case_id))
    return {"vote_id": int(row[0]), "case_id": case_id, "verdict": verdict, "reopened": reopen,
            "feedback_only": feedback_only}
