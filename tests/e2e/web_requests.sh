#!/usr/bin/env bash
# e2e: `synod-testnet web` answers bad requests with a clear 4xx JSON error and goes on
# serving: bad parameters, a malformed request, an oversized body, a wrong method, and
# requests from other web pages (a foreign Origin: CSRF; a foreign Host: DNS rebinding),
# which must change nothing. The testnet's nodes are not started: none is needed.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$1"

BASE=$(pick_base_port 6)
PORT=$((BASE + 10))
"$TESTNET" init --dir "$DIR" --base-port "$BASE" >/dev/null
"$TESTNET" web --dir "$DIR" --port "$PORT" >"$WORK/web.log" 2>&1 &
web_pid=$!
stop_web_then_cleanup() {
  local status=$?
  kill "$web_pid" 2>/dev/null
  wait "$web_pid" 2>/dev/null
  (exit "$status")
  cleanup
}
trap stop_web_then_cleanup EXIT
wait_for 10 "the web server" grep -q "serving" "$WORK/web.log"
URL="http://127.0.0.1:$PORT"
OWN_ORIGIN="Origin: $URL"

# expect STATUS PATTERN CURL_ARGS...: the answer has that HTTP status and a JSON body
# {"error": ...} matching PATTERN (a grep -E pattern).
expect() {
  local status=$1 pattern=$2 got
  shift 2
  got=$(curl -s --max-time 10 -o "$WORK/body" -w '%{http_code}' "$@") || fail "curl $*: no answer"
  [ "$got" = "$status" ] || fail "curl $*: status $got, expected $status: $(cat "$WORK/body")"
  grep -qE "^\{\"error\":\".*$pattern" "$WORK/body" || fail "curl $*: body $(cat "$WORK/body")"
  echo "   ok ($got): $(cat "$WORK/body")"
}
actions_logged() { curl -s --max-time 10 "$URL/api/state" | grep -o '"id":"action-[0-9]*"' | wc -l; }

step "bad parameters"
expect 400 "unknown action explode" -X POST -H "$OWN_ORIGIN" "$URL/api/node?action=explode&node=0"
expect 400 "node: an index" -X POST -H "$OWN_ORIGIN" "$URL/api/node?action=kill&node=4"
expect 400 "node: an index" -X POST -H "$OWN_ORIGIN" "$URL/api/node?action=kill&node=-1"
expect 400 "node: an index" -X POST -H "$OWN_ORIGIN" "$URL/api/transfer?node=99999999"
expect 400 "unknown scenario" -X POST -H "$OWN_ORIGIN" "$URL/api/scenario?name=../../x"
expect 400 "hash: 64 hex digits" "$URL/api/block?hash=zz$(printf '0%.0s' {1..62})"
expect 400 "hash: 64 hex digits" "$URL/api/block?hash=abc"
expect 404 "not found" "$URL/no-such-page"

step "malformed and oversized requests, a wrong method"
head -c 100000 /dev/zero | tr '\0' x >"$WORK/big"
# "Expect:" (none): curl sends the whole body at once, before any answer.
expect 413 "request body over 16384 bytes" -X POST -H "$OWN_ORIGIN" -H "Expect:" \
  --data-binary "@$WORK/big" "$URL/api/node?action=kill&node=0"
garbage=$(exec 3<>"/dev/tcp/127.0.0.1/$PORT" && printf 'NOT HTTP AT ALL\r\n\r\n' >&3 && timeout 10 cat <&3)
grep -q '400 Bad Request' <<<"$garbage" && grep -q '"error":"malformed request"' <<<"$garbage" ||
  fail "garbage got: $garbage"
echo "   ok (400): malformed request"
expect 405 "GET or POST" -X PUT "$URL/api/state"
expect 405 "GET or POST" -X DELETE -H "$OWN_ORIGIN" "$URL/api/node?action=kill&node=0"

step "requests from other web pages"
# CSRF: a foreign page posts a kill; the browser names that page in Origin.
expect 403 "origin http://evil.example" -X POST -H "Origin: http://evil.example" \
  "$URL/api/node?action=kill&node=0"
expect 403 "origin null" -X POST -H "Origin: null" "$URL/api/scenario?name=partition"
expect 403 "origin http://127.0.0.1:1" -X POST -H "Origin: http://127.0.0.1:1" \
  "$URL/api/transfer?node=0"
# DNS rebinding: a foreign name resolved to 127.0.0.1 reads the API; Host names it.
expect 403 "Host evil.example:$PORT is not this server" -H "Host: evil.example:$PORT" \
  "$URL/api/state"
expect 403 "Host evil.example:$PORT is not this server" -X POST -H "Host: evil.example:$PORT" \
  -H "Origin: http://evil.example:$PORT" "$URL/api/node?action=kill&node=0"
[ "$(actions_logged)" = 0 ] || fail "a refused request started an action"
echo "   ok: no action started"

step "good requests are still served"
curl -sf --max-time 10 "$URL/api/state" | grep -q '"name":"node-0"' || fail "no state"
curl -sf --max-time 10 -H "Host: localhost:$PORT" "$URL/" | grep -q '<html' || fail "no page"
# The same POST from the server's own page is accepted (the node is down, so the command
# itself fails in the background: what matters is that it was started).
got=$(curl -s --max-time 10 -o "$WORK/body" -w '%{http_code}' -X POST -H "$OWN_ORIGIN" \
  "$URL/api/node?action=resume&node=0")
[ "$got" = 202 ] && grep -q '"action":"action-1"' "$WORK/body" || fail "own POST: $got $(cat "$WORK/body")"
[ "$(actions_logged)" = 1 ] || fail "the accepted POST started no action"
echo "   ok (202): $(cat "$WORK/body")"
echo "PASS"
