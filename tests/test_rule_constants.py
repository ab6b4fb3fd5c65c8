"""Each rule constant of DESIGN.md has one home: no module spells out a copy of the ladder, the state
labels or a role group."""

import ast
from pathlib import Path

from dispatch.deadlines import THRESHOLDS
from dispatch.escalation import LEVEL_AT, NOTICE_TO
from dispatch.states import STATE_LABELS, STATES
from envpetition import auth

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("envpetition", "ingest", "dispatch", "monitoring", "dashboard")
ROLE_GROUPS = {frozenset(g) for g in (auth.ROLES, auth.STAFF, auth.OFFICE, auth.LEADERS, auth.BUREAU_LEADERS,
                                      auth.FIELD)}
HOMES = {"ladder thresholds": "dispatch/deadlines.py", "state labels": "dispatch/states.py",
         "role group": "envpetition/auth.py"}


def copies_in(path: Path) -> set[str]:
    """The constants a module spells out as literals (a tuple/list/set of strings or numbers, a dict)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            try:
                values = [ast.literal_eval(e) for e in node.elts]
            except ValueError:
                continue
            if tuple(sorted(v for v in values if isinstance(v, int))) == THRESHOLDS and len(values) == len(THRESHOLDS):
                found.add("ladder thresholds")
            if len(values) > 1 and all(isinstance(v, str) for v in values) and frozenset(values) in ROLE_GROUPS:
                found.add("role group")
        elif isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            if keys == set(STATES):
                found.add("state labels")
    return found


def test_rule_constants_are_spelled_out_only_in_their_home():
    misplaced = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            misplaced += [f"{rel}: {name} (home {HOMES[name]})" for name in copies_in(path) if HOMES[name] != rel]
    assert misplaced == []


def test_every_ladder_step_has_its_level_and_its_notice():
    assert set(LEVEL_AT) == set(NOTICE_TO) == set(THRESHOLDS)
    assert list(LEVEL_AT.values()) == sorted(LEVEL_AT.values())


def test_every_state_has_one_label():
    assert set(STATE_LABELS) == set(STATES)


def test_the_scanner_sees_a_copy(tmp_path):
    module = tmp_path / "m.py"
    module.write_text('A = (50, 80, 100, 150)\nB = ("deputy_director", "director")\n'
                      'C = {s: s for s in ()}\nD = {' + ", ".join(f'"{s}": "x"' for s in STATES) + "}\n",
                      encoding="utf-8")
    assert copies_in(module) == {"ladder thresholds", "role group", "state labels"}
