-- The case history is append-only: no UPDATE or DELETE of case_events, ever.
create function case_events_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'case_events is append-only (% refused)', tg_op using errcode = 'insufficient_privilege';
end
$$;
create trigger case_events_no_update before update or delete on case_events
    for each row execute function case_events_append_only();
