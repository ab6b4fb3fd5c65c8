-- Core schema shared by every package. Later migrations are numbered by owner:
-- 0001-0099 envpetition (shell), 0100-0199 dispatch, 0200-0299 ingest, 0300-0399 monitoring.

create table users (
    id bigserial primary key,
    username text not null unique,
    display_name text not null,
    password_hash text not null,
    role text not null check (role in ('intake', 'team_member', 'section_chief', 'deputy_director',
                                        'director', 'monitoring', 'admin')),
    team_id bigint,
    active boolean not null default true,
    created_at timestamptz not null default now()
);

create table user_sessions (
    token_hash text primary key,
    user_id bigint not null references users (id) on delete cascade,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null
);

-- The city's geography. Geometry in EPSG:4326 as WKB; the bbox columns let SQL prefilter.
create table areas (
    id bigserial primary key,
    kind text not null check (kind in ('community', 'enterprise', 'grid', 'district')),
    name text not null,
    code text,
    aliases text[] not null default '{}',
    attributes jsonb not null default '{}',
    geom bytea not null,
    min_lon double precision not null,
    min_lat double precision not null,
    max_lon double precision not null,
    max_lat double precision not null,
    valid_from timestamptz not null default now(),
    valid_to timestamptz
);
create unique index areas_current_name on areas (kind, name) where valid_to is null;

create table teams (
    id bigserial primary key,
    name text not null unique,
    department text not null default '生态环境局',
    grid_id bigint references areas (id),
    leader text,
    mqtt_topic text,
    active boolean not null default true
);
alter table users add foreign key (team_id) references teams (id);

-- Working calendar: seeded from chinesecalendar, editable by an admin.
create table work_calendar (
    day date primary key,
    is_workday boolean not null,
    note text,
    source text not null default 'chinesecalendar',
    updated_at timestamptz not null default now()
);

create table cases (
    id bigserial primary key,
    state text not null default 'registered',
    priority text not null default 'normal' check (priority in ('emergency', 'urgent', 'normal')),
    level smallint not null default 1,
    title text not null,
    categories text[] not null default '{}',
    team_id bigint references teams (id),
    lead_department text,
    community_id bigint references areas (id),
    enterprise_id bigint references areas (id),
    grid_id bigint references areas (id),
    lon double precision,
    lat double precision,
    proactive boolean not null default false,
    opened_at timestamptz not null,
    closed_at timestamptz,
    updated_at timestamptz not null default now()
);
create index cases_open on cases (state) where closed_at is null;

-- Append-only history of a case.
create table case_events (
    id bigserial primary key,
    case_id bigint not null references cases (id),
    at timestamptz not null,
    actor text not null,
    role text,
    kind text not null,
    from_state text,
    to_state text,
    reason text,
    data jsonb not null default '{}'
);
create index case_events_case on case_events (case_id, at);

create table clocks (
    id bigserial primary key,
    case_id bigint not null references cases (id),
    kind text not null,
    started_at timestamptz not null,
    due_at timestamptz not null,
    met_at timestamptz,
    policy_version integer not null
);
create index clocks_open on clocks (due_at) where met_at is null;
create index clocks_case on clocks (case_id);

create table complaints (
    id bigserial primary key,
    channel text not null,
    external_id text not null,
    received_at timestamptz not null,
    text text not null,
    address text,
    reported_party text,
    raw_lon double precision,
    raw_lat double precision,
    source_crs text,
    lon double precision,
    lat double precision,
    community_id bigint references areas (id),
    enterprise_id bigint references areas (id),
    grid_id bigint references areas (id),
    nearby_enterprises jsonb not null default '[]',
    categories text[] not null default '{}',
    urgent boolean not null default false,
    near_boundary boolean not null default false,
    duplicate_of bigint references complaints (id),
    repeat_of bigint references complaints (id),
    case_id bigint references cases (id),
    receipt_token text unique,
    created_at timestamptz not null default now(),
    unique (channel, external_id)
);
create index complaints_received on complaints (received_at);
create index complaints_case on complaints (case_id);

-- The complainant's identity, kept apart: only intake and the receipt read it.
create table complainant_contacts (
    complaint_id bigint primary key references complaints (id),
    name text,
    phone text,
    phone_hash text
);
create index complainant_contacts_phone_hash on complainant_contacts (phone_hash);

-- Input that could not be taken as it came: kept with the raw row and the reason.
create table quarantine (
    id bigserial primary key,
    source text not null,
    row_no integer,
    raw jsonb not null,
    reason text not null,
    created_at timestamptz not null default now(),
    resolved_at timestamptz,
    resolved_by text
);

create table sensors (
    id text primary key,
    kind text not null check (kind in ('fixed', 'mobile', 'met')),
    name text not null,
    mn text unique,
    lon double precision,
    lat double precision,
    enterprise_id bigint references areas (id),
    area_class text,
    pollutants text[] not null default '{}',
    units text[] not null default '{}',
    attributes jsonb not null default '{}'
);

create table readings (
    ts timestamptz not null,
    sensor_id text not null,
    pollutant text not null,
    value double precision,
    flag text,
    lon double precision,
    lat double precision,
    primary key (sensor_id, pollutant, ts)
);

-- TimescaleDB when the server has it loaded; otherwise a BRIN index keeps time scans cheap.
do $$
begin
    if exists (select 1 from pg_available_extensions where name = 'timescaledb')
       and current_setting('shared_preload_libraries', true) like '%timescaledb%' then
        create extension if not exists timescaledb;
        perform create_hypertable('readings', 'ts', chunk_time_interval => interval '1 day');
    else
        create index readings_ts_brin on readings using brin (ts);
    end if;
end
$$;

create table dead_letters (
    id bigserial primary key,
    received_at timestamptz not null default now(),
    topic text not null,
    payload bytea not null,
    reason text not null
);
