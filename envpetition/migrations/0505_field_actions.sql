-- The team app's field actions and their attachments. Owned by dispatch/.
--
-- Each action the team app sends carries an id the device made up (a UUID) before it was queued.
-- The primary key makes a replayed action (the network came back twice, the page was reloaded,
-- two tabs flushed the same queue) apply exactly once: the second insert finds the row and the
-- service answers with the stored outcome instead of acting again.
create table field_actions (
    client_action_id uuid primary key,
    case_id bigint not null references cases (id),
    action text not null check (action in ('acknowledge', 'depart', 'arrive', 'investigate', 'reply', 'return', 'refuse')),
    actor text not null,
    role text not null,
    device_at timestamptz,                -- the device's clock when the person acted (corrected, see below)
    device_clock_offset_s double precision, -- server minus device clock when the page loaded (applied if > 2 min)
    received_at timestamptz not null,     -- the server's clock when it arrived
    recorded_at timestamptz not null,     -- the time the event was recorded with
    time_flag text not null check (time_flag in ('live', 'queued', 'device_clock_ahead', 'device_clock_implausible', 'no_device_time')),
    text text,
    lon double precision,
    lat double precision,
    accuracy_m double precision,
    distance_m double precision,          -- arrival: device position to the case location
    outcome text not null check (outcome in ('applied', 'refused')),
    message text,
    result jsonb not null default '{}'
);
create index field_actions_case on field_actions (case_id, recorded_at);

-- Photos and documents attached to a field action, kept in PostgreSQL (the one store: backed up
-- with the case, written in the action's transaction, no file paths to serve or to leak).
-- Images are downscaled before they are stored; the EXIF position is kept in columns for staff and
-- stripped from the stored image bytes, so a copy of the file never carries it.
create table field_attachments (
    id bigserial primary key,
    client_attachment_id uuid not null unique,
    client_action_id uuid not null references field_actions (client_action_id),
    case_id bigint not null references cases (id),
    filename text not null,
    content_type text not null,
    size_bytes integer not null check (size_bytes > 0),
    original_bytes integer not null,
    width integer,
    height integer,
    exif_lon double precision,
    exif_lat double precision,
    exif_taken_at text,
    uploaded_at timestamptz not null,
    uploaded_by text not null,
    content bytea not null
);
create index field_attachments_case on field_attachments (case_id);
