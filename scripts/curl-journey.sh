#!/usr/bin/env bash
# The partner journey of the README, step by step with curl, against a running gateway:
# token → register a patient → search providers → free slots → book → read → list → cancel.
# Each step prints its HTTP status and stops the script when it is not the one expected.
#
#   scripts/curl-journey.sh http://localhost:3000 cred_… tk_test_…
#
# Needs bash, curl and node (node only reads the JSON answers). EXTERNAL_ID chooses the
# patient's id in your own system; by default a new one, so the script can run again.
set -euo pipefail

if [ $# -ne 3 ]; then
  echo "usage: $0 BASE CLIENT_ID CLIENT_SECRET" >&2
  exit 2
fi
BASE=${1%/}
ID=$2
SECRET=$3
EXTERNAL_ID=${EXTERNAL_ID:-crm-$(date +%s)-$$}
ZONE=Asia/Riyadh

BODY=$(mktemp)
trap 'rm -f "$BODY"' EXIT

# call STEP EXPECTED_STATUS CURL_ARGS…: one request; the answer's body is left in $BODY.
call() {
  local step=$1 expected=$2 status
  shift 2
  status=$(curl -sS -o "$BODY" -w '%{http_code}' "$@")
  printf '%-26s %s\n' "$step" "$status"
  if [ "$status" != "$expected" ]; then
    echo "expected $expected; the gateway answered:" >&2
    cat "$BODY" >&2
    echo >&2
    exit 1
  fi
}

# read_body EXPRESSION: the JavaScript expression over the last answer `b`, which must have a value.
read_body() {
  node -e '
    const b = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const value = new Function("b", "return (" + process.argv[2] + ")")(b);
    if (value === undefined || value === null || value === "" || value === false) {
      console.error("no value for " + process.argv[2] + " in " + JSON.stringify(b));
      process.exit(1);
    }
    process.stdout.write(String(value));
  ' "$BODY" "$1"
}

# 1. An access token (OAuth 2.0 client credentials).
call '1 token' 200 -u "$ID:$SECRET" -d grant_type=client_credentials "$BASE/v1/oauth/token"
TOKEN=$(read_body 'b.token_type.toLowerCase() === "bearer" && b.access_token')
AUTH="authorization: Bearer $TOKEN"
JSON='content-type: application/json'

# 2. Register a patient.
call '2 register patient' 201 -X POST "$BASE/v1/patients" -H "$AUTH" -H "$JSON" -d '{
  "externalId": "'"$EXTERNAL_ID"'", "givenName": "Sara", "familyName": "Ali",
  "birthDate": "1990-04-21", "country": "SA", "timeZone": "'"$ZONE"'" }'
PATIENT=$(read_body 'b.externalId === "'"$EXTERNAL_ID"'" && b.id')

# 3. Providers: Arabic-speaking, licensed in Saudi Arabia, anxiety, soonest first.
call '3 search providers' 200 -G "$BASE/v1/providers" -H "$AUTH" -d language=ar -d region=SA \
  -d specialty=anxiety -d sort=earliest -d limit=5
PROVIDER=$(read_body 'b.data[0].id')
DURATION=$(read_body 'b.data[0].sessionTypes[0].duration')

# 4. The first one's free slots for the week from tomorrow, in the patient's zone (UTC+03:00).
FROM=$(node -p 'new Date(Date.now() + 3 * 3600e3 + 864e5).toISOString().slice(0, 10)')
TO=$(node -p 'new Date(Date.now() + 3 * 3600e3 + 8 * 864e5).toISOString().slice(0, 10)')
call '4 slots' 200 -G "$BASE/v1/providers/$PROVIDER/slots" -H "$AUTH" \
  -d "duration=$DURATION" -d "timeZone=$ZONE" \
  --data-urlencode "from=${FROM}T00:00:00+03:00" --data-urlencode "to=${TO}T00:00:00+03:00"
START=$(read_body 'b.timeZone === "'"$ZONE"'" && b.data[0].start')

# 5. Book the first slot; the same slot again answers 409 SLOT_UNAVAILABLE.
BOOKING_REQUEST='{ "patientId": "'"$PATIENT"'", "providerId": "'"$PROVIDER"'",
  "start": "'"$START"'", "duration": '"$DURATION"' }'
call '5 book' 201 -X POST "$BASE/v1/bookings" -H "$AUTH" -H "$JSON" -d "$BOOKING_REQUEST"
BOOKING=$(read_body 'b.status === "confirmed" && b.video.patientJoinUrl.startsWith("https://") && b.id')
call '5 book the same slot' 409 -X POST "$BASE/v1/bookings" -H "$AUTH" -H "$JSON" \
  -d "$BOOKING_REQUEST"
read_body 'b.code === "SLOT_UNAVAILABLE" && b.requestId.startsWith("req_")' >/dev/null

# 6. Read it, list the patient's bookings, cancel with a reason.
call '6 get booking' 200 "$BASE/v1/bookings/$BOOKING" -H "$AUTH"
read_body 'b.id === "'"$BOOKING"'" && b.status === "confirmed"' >/dev/null
call '6 list bookings' 200 -G "$BASE/v1/bookings" -H "$AUTH" -d "patientId=$PATIENT"
read_body 'b.data.length === 1 && b.data[0].id === "'"$BOOKING"'"' >/dev/null
call '6 cancel booking' 200 -X POST "$BASE/v1/bookings/$BOOKING/cancel" -H "$AUTH" -H "$JSON" \
  -d '{"reason":"Patient asked to move the session"}'
read_body 'b.status === "cancelled" && b.cancellation.reason === "Patient asked to move the session"' \
  >/dev/null

echo "patient $PATIENT booked $PROVIDER at $START ($DURATION min) as $BOOKING, then cancelled it"
