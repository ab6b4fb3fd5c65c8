import threading

from envpetition.db import connect
from envpetition.migrate import migrate, migration_files


def test_migrations_are_numbered_uniquely_and_recorded(database_url):
    versions = [v for v, _, _ in migration_files()]
    assert versions == sorted(versions)
    with connect(database_url) as conn:
        recorded = [r[0] for r in conn.execute("select version from schema_migrations order by version")]
    assert recorded == versions


def test_migrate_twice_applies_nothing(fresh_database_url):
    with connect(fresh_database_url, autocommit=True) as conn:
        assert migrate(conn) == []


def test_two_processes_migrating_an_empty_database_at_once(pg_admin_url):
    from envpetition.servers import ensure_database, with_database

    name = "envp_concurrent_migrate"
    with connect(pg_admin_url, autocommit=True) as admin:
        admin.execute(f"drop database if exists {name} with (force)")
    ensure_database(pg_admin_url, name)
    url = with_database(pg_admin_url, name)
    results, errors = [], []

    def run():
        try:
            with connect(url, autocommit=True) as conn:
                results.append(migrate(conn))
        except Exception as exc:  # recorded, asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(len(r) for r in results) == [0, 0, len(migration_files())]
    with connect(pg_admin_url, autocommit=True) as admin:
        admin.execute(f"drop database {name} with (force)")
