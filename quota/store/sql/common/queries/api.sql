-- The reads of the Python API's frames (quota/api.py). Fragment: {condition}, a WHERE clause or nothing.

-- name: exports_view_listed
SELECT * FROM exports {condition} ORDER BY "at", export_id;

-- name: delivered_ids_listed
SELECT * FROM delivered_ids {condition} ORDER BY export_id, kind, id;
