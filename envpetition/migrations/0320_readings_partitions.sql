-- Readings lifecycle on plain PostgreSQL (issue 15): `readings` partitioned by day, an archive
-- catalogue for partitions written to Parquet and dropped. With TimescaleDB `readings` is a
-- hypertable (daily chunks, compression and 400-day retention from 0300) and none of this applies
-- except the (then empty) archive catalogue.

-- One row per Parquet file holding a dropped partition's readings.
create table readings_archive (
    id bigserial primary key,
    partition_name text not null,
    range_start timestamptz not null,
    range_end timestamptz not null,
    path text not null unique,
    rows bigint not null,
    bytes bigint not null,
    sha256 text not null,
    hot_bytes bigint not null,      -- what the partition took in PostgreSQL (table + indexes)
    archived_at timestamptz not null default now()
);
create index readings_archive_range on readings_archive (range_start, range_end);

-- Add one partition [lo, hi) of readings: built apart, filled with the rows of that range the
-- default partition caught, then attached (ATTACH needs a lighter lock on readings than CREATE
-- TABLE ... PARTITION OF). The caller chooses bounds that do not overlap existing partitions.
create function readings_add_partition(lo timestamptz, hi timestamptz) returns text
language plpgsql as $$
declare
    name text := 'readings_p' || to_char(lo at time zone 'Asia/Shanghai', 'YYYYMMDD_HH24MI');
begin
    if to_regclass(name) is not null then
        return null;
    end if;
    execute format('create table %I (like readings including defaults)', name);
    if to_regclass('readings_default') is not null then
        execute format('with moved as (delete from readings_default where ts >= %L and ts < %L returning *) '
                       'insert into %I select * from moved', lo, hi, name);
    end if;
    execute format('alter table readings attach partition %I for values from (%L) to (%L)', name, lo, hi);
    return name;
end
$$;

do $$
declare
    day timestamptz;
    before_count bigint;
    after_count bigint;
    before_sum numeric;
    after_sum numeric;
begin
    if exists (select 1 from pg_extension where extname = 'timescaledb')
       or (select relkind from pg_class where oid = 'readings'::regclass) = 'p' then
        return;
    end if;
    -- The view follows the table it was made on: it goes, and comes back on the new table.
    drop view readings_1m;
    alter table readings rename to readings_unpartitioned;
    alter index readings_pkey rename to readings_unpartitioned_pkey;
    alter index if exists readings_ts_brin rename to readings_unpartitioned_ts_brin;

    create table readings (like readings_unpartitioned including defaults) partition by range (ts);
    -- The partition key (ts) is part of the primary key already: redeliveries still conflict.
    alter table readings add primary key (sensor_id, pollutant, ts);
    create index readings_ts_brin on readings using brin (ts);
    create table readings_default partition of readings default;

    -- A partition for every local day that holds readings, and for the week ahead.
    for day in
        select distinct date_bin('1 day', ts, timestamptz '2000-01-01 00:00:00+08') from readings_unpartitioned
        union
        select date_bin('1 day', now(), timestamptz '2000-01-01 00:00:00+08') + n * interval '1 day'
        from generate_series(0, 7) n
        order by 1
    loop
        perform readings_add_partition(day, day + interval '1 day');
    end loop;

    insert into readings select * from readings_unpartitioned;
    -- Counts and an order-free checksum (sum of 64-bit row hashes: constant memory at any size).
    select count(*), coalesce(sum(hashtextextended(r::text, 0)::numeric), 0)
        into before_count, before_sum from readings_unpartitioned r;
    select count(*), coalesce(sum(hashtextextended(r::text, 0)::numeric), 0)
        into after_count, after_sum from readings r;
    if before_count <> after_count or before_sum <> after_sum then
        raise exception 'readings conversion lost or changed rows: % -> % (% / %)',
            before_count, after_count, before_sum, after_sum;
    end if;
    drop table readings_unpartitioned;

    create view readings_1m as
        select date_bin('1 minute', ts, timestamptz '2000-01-01 00:00:00+08') as bucket, sensor_id, pollutant,
               count(value) as n, coalesce(sum(value), 0) as total, min(value) as min, max(value) as max
        from readings where flag is null or flag in ('N', 'S', 'T')
        group by 1, 2, 3;
end
$$;
