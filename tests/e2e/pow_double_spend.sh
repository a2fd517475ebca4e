#!/usr/bin/env bash
# e2e, proof of work: the live double spend. On a 4-miner testnet, `scenario double-spend`
# runs two rounds: an attacker with 10% of the hash power pays a merchant, mines a secret
# branch holding a conflicting payment, and fails; with 75% it publishes a branch with more
# work and the merchant's payment, confirmed 6 blocks deep, is reversed.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$1"

BASE=$(pick_base_port 4)

step "init a 4-miner PoW testnet (base port $BASE) and start it"
"$TESTNET" init --dir "$DIR" --base-port "$BASE" --consensus pow --block-interval-ms 1000 \
  --hash-rate 20000 >/dev/null
"$TESTNET" up --dir "$DIR" --timeout 60

step "PBFT scenarios refuse a proof-of-work testnet"
set +e
out=$("$TESTNET" scenario crash-primary --dir "$DIR" 2>&1)
code=$?
set -e
[ "$code" -eq 1 ] || fail "crash-primary on a PoW testnet exited $code"
grep -q "^FAIL: the crash-primary scenario needs a PBFT testnet" <<<"$out" ||
  fail "crash-primary on a PoW testnet: $out"

step "scenario double-spend"
set +e
out=$("$TESTNET" scenario double-spend --dir "$DIR" 2>&1)
code=$?
set -e
echo "$out"
[ "$code" -eq 0 ] || fail "double-spend exited $code"
[ "$(tail -n 1 <<<"$out")" = PASS ] || fail "no PASS verdict"
# The attack really happened in both rounds: conflicting payments, one on each branch.
[ "$(grep -c "attack under way: node-3's secret branch holds the conflicting payment" \
  <<<"$out")" -eq 2 ] || fail "the attacker did not mine the conflicting payment twice"
[ "$(grep -c "the merchant sees the payment [0-9]* blocks deep" <<<"$out")" -eq 2 ] ||
  fail "the merchant did not see its payment confirmed in both rounds"
grep -q "the minority attacker failed: the payment stands" <<<"$out" || fail "minority outcome"
grep -q "the majority attacker reversed a payment the merchant had seen 6 blocks deep" \
  <<<"$out" || fail "majority outcome"
grep -qE "the conflicting one committed; [1-9][0-9]* reorg\(s\) on node-0" <<<"$out" ||
  fail "the majority round did not reorganise node-0"

rpc() { # rpc NODE METHOD PARAMS_JSON: the raw JSON-RPC answer
  curl -s --max-time 5 -H 'Content-Type: application/json' \
    -d "{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"$2\", \"params\": $3}" \
    "http://$(rpc_of "$1")/"
}

step "get_chain_tips on node-0 lists the public branch the reorg abandoned"
tips=$(rpc 0 get_chain_tips '{}')
echo "$tips"
grep -q '"status":"active"' <<<"$tips" || fail "no active tip"
longest_fork=$(grep -o '"branch_length":[0-9]*,"hash":"[0-9a-f]*","height":[0-9]*,"status":"valid-fork"' \
  <<<"$tips" | sed -E 's/"branch_length":([0-9]*).*/\1/' | sort -n | tail -n 1)
[ "${longest_fork:-0}" -ge 6 ] || fail "no abandoned branch of 6 or more blocks among the tips"

step "get_blocks by locator answers from the block after the locator's hash"
hash5=$("$WALLET" --node "$(rpc_of 0)" --json block 5 | json_field hash)
answer=$(rpc 0 get_blocks "{\"locator\": [\"$hash5\"], \"max_blocks\": 1}")
[ "$(grep -o '"blocks":\["[0-9a-f]*"\]' <<<"$answer" | wc -l)" -eq 1 ] ||
  fail "get_blocks by locator did not answer one block: $answer"
grep -q "$hash5" <<<"$answer" || fail "the block answered does not link to block 5"
bad=$(rpc 0 get_blocks '{"locator": ["zz"]}')
grep -q '"code":-32602' <<<"$bad" || fail "a bad locator is not an invalid-params error: $bad"

step "the testnet is back: four honest miners that agree"
status=$("$TESTNET" status --dir "$DIR")
echo "$status"
[ "$(grep -cE '^node-[0-9] +[0-9]+ +up +miner ' <<<"$status")" -eq 4 ] || fail "not 4 miners up"
grep -q "agreement: all 4 answering nodes share block" <<<"$status" || fail "no agreement"

step "down"
"$TESTNET" down --dir "$DIR"
echo "PASS"
