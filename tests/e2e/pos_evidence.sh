#!/usr/bin/env bash
# e2e, proof of stake: valid slashing evidence through `synod-wallet evidence FILE`.
# init --consensus pos -> up -> node-3's key signs two different headers at the head's
# height offline (no node sees them, so no slasher reports first) -> an ordinary account
# submits them -> included; node-3 is slashed for double_sign by slash_percent of its stake
# and the reporter is paid reporter_percent of that -> the same file again is refused as
# duplicate_evidence, a file with a tampered seal as forged_evidence, and headers signed
# for another genesis with the same chain id and keys as forged_evidence too -> down.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$1"
SIGN_HEADERS=${2:?usage: $0 BIN_DIR SIGN_HEADERS_TOOL}

BASE=$(pick_base_port 4)
ACCOUNTS="$DIR/accounts"
REPORTER_KEY="$ACCOUNTS/account-1.json"

step "init and up a 4-validator PoS testnet (base port $BASE)"
init_testnet pos "proof of stake: 4 validators" --block-interval-ms 1000 >/dev/null
up_and_wait 2
NODE=$(rpc_of 0)
SLASH_PERCENT=$(json_field slash_percent <"$DIR/genesis.json")
REPORTER_PERCENT=$(json_field reporter_percent <"$DIR/genesis.json")

step "node-3's key signs two different headers at the head's height, offline"
HEIGHT=$(height_of 0)
PARENT=$("$WALLET" --node "$NODE" --json block $((HEIGHT - 1)) | json_field hash)
"$SIGN_HEADERS" "$DIR/node-3/node_key.json" "$DIR/genesis.json" "$HEIGHT" "$PARENT" \
  >"$WORK/evidence.json"
cat "$WORK/evidence.json"
OFFENDER=$("$WALLET" address --key "$DIR/node-3/node_key.json")
REPORTER=$("$WALLET" address --key "$REPORTER_KEY")
account() { "$WALLET" --node "$NODE" --json balance "$1"; }
STAKE_BEFORE=$(account "$OFFENDER" | json_field stake)
BALANCE_BEFORE=$(account "$REPORTER" | json_field balance)
SLASHED=$((STAKE_BEFORE / 100 * SLASH_PERCENT + STAKE_BEFORE % 100 * SLASH_PERCENT / 100))
REWARD=$((SLASHED / 100 * REPORTER_PERCENT + SLASHED % 100 * REPORTER_PERCENT / 100))
[ "$SLASHED" -gt 0 ] && [ "$REWARD" -gt 0 ] || fail "nothing to slash: stake $STAKE_BEFORE"
echo "   offender $OFFENDER, stake $STAKE_BEFORE; offence at height $HEIGHT"

step "account-1 submits the evidence: it is included and the chain to it verified"
# 2 confirmations: the accounts read next must not be those of a block a sibling can replace.
out=$("$WALLET" --node "$NODE" evidence "$WORK/evidence.json" --key "$REPORTER_KEY" --fee 3 \
  --confirmations 2) ||
  fail "the wallet refused valid evidence (exit $?)"
echo "$out"
grep -q "^evidence  against $OFFENDER, two headers signed at height $HEIGHT; reported by $REPORTER" \
  <<<"$out" || fail "the wallet does not say whom the evidence accuses"
grep -qE "^included in block [0-9]+ .*; [0-9]+ confirmations? after" <<<"$out" ||
  fail "evidence does not report its block"
grep -q "^proof of stake verified: blocks 0\.\.[0-9]* link up from the pinned genesis" <<<"$out" ||
  fail "evidence did not verify the chain"

step "get_account: the offender is slashed for double_sign, the reporter paid its share"
answer=$(account "$OFFENDER")
echo "$answer"
grep -q '"reason": "double_sign"' <<<"$answer" || fail "the offender is not marked slashed"
[ "$(json_field offence_height <<<"$answer")" = "$HEIGHT" ] || fail "wrong offence height"
[ "$(json_field stake <<<"$answer")" = $((STAKE_BEFORE - SLASHED)) ] ||
  fail "stake is not reduced by $SLASH_PERCENT% ($STAKE_BEFORE - $SLASHED)"
[ "$(account "$REPORTER" | json_field balance)" = $((BALANCE_BEFORE + REWARD - 3)) ] ||
  fail "the reporter was not paid $REPORTER_PERCENT% of $SLASHED (less the fee 3)"
echo "   stake $STAKE_BEFORE -> $((STAKE_BEFORE - SLASHED)); reporter +$REWARD - fee 3"

step "the same file again is refused as a duplicate"
expect_error "^synod-wallet: error: transaction refused: duplicate_evidence \(already slashed at height [0-9]+\)$" \
  "$WALLET" --node "$NODE" evidence "$WORK/evidence.json" --key "$REPORTER_KEY"
[ "$ERROR_EXIT_CODE" = 1 ] || fail "a refused evidence exits $ERROR_EXIT_CODE, not 1"

step "a file with a tampered seal is refused as forged"
# A header's encoding ends with its seal's signature: change its last hex digit.
second=$(json_field second <"$WORK/evidence.json")
last=${second: -1}
[ "$last" = 0 ] && swapped=1 || swapped=0
printf '{"first": "%s", "second": "%s"}\n' "$(json_field first <"$WORK/evidence.json")" \
  "${second%?}$swapped" >"$WORK/forged.json"
expect_error "^synod-wallet: error: transaction refused: forged_evidence$" \
  "$WALLET" --node "$NODE" evidence "$WORK/forged.json" --key "$REPORTER_KEY"
[ "$ERROR_EXIT_CODE" = 1 ] || fail "a refused evidence exits $ERROR_EXIT_CODE, not 1"

step "headers node-2's key signs for another genesis with this chain id are refused as forged"
# Network B: the same chain id and keys, one initial balance changed (another genesis hash).
sed -E '0,/"balance": [0-9]+/s/"balance": ([0-9]+)/"balance": 1\1/' "$DIR/genesis.json" \
  >"$WORK/twin-genesis.json"
CHAIN_ID=$(json_field chain_id <"$DIR/genesis.json")
[ "$(json_field chain_id <"$WORK/twin-genesis.json")" = "$CHAIN_ID" ] ||
  fail "the twin genesis has another chain id"
cmp -s "$DIR/genesis.json" "$WORK/twin-genesis.json" && fail "the twin genesis is the same genesis"
HEIGHT=$(height_of 0)
PARENT=$("$WALLET" --node "$NODE" --json block $((HEIGHT - 1)) | json_field hash)
"$SIGN_HEADERS" "$DIR/node-2/node_key.json" "$WORK/twin-genesis.json" "$HEIGHT" "$PARENT" \
  >"$WORK/twin-evidence.json"
VICTIM=$("$WALLET" address --key "$DIR/node-2/node_key.json")
VICTIM_STAKE=$(account "$VICTIM" | json_field stake)
expect_error "^synod-wallet: error: transaction refused: forged_evidence$" \
  "$WALLET" --node "$NODE" evidence "$WORK/twin-evidence.json" --key "$REPORTER_KEY"
[ "$(account "$VICTIM" | json_field stake)" = "$VICTIM_STAKE" ] ||
  fail "node-2 lost stake to another network's evidence"

step "down"
"$TESTNET" down --dir "$DIR"
echo "PASS"
