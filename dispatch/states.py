"""Pure rules of the case lifecycle: which action moves which state, who may do it, which clock it meets.

Steps from ``003_a036d80cd5051f63.txt`` (受理、登记、分类、转办、交办、督办; 现场查处、办理时限、案件回复、
材料归档, 上门回访): registered → accepted → assigned → en_route → on_site → investigated → replied →
followed_up → closed → archived, plus transferred (another department), returned (the team hands it
back) and reopened (the complainant was not satisfied, ``000_29902708e73b3421.txt``: whether it is
done is for the residents to say). A case is closed only after the reply and the follow-up visit.
"""

from __future__ import annotations

from dataclasses import dataclass

from envpetition.auth import FIELD, LEADERS, OFFICE, may

STATES = ("registered", "accepted", "assigned", "en_route", "on_site", "investigated", "replied",
          "followed_up", "closed", "archived", "transferred", "returned", "reopened")
CLOSED_STATES = ("closed", "archived")
# What a case in each state is doing, for people (the pages and the error messages use these).
STATE_LABELS = {
    "registered": "已登记", "accepted": "已受理", "assigned": "已交办", "en_route": "赶赴中",
    "on_site": "已到场", "investigated": "已查处", "replied": "已答复", "followed_up": "已回访",
    "closed": "已办结", "archived": "已归档", "transferred": "已转办", "returned": "已退回", "reopened": "重新办理",
}



@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[str, ...]
    target: str
    roles: tuple[str, ...]
    meets: tuple[str, ...] = ()
    needs_reason: bool = False
    label: str = ""


TRANSITIONS: dict[str, Transition] = {t.action: t for t in (
    Transition("accept", ("registered",), "accepted", OFFICE, ("accept",), label="受理"),
    Transition("assign", ("accepted", "returned", "reopened"), "assigned", OFFICE, ("accept", "dispatch"), label="交办"),
    Transition("transfer", ("registered", "accepted", "returned"), "transferred", OFFICE,
               ("accept", "dispatch"), needs_reason=True, label="转办"),
    Transition("depart", ("assigned",), "en_route", FIELD, label="出发"),
    Transition("arrive", ("assigned", "en_route"), "on_site", FIELD, ("arrive",), label="到场"),
    Transition("return", ("assigned", "en_route", "on_site", "transferred"), "returned", (*FIELD, *OFFICE),
               needs_reason=True, label="退回"),
    Transition("investigate", ("on_site",), "investigated", FIELD, label="现场查处"),
    Transition("reply", ("investigated", "transferred"), "replied", (*FIELD, *OFFICE), ("reply",), label="答复"),
    Transition("follow_up", ("replied",), "followed_up", OFFICE, ("follow_up",), label="回访"),
    Transition("close", ("followed_up",), "closed", LEADERS, ("close",), label="办结"),
    Transition("archive", ("closed",), "archived", ("intake", *LEADERS), label="归档"),
    Transition("reopen", ("replied", "followed_up", "closed"), "reopened", LEADERS, needs_reason=True, label="重新办理"),
)}


class TransitionRefused(Exception):
    """The action is not allowed from this state or by this role; the message says why."""

    def __init__(self, message: str, *, forbidden: bool = False):
        super().__init__(message)
        self.forbidden = forbidden


def check_transition(state: str, action: str, role: str, reason: str | None = None) -> Transition:
    """Return the transition or raise ``TransitionRefused`` with a message a person can act on."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise TransitionRefused(f"未知操作 {action!r} / unknown action; actions: {', '.join(TRANSITIONS)}")
    if role != "system" and not may(role, transition.roles):
        raise TransitionRefused(
            f"角色 {role} 不能执行「{transition.label}」/ role {role} may not {action}; "
            f"allowed: {', '.join(transition.roles)}", forbidden=True)
    if state not in transition.sources:
        raise TransitionRefused(
            f"案件状态为「{STATE_LABELS.get(state, state)}」,不能「{transition.label}」/ cannot {action} a case "
            f"in state {state}; allowed from: {', '.join(transition.sources)}")
    if transition.needs_reason and not (reason and reason.strip()):
        raise TransitionRefused(f"「{transition.label}」必须写明原因 / {action} needs a reason")
    return transition
