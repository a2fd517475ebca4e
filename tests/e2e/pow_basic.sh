#!/usr/bin/env bash
# e2e, proof of work: init --consensus pow -> up -> the miners mine -> wallet transfers wait
# for 2 confirmations and verify the chain from the pinned genesis -> balances and the
# supply (genesis + block rewards) add up on every node -> status agrees in PoW terms ->
# kill -9 a miner, restart it, it catches up and agrees -> down.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$1"

BASE=$(pick_base_port 4)
ACCOUNTS="$DIR/accounts"
BALANCE=1000000000000
SUPPLY=$((8 * BALANCE))
REWARD=50

step "bad PoW options are one-line errors"
expect_error "^synod-testnet: error: --block-interval-ms: must be 100 to" \
  "$TESTNET" init --dir "$DIR" --consensus pow --block-interval-ms 5
expect_error "^synod-testnet: error: --hash-rate: must be 1 to" \
  "$TESTNET" init --dir "$DIR" --consensus pow --hash-rate 0
expect_error "^synod-testnet: error: --hash-rate: only for --consensus pow" \
  "$TESTNET" init --dir "$DIR" --hash-rate 100
expect_error "^synod-testnet: error: --block-interval-ms: " \
  "$TESTNET" init --dir "$DIR" --consensus pow --block-interval-ms 1s

step "init a 4-miner PoW testnet (base port $BASE), one block a second"
init_testnet pow "proof of work: 4 miners at up to 20,000 hashes/s each" \
  --block-interval-ms 1000 --hash-rate 20000
grep -q '"hash_rate_limit": 20000' "$DIR/node-0/config.json" || fail "node-0 does not mine"

step "up, and node-0 mines 3 blocks"
up_and_wait 3
A0=$(address 0)
A1=$(address 1)
A2=$(address 2)

step "wallet status speaks PoW"
out=$("$WALLET" --node "$(rpc_of 0)" status)
echo "$out"
grep -qE "^finality +probabilistic" <<<"$out" || fail "wallet status lacks finality"
# Sampled once a second: a node just started may still report 0 H/s.
grep -qE "^hash rate +[0-9.]+ (k|M)?H/s" <<<"$out" || fail "wallet status lacks the hash rate"

step "block 1, verified from the pinned genesis (pinned now)"
out=$("$WALLET" --node "$(rpc_of 0)" block 1)
echo "$out"
grep -qE "^seal +pow nonce [0-9]+, target [0-9a-f]{64}" <<<"$out" || fail "block lacks its PoW seal"
grep -q "^proof of work verified: blocks 0\.\.[0-9]* link up" <<<"$out" || fail "block not verified"

step "a PoW transfer needs at least 1 confirmation"
expect_error "--confirmations 0: on a proof-of-work chain" \
  "$WALLET" --node "$(rpc_of 0)" transfer --key "$ACCOUNTS/account-0.json" --to "$A1" \
  --amount 1 --confirmations 0

step "two transfers, each waiting for 2 confirmations and verifying the chain"
out=$("$WALLET" --node "$(rpc_of 0)" transfer --key "$ACCOUNTS/account-0.json" --to "$A1" \
  --amount 1000 --fee 5 --confirmations 2)
echo "$out"
grep -qE "^included in block [0-9]+ .*; [0-9]+ confirmations after" <<<"$out" ||
  fail "transfer does not report its block and confirmations"
grep -q "^proof of work verified: blocks 0\.\.[0-9]* link up from the pinned genesis" <<<"$out" ||
  fail "transfer did not verify the proof of work"
json=$("$WALLET" --node "$(rpc_of 1)" --json transfer --key "$ACCOUNTS/account-1.json" \
  --to "$A2" --amount 300 --fee 2 --confirmations 2)
echo "$json"
[ "$(json_field status <<<"$json")" = committed ] || fail "JSON transfer not committed"
[ "$(json_field confirmations <<<"$json")" -ge 2 ] || fail "JSON transfer has < 2 confirmations"
[ "$(json_field verified <<<"$json")" = true ] || fail "JSON transfer chain not verified"
hash=$(json_field hash <<<"$json")

step "tx and block show confirmations and the verified work"
out=$("$WALLET" --node "$(rpc_of 2)" tx "$hash")
echo "$out"
grep -qE "^confirmations +[0-9]+ \(in the best chain" <<<"$out" || fail "tx lacks confirmations"
grep -qE "^proof of work +verified: blocks 0\.\.[0-9]+ link up" <<<"$out" ||
  fail "tx lacks the proof of work"
