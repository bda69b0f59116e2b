-- The registry's log as a PostgreSQL table, for the comparison in
-- BENCHMARKS.md: one row per event, the sequence assigned by the
-- database, the event id unique (idempotency), the stream and its
-- version unique (optimistic concurrency), the encoded event as bytes.
CREATE TABLE events (
    seq            bigserial PRIMARY KEY,
    event_id       uuid        NOT NULL UNIQUE,
    stream         text        NOT NULL,
    stream_version bigint      NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    payload        bytea       NOT NULL,
    UNIQUE (stream, stream_version)
);
