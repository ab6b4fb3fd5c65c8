-- Ingest: what intake learns about a complaint beyond the core columns, and a quarantine that
-- a re-import does not fill twice.

alter table complaints
    add column district_id bigint references areas (id),
    add column location_source text check (location_source in ('coordinates', 'address')),
    add column priority text not null default 'normal' check (priority in ('emergency', 'urgent', 'normal')),
    add column signals text[] not null default '{}',
    add column method text,
    add column warnings text[] not null default '{}';
create index complaints_community on complaints (community_id, received_at);

alter table quarantine
    add column kind text not null default 'bad_row' check (kind in ('bad_row', 'bad_file', 'needs_location', 'bad_area')),
    add column channel text,
    add column external_id text,
    add column fingerprint text,
    add column complaint_id bigint references complaints (id);
create unique index quarantine_open_fingerprint on quarantine (fingerprint) where resolved_at is null;
create index quarantine_open on quarantine (kind, created_at) where resolved_at is null;

-- Intake COPYs a complaint with its case already known, then dispatch's attach_complaint sets the
-- same case_id again: with free space on the page that update is HOT (no new index entries).
alter table complaints set (fillfactor = 80);
