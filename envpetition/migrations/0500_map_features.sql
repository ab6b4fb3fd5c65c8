-- The city's base-map layers (rivers, lakes, roads, place names), owned by envpetition.
-- Kept apart from `areas` on purpose: a road or a river is never where a complaint is located,
-- counted or deduplicated, and these layers hold lines and points, not the polygons areas require.
-- Re-importing a layer closes the old versions (valid_to) like areas do, so history survives.
create table map_features (
    id bigserial primary key,
    layer text not null check (layer in ('water', 'river', 'road', 'rail', 'place')),
    name text,
    attributes jsonb not null default '{}',
    geom bytea not null,
    min_lon double precision not null,
    min_lat double precision not null,
    max_lon double precision not null,
    max_lat double precision not null,
    source text,
    valid_from timestamptz not null default now(),
    valid_to timestamptz
);
create index map_features_current on map_features (layer) where valid_to is null;
