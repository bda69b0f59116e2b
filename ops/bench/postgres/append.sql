-- pgbench: one event per transaction (pgbench runs each statement in its
-- own transaction), a fresh stream per event as an announcement starts
-- one, about 300 bytes of payload like an encoded ledger event.
\set n random(1, 2000000000)
INSERT INTO events (event_id, stream, stream_version, payload)
VALUES (gen_random_uuid(), 'service/' || :client_id || '-' || :n, 1,
        decode(repeat('a5', 300), 'hex'));
