-- What a request filters on: each post's fields, read by the scratch DuckDB from a dataset's input
-- (quota/readers/fields.py), whatever backend keeps the ledger. One query per format that carries
-- post fields; each yields (id, author, created_at, lang, text, tags, is_post) as text, the time
-- already in UTC (the connection's TimeZone is UTC), and tags lower-cased.
-- {path} and {compression} are filled in by the caller, the path as a quoted literal.

-- name: v2-pages
SELECT p.id, p.author_id AS author, TRY_CAST(p.created_at AS TIMESTAMPTZ)::TIMESTAMP AS created_at,
       p.created_at AS created_text, p.lang, coalesce(p.note_tweet.text, p.text) AS text,
       [lower(h.tag) FOR h IN coalesce(p.entities.hashtags, [])] AS tags, p.username IS NULL AS is_post
FROM (SELECT unnest(r.data) AS p
      FROM read_json({path}, columns = {'data': 'STRUCT("id" VARCHAR, "author_id" VARCHAR, "created_at" VARCHAR,
                     "lang" VARCHAR, "text" VARCHAR, "username" VARCHAR, "note_tweet" STRUCT("text" VARCHAR),
                     "entities" STRUCT("hashtags" STRUCT("tag" VARCHAR)[]))[]'},
                     records = true, format = 'newline_delimited', compression = '{compression}') AS r);

-- name: v2-flat
SELECT r.id, r.author_id AS author, TRY_CAST(r.created_at AS TIMESTAMPTZ)::TIMESTAMP AS created_at,
       r.created_at AS created_text, r.lang, coalesce(r.note_tweet.text, r.text) AS text,
       [lower(h.tag) FOR h IN coalesce(r.entities.hashtags, [])] AS tags, r.username IS NULL AS is_post
FROM read_json({path}, columns = {'id': 'VARCHAR', 'author_id': 'VARCHAR', 'created_at': 'VARCHAR',
               'lang': 'VARCHAR', 'text': 'VARCHAR', 'username': 'VARCHAR', 'note_tweet': 'STRUCT("text" VARCHAR)',
               'entities': 'STRUCT("hashtags" STRUCT("tag" VARCHAR)[])'},
               records = true, format = 'newline_delimited', compression = '{compression}') AS r;

-- name: v1
-- v1.1: created_at is "Wed Oct 10 20:19:24 +0000 2018"; a long post's text and hashtags are in
-- extended_tweet when the stream truncated it.
SELECT r.id_str AS id, r."user".id_str AS author,
       TRY_STRPTIME(r.created_at, '%a %b %d %H:%M:%S %z %Y')::TIMESTAMP AS created_at, r.created_at AS created_text,
       r.lang, coalesce(r.extended_tweet.full_text, r.full_text, r.text) AS text,
       [lower(h.text) FOR h IN coalesce(r.extended_tweet.entities.hashtags, r.entities.hashtags, [])] AS tags,
       r.screen_name IS NULL AS is_post
FROM read_json({path}, columns = {'id_str': 'VARCHAR', 'user': 'STRUCT("id_str" VARCHAR)', 'created_at': 'VARCHAR',
               'lang': 'VARCHAR', 'full_text': 'VARCHAR', 'text': 'VARCHAR', 'screen_name': 'VARCHAR',
               'entities': 'STRUCT("hashtags" STRUCT("text" VARCHAR)[])',
               'extended_tweet': 'STRUCT("full_text" VARCHAR, "entities" STRUCT("hashtags" STRUCT("text" VARCHAR)[]))'},
               records = true, format = 'newline_delimited', compression = '{compression}') AS r;
