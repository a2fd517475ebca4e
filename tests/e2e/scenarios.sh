#!/usr/bin/env bash
# e2e: every synod-testnet scenario ends with PASS on a live 4-node testnet.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$1"

BASE=$(pick_base_port 4)
"$TESTNET" init --dir "$DIR" --base-port "$BASE" >/dev/null
"$TESTNET" up --dir "$DIR" --timeout 60

for scenario in crash-backup crash-primary equivocating-primary forged-signatures lagging-replica; do
  step "scenario $scenario"
  rc=0
  "$TESTNET" scenario "$scenario" --dir "$DIR" | tee "$WORK/$scenario.out" || rc=$?
  verdict=$(tail -n 1 "$WORK/$scenario.out")
  [ "$verdict" = PASS ] || fail "$scenario ended with: $verdict"
  [ "$rc" -eq 0 ] || fail "$scenario printed PASS but exited $rc"
  [ "$(grep -cE '^(PASS|FAIL)' "$WORK/$scenario.out")" -eq 1 ] || fail "$scenario: more than one verdict"
done

step "an unknown scenario is an error"
expect_error "unknown scenario" "$TESTNET" scenario no-such-thing --dir "$DIR"

step "the testnet is intact afterwards"
"$TESTNET" status --dir "$DIR" | tee /dev/stderr | grep -q "agreement: all 4" ||
  fail "no agreement after the scenarios"
echo "PASS"
