#!/usr/bin/env bash
# One browser test case (tests/browser/web_view.js) with what it needs around it:
#   run.sh CASE BIN_DIR WORK_DIR
# CASE nodes, kill, transfer (pow-reorg, pos-slash): a fresh 4-validator PBFT (4-miner PoW,
# 4-validator PoS) testnet on free 127.0.0.1 ports, started by `synod-testnet up --web`,
# which then serves the page (both stopped at the end); sim-trace, sim-faults
# (pow-trace): a `synod-sim --html` page of a PBFT (PoW) run. Exits 77 (CTest: skipped) with the reason when Debian's chromium
# or the puppeteer-core npm package cannot be had; screenshots go to
# WORK_DIR/screenshots, or to docs/ with SYNOD_UPDATE_SCREENSHOTS=1.
set -euo pipefail

case_name=$1
bin=$2
work=$3
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Skipped (77) where the browser cannot be had; under CI, whose ./test installs it, that
# is a failure, so a green browser label always means the pages were really tested.
skip() {
  echo "SKIP: $*"
  if [ "${CI:-}" = true ]; then
    echo "CI=true: a browser test may not skip"
    exit 1
  fi
  exit 77
}

chromium_bin=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium_bin" ]; then
  skip "$chromium_bin is not installed (apt-get install chromium, or scripts/bootstrap)"
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  skip "node and npm are needed for puppeteer-core (scripts/bootstrap installs them)"
fi
# puppeteer-core (no browser download) from the npm registry, once per build tree.
modules="$work/node_modules"
if [ ! -d "$modules/puppeteer-core" ]; then
  mkdir -p "$work"
  cp "$here/package.json" "$here/package-lock.json" "$work/"
  if ! (cd "$work" && timeout 300 npm ci --no-audit --no-fund --cache "$work/npm-cache" >"$work/npm.log" 2>&1); then
    skip "npm could not install puppeteer-core (see $work/npm.log)"
  fi
fi

shots="$work/screenshots"
if [ "${SYNOD_UPDATE_SCREENSHOTS:-0}" = 1 ]; then
  shots="$here/../../docs"
fi
mkdir -p "$shots"
run_case() {
  NODE_PATH="$modules" CHROMIUM="$chromium_bin" timeout 210 node "$here/web_view.js" "$case_name" "$1" "$shots"
}

# The e2e helpers: a work directory ($WORK, testnet in $DIR) removed at exit, the testnet
# stopped at exit, a watchdog below CTest's timeout, pick_base_port.
export SYNOD_E2E_WATCHDOG_S=280
source "$here/../e2e/lib.sh" "$bin"
web_pid=""
stop_web_then_cleanup() {
  local status=$?
  set +e  # errexit would end this trap at the status replay below
  if [ -n "$web_pid" ]; then
    kill "$web_pid" 2>/dev/null
    wait "$web_pid" 2>/dev/null
  fi
  (exit "$status")
  cleanup
}
trap stop_web_then_cleanup EXIT

if [ "$case_name" = sim-trace ]; then
  # Seed 4: the primary is silent, so the backups change view at 900 ms; then partitions.
  "$BIN/synod-sim" --seed 4 --html "$WORK/msc.html" >/dev/null
  run_case "file://$WORK/msc.html"
  exit $?
fi
if [ "$case_name" = sim-faults ]; then
  # Seed 1 with 7 validators: drops, two partitions, crashes, a wrong-digest and a silent node.
  "$BIN/synod-sim" --seed 1 --nodes 7 --html "$WORK/msc-faults.html" >/dev/null
  run_case "file://$WORK/msc-faults.html"
  exit $?
fi
if [ "$case_name" = pow-trace ]; then
  # Seed 3: a partition {0,2|1,3} and a crash, three forks, three orphaned blocks, one reorg
  # 3 deep (n1 onto n2's #9: the picture).
  "$BIN/synod-sim" --consensus pow --seed 3 --html "$WORK/msc-pow.html" >/dev/null
  run_case "file://$WORK/msc-pow.html"
  exit $?
fi

base=$(pick_base_port 6)
web_port=$((base + 10))
consensus=pbft
init_options=()
if [ "$case_name" = pow-reorg ]; then consensus=pow; fi
if [ "$case_name" = pos-slash ]; then
  consensus=pos
  init_options=(--block-interval-ms 1000)  # a block a second: the slash comes sooner
fi
"$TESTNET" init --dir "$DIR" --base-port "$base" --consensus "$consensus" "${init_options[@]}" >/dev/null
# `up --web`, as a user would: the nodes start (within up's 60 s), then the same process
# serves the page.
: >"$WORK/web.log"  # so that the wait below never greps a file not made yet
"$TESTNET" up --dir "$DIR" --timeout 60 --web --port "$web_port" >"$WORK/web.log" 2>&1 &
web_pid=$!
for _ in $(seq 1 700); do
  if grep -q "serving" "$WORK/web.log"; then break; fi
  kill -0 "$web_pid" 2>/dev/null || fail "up --web exited: $(cat "$WORK/web.log")"
  sleep 0.1
done
run_case "http://127.0.0.1:$web_port/"
