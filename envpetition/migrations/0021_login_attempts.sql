-- Failed logins per account ('user:<name>') and per client address ('addr:<ip>'): each failure
-- pushes the next allowed attempt further out; an account past the limit stays locked until an
-- administrator lifts it. Unknown usernames are counted too (same work, same answers).
create table login_throttle (
    key text primary key,
    failures integer not null default 0,
    last_failure_at timestamptz,
    next_allowed_at timestamptz,
    locked_at timestamptz
);
