-- Dispatch: clock policy, pauses, escalation, assignment, dispatch orders, outbox, supervision,
-- follow-up and satisfaction. Owned by dispatch/ (migrations 0100-0199).

-- Versioned clock policy. A clock snapshots the version it was computed with, so a new version
-- never rewrites running or closed clocks.
create table clock_policy_versions (
    version integer primary key,
    created_at timestamptz not null default now(),
    note text,
    business_start time not null default '08:30',
    business_end time not null default '17:30',
    extension_days integer not null default 30,
    final_no_working_days integer not null default 5,
    quick_escalation_fraction double precision not null default 0.1,
    active boolean not null default true
);

create table clock_policies (
    version integer not null references clock_policy_versions (version),
    kind text not null check (kind in ('accept', 'dispatch', 'arrive', 'reply', 'follow_up', 'close')),
    priority text not null check (priority in ('emergency', 'urgent', 'normal')),
    unit text not null check (unit in ('hours', 'working_days', 'calendar_days')),
    amount double precision not null check (amount > 0),
    starts_on text not null check (starts_on in ('received', 'investigated')),
    pausable boolean not null default false,
    source text not null,
    primary key (version, kind, priority)
);

insert into clock_policy_versions (version, note) values (1, 'defaults from seeds 003/000/001 and 信访条例');
insert into clock_policies (version, kind, priority, unit, amount, starts_on, pausable, source)
select 1, k.kind, p.priority, k.unit, k.amount, k.starts_on, k.pausable, k.source
from (values ('emergency'), ('urgent'), ('normal')) p(priority)
join (values
    ('accept', 'emergency', 'hours', 0.5, 'received', false, 'configurable (deadlines.md ✗)'),
    ('accept', 'urgent', 'hours', 1, 'received', false, 'configurable (deadlines.md ✗)'),
    ('accept', 'normal', 'calendar_days', 15, 'received', false, '信访条例 Art. 21-22: 15 days'),
    ('dispatch', 'emergency', 'hours', 1, 'received', false, 'configurable (deadlines.md ✗)'),
    ('dispatch', 'urgent', 'hours', 3, 'received', false, 'configurable (deadlines.md ✗)'),
    ('dispatch', 'normal', 'working_days', 1, 'received', false, 'configurable; not later than arrival (003)'),
    ('arrive', 'emergency', 'hours', 2, 'received', false, '003_a036d80cd5051f63.txt: 2-6 h'),
    ('arrive', 'urgent', 'hours', 6, 'received', false, '003_a036d80cd5051f63.txt: 2-6 h'),
    ('arrive', 'normal', 'working_days', 1, 'received', false, '003_a036d80cd5051f63.txt: 1 working day'),
    ('reply', 'emergency', 'working_days', 1, 'investigated', false, '003: reply 及时; 1 working day configurable'),
    ('reply', 'urgent', 'working_days', 1, 'investigated', false, '003: reply 及时; 1 working day configurable'),
    ('reply', 'normal', 'working_days', 1, 'investigated', false, '003: reply 及时; 1 working day configurable'),
    ('follow_up', 'emergency', 'working_days', 3, 'investigated', false, '003_a036d80cd5051f63.txt: 3 working days'),
    ('follow_up', 'urgent', 'working_days', 3, 'investigated', false, '003_a036d80cd5051f63.txt: 3 working days'),
    ('follow_up', 'normal', 'working_days', 3, 'investigated', false, '003_a036d80cd5051f63.txt: 3 working days'),
    ('close', 'emergency', 'calendar_days', 60, 'received', true, '信访条例 Art. 33: 60 days (+30)'),
    ('close', 'urgent', 'calendar_days', 60, 'received', true, '信访条例 Art. 33: 60 days (+30)'),
    ('close', 'normal', 'calendar_days', 60, 'received', true, '信访条例 Art. 33: 60 days (+30)')
) k(kind, kpriority, unit, amount, starts_on, pausable, source) on k.kpriority = p.priority;

alter table cases
    add column outcome text,
    add column reopened_count integer not null default 0,
    add column extended boolean not null default false;
create index cases_team_open on cases (team_id) where closed_at is null;

alter table clocks
    add column base_due_at timestamptz,
    add column outcome text,
    add column next_threshold smallint default 50,
    add column next_alert_at timestamptz,
    add column paused boolean not null default false,
    add column urgent boolean not null default false;
alter table clocks add constraint clocks_kind_check
    check (kind in ('accept', 'dispatch', 'arrive', 'reply', 'follow_up', 'close', 'supervision'));
create index clocks_next_alert on clocks (next_alert_at) where met_at is null and next_alert_at is not null;

-- Pauses are rows (from, to, reason, approver), never a running counter.
create table clock_pauses (
    id bigserial primary key,
    clock_id bigint not null references clocks (id),
    paused_from timestamptz not null,
    paused_to timestamptz,
    reason text not null check (length(btrim(reason)) > 0),
    approver text not null
);
create unique index clock_pauses_one_open on clock_pauses (clock_id) where paused_to is null;

