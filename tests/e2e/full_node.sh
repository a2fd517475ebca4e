#!/usr/bin/env bash
# e2e: a 4-validator testnet with one full node. Transfers sent through the full node are
# relayed, commit and verify; the full node serves balances and agrees with the validators;
# killed and restarted, it catches up to the validators' head. bench and a scenario still
# drive the validators only while the full node follows.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$1"

BASE=$(pick_base_port 5) # 4 validators and 1 full node: slots 0..4
ACCOUNTS="$DIR/accounts"
FULL=$(rpc_of 4) # full-0 takes the slot after the validators

step "init 4 validators and 1 full node (base port $BASE)"
"$TESTNET" init --dir "$DIR" --base-port "$BASE" --full-nodes 1
[ -f "$DIR/full-0/node_key.json" ] || fail "init wrote no full-0 home"
grep -q "\"127.0.0.1:$((BASE + 1))\"" "$DIR/full-0/config.json" ||
  fail "full-0's config does not list node-0 as an upstream"

step "up"
out=$("$TESTNET" up --dir "$DIR" --timeout 90)
echo "$out"
grep -q "4 validators and 1 full node" <<<"$out" || fail "up does not mention the full node"
grep -qE "^full-0 +[0-9]+ +full +http://$FULL" <<<"$out" || fail "up does not list full-0"

A0=$(address 0)
A1=$(address 1)
A2=$(address 2)
balance_of() { "$WALLET" --node "$1" --json balance "$2" | json_field balance; }

step "wallet status through the full node"
out=$("$WALLET" --node "$FULL" status)
echo "$out"
grep -q "(full node) at $FULL" <<<"$out" || fail "wallet status does not say full node"
json=$("$WALLET" --node "$FULL" --json status)
grep -q '"role": "full_node"' <<<"$json" || fail "status --json of the full node lacks role full_node"
grep -q '"validator_index": null' <<<"$json" || fail "status --json: validator_index not null"

step "a transfer sent through the full node commits with a verified certificate"
out=$("$WALLET" --node "$FULL" transfer --key "$ACCOUNTS/account-0.json" --to "$A1" \
  --amount 1000 --fee 5)
echo "$out"
grep -qE "certificate verified: [34]/4 signatures from the genesis validator set" <<<"$out" ||
  fail "transfer through the full node did not report a verified certificate"

step "the full node serves the new balances"
[ "$(balance_of "$FULL" "$A0")" = $((1000000000000 - 1000 - 5)) ] || fail "full-0: wrong balance of A0"
[ "$(balance_of "$FULL" "$A1")" = $((1000000000000 + 1000)) ] || fail "full-0: wrong balance of A1"
"$WALLET" --node "$FULL" balance "$A1"

step "a refused transfer through the full node returns the validator's refusal"
"$WALLET" keygen --out "$WORK/empty.json" >/dev/null
expect_error "transaction refused: insufficient_balance" \
  "$WALLET" --node "$FULL" transfer --key "$WORK/empty.json" --to "$A0" --amount 5

step "status: all 5 nodes agree"
agree_all() {
  "$TESTNET" status --dir "$DIR" --json >"$WORK/status.json"
  grep -q '"agree": true' "$WORK/status.json" && grep -qE '"nodes": 5,?$' "$WORK/status.json"
}
wait_for 20 "all 5 nodes to agree" agree_all
[ "$(grep -c '"role": "full"' "$WORK/status.json")" -eq 1 ] || fail "status --json: no full role"
[ "$(grep -cE '^ {6}"role": "validator"' "$WORK/status.json")" -eq 4 ] ||
  fail "status --json: not 4 validator roles"
status=$("$TESTNET" status --dir "$DIR")
echo "$status"
grep -q "agreement: all 5 answering nodes have block" <<<"$status" || fail "status: no agreement"
grep -qE "^full-0 +[0-9]+ +up( syncing)? +full " <<<"$status" ||
  fail "status: full-0 not shown as up full"

step "kill full-0, transfer through a validator, restart full-0: it catches up"
"$TESTNET" kill --dir "$DIR" full-0
"$TESTNET" status --dir "$DIR" | grep -qE "^full-0 +- +down +full" || fail "full-0 not shown as down"
for i in 1 2 3; do
  "$WALLET" --node "$(rpc_of 1)" transfer --key "$ACCOUNTS/account-2.json" --to "$A0" \
    --amount 10 >/dev/null
done
target=$("$WALLET" --node "$(rpc_of 1)" --json status | json_field stored_height)
"$TESTNET" restart --dir "$DIR" full-0
# Heartbeat blocks keep the head moving, so compare the full node's head block with
# node-1's block at that height: same hash, same state root.
same_head() {
  local h f v
  h=$("$WALLET" --node "$FULL" --json status | json_field stored_height)
  [ "$h" -ge "$target" ] || return 1
  f=$("$WALLET" --node "$FULL" --json block "$h")
  v=$("$WALLET" --node "$(rpc_of 1)" --json block "$h")
  for key in hash state_root; do
    [ -n "$(json_field "$key" <<<"$f")" ] || return 1
    [ "$(json_field "$key" <<<"$v")" = "$(json_field "$key" <<<"$f")" ] || return 1
  done
  echo "   full-0 caught up: block $h (node-1 was at $target when full-0 restarted) has" \
    "hash $(json_field hash <<<"$f") and state root $(json_field state_root <<<"$f")" \
    "on both" >"$WORK/caught_up"
}
wait_for 60 "full-0 to reach node-1's head (height >= $target)" same_head
cat "$WORK/caught_up"
[ "$(balance_of "$FULL" "$A2")" = $((1000000000000 - 30)) ] || fail "full-0: wrong balance of A2"
"$TESTNET" status --dir "$DIR" | tee /dev/stderr | grep -q "agreement: all 5" ||
  fail "no agreement after full-0's restart"

step "logs, pause and resume accept full-0"
"$TESTNET" logs --dir "$DIR" full-0 --lines 3
"$TESTNET" pause --dir "$DIR" full-0
"$TESTNET" status --dir "$DIR" | grep -qE "^full-0 +[0-9]+ +paused" || fail "full-0 not paused"
"$TESTNET" resume --dir "$DIR" full-0
expect_error "full node" "$TESTNET" restart --dir "$DIR" full-0 --byzantine silent
expect_error "full node" "$TESTNET" bench --dir "$DIR" --node full-0 --duration 1

step "bench and a scenario drive the validators only"
"$TESTNET" bench --dir "$DIR" --duration 2 --json >"$WORK/bench.json"
[ "$(json_field committed <"$WORK/bench.json")" -gt 0 ] || fail "bench committed nothing"
[ "$(grep -c '"name": "node-' "$WORK/bench.json")" -eq 4 ] || fail "bench lacks per-node figures"
! grep -q '"name": "full-' "$WORK/bench.json" || fail "bench reports the full node"
"$TESTNET" scenario crash-backup --dir "$DIR" | tee "$WORK/scenario.out"
[ "$(tail -n 1 "$WORK/scenario.out")" = PASS ] || fail "crash-backup with a full node present"
wait_for 30 "all 5 nodes to agree after the load" agree_all

step "down stops the full node too"
"$TESTNET" down --dir "$DIR"
[ "$("$TESTNET" status --dir "$DIR" | grep -cE '^(node|full)-[0-9] +- +down')" -eq 5 ] ||
  fail "nodes still running after down"
echo "PASS"