out=$("$WALLET" --node "$(rpc_of 3)" block latest)
echo "$out" | head -n 14
grep -qE "^confirmations +[0-9]+ \(in the best chain" <<<"$out" || fail "block lacks confirmations"
json=$("$WALLET" --node "$(rpc_of 3)" --json block 1)
grep -q '"in_best_chain": true' <<<"$json" || fail "block --json lacks in_best_chain"
grep -q '"verified": true' <<<"$json" || fail "block --json lacks pow_verified"

step "balances and the supply (genesis + rewards; fees move to miners) add up on every node"
declare -A expected=(
  [0]=$((BALANCE - 1000 - 5))
  [1]=$((BALANCE + 1000 - 300 - 2))
  [2]=$((BALANCE + 300))
)
miners=$("$WALLET" --node "$(rpc_of 0)" --json validators |
  grep -o '"address": *"syn[0-9a-f]*"' | sed -E 's/.*"(syn[0-9a-f]*)"/\1/')
[ "$(wc -w <<<"$miners")" -eq 4 ] || fail "validators does not list 4 miners: $miners"
check_balances() {
  local node=$1 j answer total=0 heights=""
  for j in 0 1 2; do
    [ "$("$WALLET" --node "$(rpc_of "$node")" --json balance "$(address "$j")" |
      json_field balance)" = "${expected[$j]}" ] || return 1
  done
  # The supply at one height: every account and miner, read while no block arrived.
  for a in $(for j in 0 1 2 3 4 5 6 7; do address "$j"; done) $miners; do
    answer=$("$WALLET" --node "$(rpc_of "$node")" --json balance "$a")
    total=$((total + $(json_field balance <<<"$answer")))
    heights="$heights $(json_field height <<<"$answer")"
  done
  [ "$(tr ' ' '\n' <<<"$heights" | sort -u | grep -c .)" = 1 ] || return 1
  [ "$total" = $((SUPPLY + REWARD * $(tr ' ' '\n' <<<"$heights" | grep . | head -n 1))) ]
}
for node in 0 1 2 3; do
  wait_for 30 "balances on node-$node" check_balances "$node"
  echo "   node-$node: balances as expected; supply = genesis + $REWARD a block"
done

step "status shows the miners and their agreement in PoW terms"
wait_for 60 "node-0 to pass height 8" at_least 0 8
wait_for 30 "the four miners to agree" agree_all 4
status=$("$TESTNET" status --dir "$DIR")
echo "$status"
grep -qE "^NODE +PID +STATE +ROLE +RPC +HEIGHT +HEAD +TIP WORK +TIPS +HASH RATE +REORGS +PEERS" \
  <<<"$status" || fail "status lacks the PoW columns"
[ "$(grep -cE '^node-[0-9] +[0-9]+ +up +miner ' <<<"$status")" -eq 4 ] || fail "not 4 miners up"
"$TESTNET" status --dir "$DIR" --json | grep -q '"agree": true' || fail "status --json: no agreement"

step "kill -9 node-2, keep mining and transferring, restart it, watch it catch up"
"$TESTNET" kill --dir "$DIR" 2
"$TESTNET" status --dir "$DIR" | grep -qE "^node-2 +- +down" || fail "node-2 not shown as down"
"$WALLET" --node "$(rpc_of 0)" transfer --key "$ACCOUNTS/account-0.json" --to "$A2" --amount 50 \
  --confirmations 1 >/dev/null
expected[0]=$((expected[0] - 50))
expected[2]=$((expected[2] + 50))
target=$(($(height_of 0) + 2))
wait_for 60 "node-0 to reach height $target without node-2" at_least 0 "$target"
"$TESTNET" restart --dir "$DIR" node-2
wait_for 60 "node-2 to reach height $target" at_least 2 "$target"
wait_for 30 "balances on the restarted node-2" check_balances 2
echo "   node-2 caught up to height $target with the right balances"
wait_for 60 "the four miners to agree after the restart" agree_all 4
"$TESTNET" status --dir "$DIR" | tail -n 1

step "down"
"$TESTNET" down --dir "$DIR"
[ "$("$TESTNET" status --dir "$DIR" | grep -cE '^node-[0-9] +- +down')" -eq 4 ] ||
  fail "nodes still running after down"
echo "PASS"