-- One row per (clock, threshold): the unique key makes concurrent scanners fire each step once.
create table escalations (
    id bigserial primary key,
    clock_id bigint not null references clocks (id),
    case_id bigint not null references cases (id),
    threshold smallint not null check (threshold in (50, 80, 100, 150)),
    fired_at timestamptz not null,
    level_after smallint,
    scanner text,
    unique (clock_id, threshold)
);
create index escalations_case on escalations (case_id);

create table accountability_flags (
    id bigserial primary key,
    case_id bigint not null references cases (id),
    clock_id bigint references clocks (id),
    kind text not null check (kind in ('breached_without_escalation', 'escalated_without_effort')),
    level smallint,
    team_id bigint references teams (id),
    actor text,
    at timestamptz not null,
    detail jsonb not null default '{}',
    unique (case_id, clock_id, kind)
);

-- Refusals on the ladder: below the director they escalate; the director's is final.
create table refusals (
    id bigserial primary key,
    case_id bigint not null references cases (id),
    at timestamptz not null,
    actor text not null,
    role text not null,
    from_level smallint not null,
    to_level smallint,
    final boolean not null default false,
    reason text not null check (length(btrim(reason)) > 0),
    suggestion text,
    due_at timestamptz
);

create table case_departments (
    case_id bigint not null references cases (id),
    department text not null,
    is_lead boolean not null default false,
    added_at timestamptz not null,
    primary key (case_id, department)
);
create unique index case_departments_one_lead on case_departments (case_id) where is_lead;

-- Routing: category x area -> team or department (area null = anywhere; category null = any).
create table routing_rules (
    id bigserial primary key,
    category text,
    area_id bigint references areas (id),
    team_id bigint references teams (id),
    department text,
    rank integer not null default 100,
    check (team_id is not null or department is not null)
);

-- Dispatch orders: delivery state kept apart from the case state.
create table dispatch_orders (
    id bigserial primary key,
    case_id bigint not null references cases (id),
    team_id bigint not null references teams (id),
    topic text not null,
    payload jsonb not null,
    state text not null default 'queued' check (state in ('queued', 'sent', 'acknowledged', 'failed', 'cancelled')),
    attempts integer not null default 0,
    created_at timestamptz not null,
    next_attempt_at timestamptz not null,
    sent_at timestamptz,
    acked_at timestamptz,
    acked_by text,
    last_error text
);
create index dispatch_orders_due on dispatch_orders (next_attempt_at) where state in ('queued', 'sent');
create index dispatch_orders_case on dispatch_orders (case_id);

-- SMS / e-mail to unit heads; a real gateway plugs into dispatch.outbox.Gateway.
create table outbox (
    id bigserial primary key,
    channel text not null check (channel in ('sms', 'email', 'internal')),
    recipient_role text not null,
    recipient_team_id bigint references teams (id),
    case_id bigint references cases (id),
    subject text not null,
    body text not null,
    created_at timestamptz not null,
    send_after timestamptz not null,
    sent_at timestamptz,
    attempts integer not null default 0,
    last_error text,
    dedupe_key text unique
);
create index outbox_pending on outbox (send_after) where sent_at is null;

create table supervision_orders (
    id bigserial primary key,
    case_id bigint not null references cases (id),
    issued_by text not null,
    issued_role text not null,
    issued_at timestamptz not null,
    instruction text not null,
    deadline_at timestamptz not null,
    clock_id bigint references clocks (id),
    fulfilled_at timestamptz,
    fulfilled_note text,
    source text not null default 'leader'
);

create table leader_cases (
    id bigserial primary key,
    case_id bigint not null references cases (id),
    leader text not null,
    month date not null,
    taken_at timestamptz not null,
    duties jsonb not null default '{}',
    unique (case_id, leader)
);

create table listed_cases (
    id bigserial primary key,
    case_id bigint references cases (id),
    title text not null,
    listed_by text not null,
    listed_at timestamptz not null,
    target_date date,
    closed_at timestamptz,
    closed_by text
);

create table listed_case_items (
    id bigserial primary key,
    listed_case_id bigint not null references listed_cases (id),
    kind text not null check (kind in ('milestone', 'checklist')),
    title text not null,
    due_date date,
    done_at timestamptz,
    done_by text,
    evidence text
);

create table ledger_entries (
    id bigserial primary key,
    case_id bigint not null references cases (id),
    ledger text not null check (ledger in ('unresolved', 'unsatisfied')),
    added_at timestamptz not null,
    reason text not null,
    resolved_at timestamptz
);
create unique index ledger_entries_open on ledger_entries (case_id, ledger) where resolved_at is null;

create table meeting_items (
    week date not null,
    case_id bigint not null references cases (id),
    reason text not null,
    added_at timestamptz not null,
    primary key (week, case_id, reason)
);

create table follow_ups (
    id bigserial primary key,
    case_id bigint not null references cases (id),
    at timestamptz not null,
    actor text not null,
    method text not null,
    notes text
);

create table satisfaction_votes (
    id bigserial primary key,
    case_id bigint not null references cases (id),
    complaint_id bigint references complaints (id),
    at timestamptz not null,
    verdict text not null check (verdict in ('satisfied', 'basically_satisfied', 'unsatisfied')),
    comment text,
    via text not null check (via in ('receipt', 'staff'))
);
create index satisfaction_votes_case on satisfaction_votes (case_id);
