#!/usr/bin/env bash
# e2e, proof of stake: init --consensus pos -> up -> validators win the stake lottery ->
# wallet stake, unstake and transfer wait for confirmations and verify the chain from the
# pinned genesis (the lottery replayed) -> status agrees in PoS terms -> the
# nothing-at-stake scenario (PASS): the double-signer's two blocks at one height, the
# evidence, the slash, the reporter paid its share and the rest burned, and the chain going
# on without it -> its account says double_sign -> a malformed evidence file is refused with
# a reason -> down. Duplicate and forged evidence are refused in pos_evidence.sh.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$1"

BASE=$(pick_base_port 4)
ACCOUNTS="$DIR/accounts"

step "bad PoS options are one-line errors"
expect_error "^synod-testnet: error: --block-interval-ms: must be 1000 to 60000 for a pos" \
  "$TESTNET" init --dir "$DIR" --consensus pos --block-interval-ms 500
expect_error "^synod-testnet: error: --hash-rate: only for --consensus pow" \
  "$TESTNET" init --dir "$DIR" --consensus pos --hash-rate 100

step "init a 4-validator PoS testnet (base port $BASE), one block a second on average"
init_testnet pos "proof of stake: 4 validators staking 1,000 each" --block-interval-ms 1000

step "up, and the validators sign 3 blocks"
up_and_wait 3
A0=$(address 0)
A1=$(address 1)

step "stake, then a transfer with 2 confirmations, verified from the pinned genesis"
# 2 confirmations before another node is asked: a block only 1 deep can still lose to a
# sibling (and another node may not have stored it yet).
out=$("$WALLET" --node "$(rpc_of 0)" stake --key "$ACCOUNTS/account-0.json" --amount 500 \
  --confirmations 2)
echo "$out"
grep -q "^proof of stake verified: blocks 0\.\.[0-9]* link up from the pinned genesis" <<<"$out" ||
  fail "stake did not verify the chain"
[ "$("$WALLET" --node "$(rpc_of 1)" --json balance "$A0" | json_field stake)" = 500 ] ||
  fail "the stake is not on account-0"
out=$("$WALLET" --node "$(rpc_of 1)" transfer --key "$ACCOUNTS/account-0.json" --to "$A1" \
  --amount 1000 --confirmations 2)
echo "$out"
grep -qE "^included in block [0-9]+ .*; [0-9]+ confirmations after" <<<"$out" ||
  fail "transfer does not report its block and confirmations"

step "unstake: the coins unbond; unstaking more than the stake is refused with a reason"
json=$("$WALLET" --node "$(rpc_of 2)" --json unstake --key "$ACCOUNTS/account-0.json" --amount 200 \
  --confirmations 2)
[ "$(json_field status <<<"$json")" = committed ] || fail "unstake not committed"
answer=$("$WALLET" --node "$(rpc_of 2)" --json balance "$A0")
echo "$answer"
[ "$(json_field stake <<<"$answer")" = 300 ] || fail "stake after unstake is not 300"
expect_error "insufficient_stake" \
  "$WALLET" --node "$(rpc_of 2)" unstake --key "$ACCOUNTS/account-0.json" --amount 301

step "status shows the validators and their agreement in PoS terms"
wait_for 60 "the four validators to agree" agree_all 4
status=$("$TESTNET" status --dir "$DIR")
echo "$status"
grep -qE "^NODE +PID +STATE +ROLE +RPC +HEIGHT +HEAD +LENGTH +TIPS +DIFFICULTY +STAKE" \
  <<<"$status" || fail "status lacks the PoS columns"

step "scenario nothing-at-stake"
out=$("$TESTNET" scenario nothing-at-stake --dir "$DIR") || {
  echo "$out"
  fail "the nothing-at-stake scenario failed"
}
echo "$out"
grep -qE "offence: node-3 signed two different blocks at height [0-9]+: [0-9a-f]{64} and [0-9a-f]{64}," \
  <<<"$out" || fail "no offence shown with its two blocks"
grep -qE "reporter: node-[0-2] \(syn[0-9a-f]+\) was paid [1-9][0-9]* = reporter_percent" <<<"$out" ||
  fail "the reporter's payment is not shown"
grep -qE "burned: [1-9][0-9]* left the supply" <<<"$out" || fail "the burn is not shown"
grep -qE "none of the [0-9]+ blocks after the slash is node-3's" <<<"$out" ||
  fail "the chain going on without the offender is not shown"
grep -q "slashed, reason double_sign, at block [0-9]*, lottery stake 0" <<<"$out" ||
  fail "the ledgers do not show the offender out of the lottery"
grep -q "^PASS$" <<<"$out" || fail "no PASS"
OFFENDER=$("$WALLET" address --key "$DIR/node-3/node_key.json")
answer=$("$WALLET" --node "$(rpc_of 0)" --json balance "$OFFENDER")
echo "$answer"
grep -q '"reason": "double_sign"' <<<"$answer" || fail "get_account does not say why it was slashed"

step "evidence: a malformed file is refused with a reason"
printf '{"first": "00", "second": "00"}' >"$DIR/bad-evidence.json"
expect_error "neither a header nor a block" \
  "$WALLET" --node "$(rpc_of 0)" evidence "$DIR/bad-evidence.json" --key "$ACCOUNTS/account-1.json"

step "down"
"$TESTNET" down --dir "$DIR"
echo "PASS"
