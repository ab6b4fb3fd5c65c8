-- Analytics (issue 12): every issued bulletin, kept with its parameters and its three documents.
-- Owned by analytics/ (migrations 0400-0499).
create table bulletins (
    id bigserial primary key,
    kind text not null check (kind in ('week', 'month', 'quarter')),
    period_key text not null,
    period_start timestamptz not null,
    period_end timestamptz not null,
    issued_at timestamptz not null,
    trigger text not null check (trigger in ('schedule', 'cli', 'page')),
    parameters jsonb not null default '{}',
    figures jsonb not null,
    docx bytea not null,
    xlsx bytea not null,
    html text not null
);
-- The schedule issues each period once, even with several processes running it.
create unique index bulletins_scheduled_once on bulletins (kind, period_key) where trigger = 'schedule';
create index bulletins_issued on bulletins (issued_at desc);
