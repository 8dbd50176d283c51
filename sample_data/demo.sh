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
strip response  v2_response.json    --ids post,user   # one pretty-printed v2 response
strip search    v1_search.json      --ids post,user   # v1.1 {"statuses": [...]}
strip followers v1_follower_ids.json --ids user       # v1.1 cursor ids: a declared kind
strip bad       v2_pages_bad.jsonl  --ids post --skip-bad
# Objects that are not posts, and posts X says were deleted, never become Post IDs:
for refused in v2_lists.jsonl deleted-tweets.js; do
  if $QUOTA strip "$refused" -o "$out/refused" 2>"$out/why.txt"; then
    echo "expected $refused to be refused" >&2
    exit 1
  fi
  echo "== $refused refused (exit 4): $(cat "$out/why.txt")"
done
echo "== manifest of the last run:"
head -c 700 "$out/bad/manifest.json"
echo

# The ledger: a recipient, its acceptance of X's terms, two exports, headroom, a refusal, proof.
export QUOTA_DB="$out/ledger.duckdb"
# Every delivery's README names whom its recipient contacts about deletion notices.
export QUOTA_CONTACT="compliance@acme.example (synthetic)"
echo "== ledger at $QUOTA_DB"
$QUOTA init >/dev/null
$QUOTA entity add acme --name "Acme Research (synthetic)" --email data-office@acme.example
# Accepted in January, recorded now: a back-dated acceptance, so it comes with its evidence.
$QUOTA entity accept-terms acme --by "A. Analyst" --at 2026-01-01T00:00:00Z \
  --version "X Developer Agreement and Policy, 2026-10" --method "signed PDF" --evidence terms-acceptance.txt
$QUOTA person add analyst --entity acme
$QUOTA export v2_pages.jsonl --to acme --person analyst -o "$out/deliver-1" --ids post,user --export-id demo-1
$QUOTA export v1_lines.jsonl --to acme -o "$out/deliver-2" --export-id demo-2
# A delivery happens now; one made before the ledger existed is recorded, flagged, by ledger import.
printf 'at,entity,post_ids,reference\n2026-10-01T12:00:00Z,acme,500,by e-mail\n' >"$out/past.csv"
$QUOTA ledger import "$out/past.csv"
$QUOTA usage
$QUOTA ledger list
# What the recipient reads beside the IDs: counts, hydrating, terms, the 24-hour deletion duty.
head -n 8 "$out/deliver-1/README.md"
# The researchers' side: a collection registered by path, then a reproducible sample of it.
$QUOTA dataset add demo-posts v2_pages.jsonl v1_lines.jsonl --title "Demo posts (synthetic)" \
  --description "Two synthetic captures" --collected-with "quota.testing.synth" --citation "Demo Team (2026). Demo posts."
$QUOTA dataset list
$QUOTA export v2_pages.jsonl --to acme -o "$out/deliver-sample" --sample 20 --seed demo --export-id demo-3
# A researcher's request: posts with a hashtag, approved by someone else, delivered with a README.
req=$($QUOTA request submit --dataset demo-posts --person analyst --hashtag data --newest 10 --ids post,user \
  --purpose "Hashtag study" --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["request_id"])')
$QUOTA request approve "$req" --by "C. Officer"
$QUOTA request deliver "$req" -o "$out/deliver-request" --fit
$QUOTA request list
$QUOTA entity add beta --name "Beta Labs (synthetic), no terms accepted yet"
if $QUOTA export twarc.csv --to beta -o "$out/deliver-3" 2>"$out/refusal.txt"; then
  echo "expected a refusal" >&2
  exit 1
fi
echo "   refused as expected: $(cat "$out/refusal.txt")"
# A spreadsheet of whole objects for one analyst, within 500 objects a day; IDs are text cells.
$QUOTA manual v2_flat.jsonl --person analyst -o "$out/analyst.xlsx" --no-users
$QUOTA usage --person analyst
# A protected author's posts are not public: --fit leaves them out and says how many.
$QUOTA manual v2_protected.jsonl --person analyst -o "$out/public.csv" --fit

# Compliance: who holds a post, a deletion notice with its 24-hour deadline, SQL, the report.
first=$(head -n 1 "$out/deliver-1/post_ids.txt")
$QUOTA who-received "$first"
# X's result of a tweets compliance job, naming some delivered posts; the job's JSON gives the kind.
$QUOTA notice add compliance_result.jsonl --job compliance_job.json
$QUOTA notice list
# What needs attention now (exit 3 when anything is due: for cron and monitoring); here, that no
# checkpoint is kept outside the ledger.
if $QUOTA alerts; then
  echo "expected an alert: no checkpoint log is kept" >&2
  exit 1
fi
# The deletion request, passed on to the recipient's contact (here: mail into a directory).
QUOTA_MAIL_DIR="$out/mail" QUOTA_MAIL_FROM="quota@data-team.example" QUOTA_PORTAL_URL="https://quota.example.org" \
  $QUOTA notify run
echo "== the deletion request:"
python3 - "$out"/mail/*.eml <<'PY'
import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
print("   To:", m["To"], "\n   Subject:", " ".join(str(m["Subject"]).split()))
print("  ", m.get_payload(decode=True).decode().split("\n\n")[0])
PY
$QUOTA notice upload-file --kind post -o "$out/upload-posts.txt"
$QUOTA sql "SELECT entity, kind, count(*) AS ids FROM delivered_ids GROUP BY ALL ORDER BY ALL"
$QUOTA report -o "$out/report.html"
# Portal accounts, one of each role (quota serve, with quota[web], is where they sign in): each
# prints its one-time sign-up link.
$QUOTA account add analyst@acme.example --role researcher --person analyst
$QUOTA account add officer@acme.example --role compliance
$QUOTA account add data@acme.example --role data-team
$QUOTA account add audit@acme.example --role auditor
$QUOTA account add admin@acme.example --role admin
$QUOTA account list
$QUOTA ledger verify
$QUOTA ledger checkpoint
