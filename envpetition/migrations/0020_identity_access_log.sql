-- Every time a person is shown a complainant's identity unmasked: who, when, which complaint.
-- Append-only; the director reads it (envpetition/access_log.py).
create table identity_access_log (
    id bigserial primary key,
    at timestamptz not null,
    user_id bigint references users (id),
    username text not null,
    role text not null,
    complaint_id bigint,
    quarantine_id bigint,
    view text not null
);
create index identity_access_log_at on identity_access_log (at desc);
create index identity_access_log_complaint on identity_access_log (complaint_id);

create function identity_access_log_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'identity_access_log is append-only';
end $$;
create trigger identity_access_log_append_only before update or delete on identity_access_log
    for each row execute function identity_access_log_append_only();
