-- Classification: which model classified each complaint, why it went to a person, and the labels
-- the model learns from besides the corpus (operators' corrections, a bureau's labelled history).
-- Owned by ingest.

alter table complaints
    add column model_version text,
    add column review_reason text;

create table classification_labels (
    id bigserial primary key,
    source text not null check (source in ('correction', 'history')),
    text text not null,
    categories text[] not null check (cardinality(categories) > 0),
    priority text not null check (priority in ('emergency', 'urgent', 'normal')),
    complaint_id bigint references complaints (id),
    predicted_categories text[],
    predicted_priority text,
    model_version text,
    external_label text,          -- the bureau's own category label (history rows)
    note text,
    actor text not null,
    created_at timestamptz not null default now(),
    fingerprint text              -- history: the same row imported twice is one label
);
create unique index classification_labels_fingerprint on classification_labels (fingerprint) where fingerprint is not null;
create index classification_labels_complaint on classification_labels (complaint_id, created_at);
