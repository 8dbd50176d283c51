#!/usr/bin/env bash
# The README's demo: strip every sample file and show what came out.
# Uses `quota` from PATH, or $QUOTA (the tests set it to "python -m quota").
set -euo pipefail
cd "$(dirname "$0")"
QUOTA=${QUOTA:-quota}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

strip() {  # strip NAME FILE OPTIONS...
  local name=$1 file=$2
  shift 2
  echo "== $file  ($*)"
  $QUOTA strip "$file" -o "$out/$name" "$@"
  for f in "$out/$name"/*_ids.*; do
    printf '   %-16s %6s IDs, first: %s\n' "$(basename "$f")" "$(wc -l <"$f")" "$(head -n 1 "$f")"
  done
}

strip pages     v2_pages.jsonl      --ids post,user
strip pages_gz  v2_pages.jsonl.gz   --ids post,user --referenced
strip flat      v2_flat.jsonl       --ids post,user
strip users     v2_users.jsonl      --ids user
strip v1        v1_lines.jsonl      --ids post,user
strip v1_array  v1_array.json       --ids post,user
strip archive   archive_tweets.js   --ids post
strip dms       dm_events.jsonl     --ids dm,user
strip csv       twarc.csv           --ids post,user
strip parquet   posts.parquet       --ids post,user
strip ids       post_ids.txt        --ids post
strip bad       v2_pages_bad.jsonl  --ids post --skip-bad
echo "== manifest of the last run:"
head -c 700 "$out/bad/manifest.json"
echo
