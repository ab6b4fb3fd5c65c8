-- Monitoring (issue 4): reading tags, dead-letter dedup, rollups, exceedances, walk-navigation peaks.

-- 'crc=modbus' for HJ 212 packets accepted with a Modbus CRC; NULL otherwise.
alter table readings add column tag text;
-- Byte-order ("C") comparison for the key columns: ids and factor codes are ASCII, and the primary
-- key takes ~20 % more rows per second when it does not go through the locale's strcoll.
alter table readings alter column sensor_id type text collate "C", alter column pollutant type text collate "C";

-- A redelivered malformed message (same topic and bytes) is dead-lettered once.
alter table dead_letters add column digest bytea;
create unique index dead_letters_digest on dead_letters (digest);
create index dead_letters_received on dead_letters (received_at);

-- Rollups of valid readings (flag null, N, S or T): n, total, min, max per bucket.
-- TimescaleDB: continuous aggregates with the same names and columns, plus compression and
-- retention. Plain PostgreSQL: readings_1h is a table the ingest worker keeps up to date in the
-- same transaction as the readings; readings_1m is a view (one series over a day is at most 1,440
-- buckets read through the primary key, and a 1-minute table would be as large as readings
-- itself for minute data). Queries read readings_1m / readings_1h the same way on both.
do $$
begin
    if exists (select 1 from pg_extension where extname = 'timescaledb') then
        execute $ts$
            create materialized view readings_1m with (timescaledb.continuous) as
            select time_bucket('1 minute', ts) as bucket, sensor_id, pollutant,
                   count(value) as n, sum(value) as total, min(value) as min, max(value) as max
            from readings where flag is null or flag in ('N', 'S', 'T')
            group by 1, 2, 3 with no data $ts$;
        execute $ts$
            create materialized view readings_1h with (timescaledb.continuous) as
            select time_bucket('1 hour', ts) as bucket, sensor_id, pollutant,
                   count(value) as n, sum(value) as total, min(value) as min, max(value) as max
            from readings where flag is null or flag in ('N', 'S', 'T')
            group by 1, 2, 3 with no data $ts$;
        perform add_continuous_aggregate_policy('readings_1m', start_offset => interval '3 days',
            end_offset => interval '1 minute', schedule_interval => interval '1 minute');
        perform add_continuous_aggregate_policy('readings_1h', start_offset => interval '30 days',
            end_offset => interval '1 hour', schedule_interval => interval '15 minutes');
        alter table readings set (timescaledb.compress, timescaledb.compress_segmentby = 'sensor_id, pollutant');
        perform add_compression_policy('readings', interval '7 days');
        perform add_retention_policy('readings', interval '400 days');
    else
        create table readings_1h (
            bucket timestamptz not null, sensor_id text collate "C" not null, pollutant text collate "C" not null,
            n bigint not null, total double precision not null,
            min double precision not null, max double precision not null,
            primary key (sensor_id, pollutant, bucket)
        );
        create view readings_1m as
            select date_bin('1 minute', ts, timestamptz '2000-01-01 00:00:00+08') as bucket, sensor_id, pollutant,
                   count(value) as n, coalesce(sum(value), 0) as total, min(value) as min, max(value) as max
            from readings where flag is null or flag in ('N', 'S', 'T')
            group by 1, 2, 3;
    end if;
end
$$;

-- Exceedance events: a run of consecutive averaging windows over the limit.
create table exceedances (
    id bigserial primary key,
    sensor_id text not null,
    pollutant text not null,
    averaging text not null,
    standard text not null,
    zone_class text,
    limit_value double precision not null,
    unit text,
    verified boolean not null,
    started_at timestamptz not null,
    ended_at timestamptz not null,
    peak_value double precision not null,
    peak_at timestamptz not null,
    windows integer not null default 1,
    community_id bigint references areas (id),
    enterprise_id bigint references areas (id),
    case_id bigint references cases (id),
    detected_at timestamptz not null,
    unique (sensor_id, pollutant, averaging, started_at)
);
create index exceedances_time on exceedances (started_at);

-- Walk-navigation peaks above the rolling background, with the nearest enterprise and community.
create table walknav_peaks (
    id bigserial primary key,
    sensor_id text not null,
    pollutant text not null,
    ts timestamptz not null,
    value double precision not null,
    background double precision not null,
    lon double precision not null,
    lat double precision not null,
    enterprise_id bigint references areas (id),
    enterprise_distance_m double precision,
    community_id bigint references areas (id),
    community_distance_m double precision,
    found_at timestamptz not null,
    unique (sensor_id, pollutant, ts)
);
