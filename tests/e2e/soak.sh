#!/usr/bin/env bash
# e2e: a short crash soak. The soak starts the stopped testnet, kills -9 validators under
# a steady load and restarts them; the test checks that kills and restarts happened, then
# that the soak's verdict is PASS: every acknowledged transfer in the ledger, the same
# blocks everywhere, every restarted validator back in time. Afterwards no node runs.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$1"

BASE=$(pick_base_port 4)
"$TESTNET" init --dir "$DIR" --base-port "$BASE" >/dev/null

step "bad options are one-line errors"
expect_error "MIN-MAX" "$TESTNET" soak --dir "$DIR" --seconds 5 --kill-every 9
expect_error "MIN above MAX" "$TESTNET" soak --dir "$DIR" --seconds 5 --kill-every 9-3
expect_error "not both" "$TESTNET" soak --dir "$DIR" --seconds 5 --minutes 1
expect_error "no testnet in" "$TESTNET" soak --dir "$WORK/none" --seconds 5
"$TESTNET" init --dir "$WORK/pow" --consensus pow --base-port "$BASE" >/dev/null
expect_error "needs a PBFT testnet" "$TESTNET" soak --dir "$WORK/pow" --seconds 5

step "soak: 30 s, a kill every 3-5 s"
rc=0
"$TESTNET" soak --dir "$DIR" --seconds 30 --kill-every 3-5 --rate 30 --seed 12 |
  tee "$WORK/soak.out" || rc=$?
kills=$(grep -c "kill -9 node-" "$WORK/soak.out" || true)
backs=$(grep -cE "node-[0-9]+ back at height" "$WORK/soak.out" || true)
[ "$kills" -ge 2 ] || fail "only $kills kills happened"
[ "$backs" -eq "$kills" ] || fail "$kills kills but $backs validators back"
# The nodes' own logs agree: each validator started once, plus once per restart.
starts=$(cat "$DIR"/node-*/node.log | grep -c "serving chain" || true)
[ "$starts" -eq $((4 + kills)) ] || fail "$starts node starts in the logs, expected $((4 + kills))"
receipts=$(grep -vc '^#' "$DIR/soak-receipts.log" || true)
[ "$receipts" -ge 100 ] || fail "only $receipts receipts in the log"
grep -qE "^receipts +[0-9,]+ of [0-9,]+ acknowledged transactions found" "$WORK/soak.out" ||
  fail "no receipt check in the summary"
verdict=$(tail -n 1 "$WORK/soak.out")
[ "$verdict" = PASS ] || fail "the soak ended with: $verdict"
[ "$rc" -eq 0 ] || fail "the soak printed PASS but exited $rc"

step "the soak stopped the testnet it started"
"$TESTNET" status --dir "$DIR" | tee "$WORK/status.out" >/dev/null
if grep -E "^node-[0-9]" "$WORK/status.out" | grep -qw up; then
  fail "nodes still running after the soak"
fi
echo "PASS"
