#!/usr/bin/env bash
# e2e: init -> up -> wallet transfers -> balances add up on every node -> status agrees ->
# kill and restart a node -> it catches up -> a short bench gives a well-formed report.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$1"

BASE=$(pick_base_port 4)
ACCOUNTS="$DIR/accounts"
SUPPLY=$((8 * 1000000000000))

step "init a 4-node testnet (base port $BASE)"
"$TESTNET" init --dir "$DIR" --base-port "$BASE"

step "up"
"$TESTNET" up --dir "$DIR" --timeout 60

A0=$(address 0)
A1=$(address 1)
A2=$(address 2)
A3=$(address 3)

step "transfers through different nodes, each waiting for its commit and certificate"
out=$("$WALLET" --node "$(rpc_of 0)" transfer --key "$ACCOUNTS/account-0.json" --to "$A1" \
  --amount 1000 --fee 5)
echo "$out"
grep -qE "certificate verified: [34]/4 signatures from the genesis validator set" <<<"$out" ||
  fail "transfer did not report a verified certificate"
out=$(SYNOD_NODE="$(rpc_of 1)" "$WALLET" transfer --key "$ACCOUNTS/account-1.json" --to "$A2" \
  --amount 300)
echo "$out"
json=$("$WALLET" --node "$(rpc_of 2)" --json transfer --key "$ACCOUNTS/account-2.json" \
  --to "$A0" --amount 7 --fee 2)
echo "$json"
[ "$(json_field status <<<"$json")" = committed ] || fail "JSON transfer not committed"
[ "$(json_field verified <<<"$json")" = true ] || fail "JSON transfer certificate not verified"

step "a transfer with --no-wait, then followed with tx HASH"
json=$("$WALLET" --node "$(rpc_of 3)" --json transfer --no-wait \
  --key "$ACCOUNTS/account-3.json" --to "$A0" --amount 11)
hash=$(json_field hash <<<"$json")
[ "${#hash}" -eq 64 ] || fail "no hash from --no-wait transfer: $json"
tx_committed() { "$WALLET" --node "$(rpc_of 3)" --json tx "$hash" | grep -q '"status": "committed"'; }
wait_for 30 "transaction $hash to commit" tx_committed
"$WALLET" --node "$(rpc_of 3)" tx "$hash"

step "balances add up on every node"
declare -A expected=(
  [0]=$((1000000000000 - 1000 - 5 + 7 + 11))
  [1]=$((1000000000000 + 1000 - 300))
  [2]=$((1000000000000 + 300 - 7 - 2))
  [3]=$((1000000000000 - 11))
)
validators=$("$WALLET" --node "$(rpc_of 0)" --json validators |
  grep -o '"address": *"syn[0-9a-f]*"' | sed -E 's/.*"(syn[0-9a-f]*)"/\1/')
balance_of() { "$WALLET" --node "$(rpc_of "$1")" --json balance "$2" | json_field balance; }
check_balances() {
  local node=$1 j total=0 b
  for j in 0 1 2 3; do
    b=$(balance_of "$node" "$(address "$j")")
    [ "$b" = "${expected[$j]}" ] || return 1
  done
  for j in 0 1 2 3 4 5 6 7; do total=$((total + $(balance_of "$node" "$(address "$j")"))); done
  for a in $validators; do total=$((total + $(balance_of "$node" "$a"))); done
  [ "$total" = "$SUPPLY" ]
}
for node in 0 1 2 3; do
  wait_for 20 "balances on node-$node" check_balances "$node"
  echo "   node-$node: balances as expected, total supply $SUPPLY intact"
done

step "status agrees"
status=$("$TESTNET" status --dir "$DIR")
echo "$status"
grep -q "agreement: all 4 answering nodes have block" <<<"$status" || fail "status: no agreement"
"$TESTNET" status --dir "$DIR" --json | grep -q '"agree": true' || fail "status --json: no agreement"

step "a node restarted with a relative --dir is recognised from any working directory"
(cd "$(dirname "$DIR")" && "$TESTNET" restart --dir "$(basename "$DIR")" node-3)
all_up() { [ "$("$TESTNET" status --dir "$1" | grep -cE '^node-[0-9]+ +[0-9]+ +up ')" = 4 ]; }
wait_for 30 "node-3 recognised as up after a relative restart" all_up "$DIR"
(cd "$(dirname "$DIR")" && all_up "$(basename "$DIR")") ||
  fail "status with a relative --dir: not every node up"

step "kill node-2, keep transferring, restart it, watch it catch up"
"$TESTNET" kill --dir "$DIR" 2
"$TESTNET" status --dir "$DIR" | grep -qE "^node-2 +- +down" || fail "node-2 not shown as down"
for i in 1 2 3; do
  "$WALLET" --node "$(rpc_of 0)" transfer --key "$ACCOUNTS/account-4.json" --to "$A3" --amount 100 \
    >/dev/null
done
expected[3]=$((expected[3] + 300))
target=$("$WALLET" --node "$(rpc_of 0)" --json status | json_field stored_height)
"$TESTNET" restart --dir "$DIR" node-2
caught_up() {
  local h
  h=$("$WALLET" --node "$(rpc_of 2)" --json status | json_field stored_height)
  [ "$h" -ge "$target" ]
}
wait_for 60 "node-2 to reach height $target" caught_up
wait_for 20 "balances on the restarted node-2" check_balances 2
echo "   node-2 caught up to height $target with the right balances"
"$TESTNET" status --dir "$DIR" | tee /dev/stderr | grep -q "agreement: all 4" ||
  fail "no agreement after the restart"

step "pause and resume"
"$TESTNET" pause --dir "$DIR" node-3
"$TESTNET" status --dir "$DIR" | grep -qE "^node-3 +[0-9]+ +paused" || fail "node-3 not paused"
"$TESTNET" resume --dir "$DIR" 3
"$TESTNET" logs --dir "$DIR" 3 --lines 3

step "bench for 5 seconds gives a well-formed JSON report"
"$TESTNET" bench --dir "$DIR" --duration 5 --json >"$WORK/bench.json"
cat "$WORK/bench.json"
for key in tps committed submitted p50 p90 p99 cpu_percent rss_mb_max generator_cpu_percent; do
  grep -q "\"$key\":" "$WORK/bench.json" || fail "bench report lacks $key"
done
[ "$(json_field committed <"$WORK/bench.json")" -gt 0 ] || fail "bench committed nothing"
[ "$(grep -c '"name": "node-' "$WORK/bench.json")" -eq 4 ] || fail "bench lacks per-node figures"

step "down"
"$TESTNET" down --dir "$DIR"
[ "$("$TESTNET" status --dir "$DIR" | grep -cE '^node-[0-9] +- +down')" -eq 4 ] ||
  fail "nodes still running after down"
echo "PASS"
