-- Incidents (issue 10): air complaints grouped in space and time, their traces' investigation outcome.
-- Owned by monitoring/. A member row keeps the little the clustering and the trace need (point,
-- time, categories, odour words found in the text), so the trace never reads ingest's tables.

create table incidents (
    id bigserial primary key,
    category_group text not null,
    started_at timestamptz not null,
    ended_at timestamptz not null,
    size integer not null default 0,
    lon double precision,
    lat double precision,
    merged_into bigint references incidents (id),
    created_at timestamptz not null,
    updated_at timestamptz not null
);
create index incidents_time on incidents (category_group, ended_at) where merged_into is null;

create table incident_complaints (
    complaint_id bigint primary key references complaints (id),
    incident_id bigint not null references incidents (id),
    case_id bigint references cases (id),
    received_at timestamptz not null,
    lon double precision not null,
    lat double precision not null,
    x double precision not null,  -- metric CRS, for the space-time search
    y double precision not null,
    categories text[] not null default '{}',
    descriptors text[] not null default '{}',
    added_at timestamptz not null
);
create index incident_complaints_incident on incident_complaints (incident_id);
create index incident_complaints_case on incident_complaints (case_id);
create index incident_complaints_time on incident_complaints (received_at);

-- What the team's investigation found: an enterprise, another source, or nothing. The trace's
-- ranking at that moment is kept so the KPI says how the trace did, not how it would do now.
create table incident_investigations (
    incident_id bigint primary key references incidents (id),
    outcome text not null check (outcome in ('enterprise', 'other', 'none')),
    enterprise_id bigint references areas (id),
    note text,
    recorded_by text not null,
    recorded_at timestamptz not null,
    trace_ranking bigint[] not null default '{}',
    check ((outcome = 'enterprise') = (enterprise_id is not null))
);
