-- The reads of datasets.
-- Named queries of the library (quota/*.py asks for them by name: ledger.query("NAME", params)).

-- name: dataset_named
SELECT * FROM datasets WHERE name = ?;

-- name: datasets_by_name
SELECT * FROM datasets ORDER BY name;

-- name: event_recorded_at
SELECT recorded_at FROM events WHERE seq = ?;
