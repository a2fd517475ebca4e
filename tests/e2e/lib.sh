# Shared helpers of the e2e tests. Source it with the directory holding the binaries:
#   source "$(dirname "$0")/lib.sh" BIN_DIR
# It makes a temporary work directory (removed at exit), points the wallet's pinned-genesis
# store into it, and always stops the testnet at exit, printing the nodes' last log lines
# when the test failed.

BIN=$(cd "${1:?usage: $0 BIN_DIR}" && pwd)
WALLET="$BIN/synod-wallet"
TESTNET="$BIN/synod-testnet"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/synod-e2e.XXXXXX")
DIR="$WORK/net"
export SYNOD_HOME="$WORK/wallet-home"
unset SYNOD_NODE SYNOD_TESTNET_DIR

cleanup() {
  local status=$?
  kill "$WATCHDOG" 2>/dev/null || true
  if [ -f "$DIR/genesis.json" ]; then
    if [ "$status" -ne 0 ]; then
      for log in "$DIR"/node-*/node.log "$DIR"/full-*/node.log; do
        [ -f "$log" ] || continue
        echo "---- last lines of $log"
        tail -n 25 "$log"
      done
    fi
    "$TESTNET" down --dir "$DIR" --grace 5 >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# CTest's timeout (300 s) would kill this script without letting it stop the nodes, which
# run in their own sessions: give up a little earlier, through the traps above.
(
  # The sleep must not hold this test's output open, or CTest would wait for it.
  sleep "${SYNOD_E2E_WATCHDOG_S:-280}" </dev/null >/dev/null 2>&1 &
  sleeper=$!
  trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
  wait "$sleeper"
  echo "FAIL: watchdog: the test took too long" >&2
  kill -TERM $$
) &
WATCHDOG=$!

step() { echo "== $*"; }
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# True when something accepts connections on 127.0.0.1:PORT.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A base port for N nodes, validators and full nodes together (2N consecutive ports, none
# in use), below the kernel's ephemeral range so outgoing connections do not take them
# meanwhile.
pick_base_port() {
  local nodes=$1 attempt base port busy
  for attempt in $(seq 1 100); do
    base=$((10000 + (RANDOM % 500) * 40))
    busy=0
    for ((port = base; port < base + 2 * nodes; port++)); do
      if port_busy "$port"; then
        busy=1
        break
      fi
    done
    if [ "$busy" = 0 ]; then
      echo "$base"
      return 0
    fi
  done
  fail "no free ports found"
}

# json_field KEY: the first value of "KEY" in the (pretty-printed) JSON on stdin.
json_field() {
  grep -o "\"$1\": *[^,}]*" | head -n 1 | sed -E 's/^"[^"]*": *//; s/^"//; s/"[[:space:]]*$//'
}

# rpc_of SLOT: a node's RPC address (base port from $BASE); validator i is slot i, full node j
# of a testnet with n validators is slot n+j.
rpc_of() { echo "127.0.0.1:$((BASE + 2 * $1 + 1))"; }

# expect_error PATTERN COMMAND...: the command fails with one line on stderr matching PATTERN.
# Its exit code is left in ERROR_EXIT_CODE.
expect_error() {
  local pattern=$1
  shift
  local err rc=0
  err=$("$@" 2>&1 >/dev/null) || rc=$?
  ERROR_EXIT_CODE=$rc
  if [ "$rc" -eq 0 ]; then
    fail "expected failure (\"$pattern\") but succeeded: $*"
  fi
  if [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ]; then
    fail "expected a one-line error from: $*; got:
$err"
  fi
  if ! grep -qE -- "$pattern" <<<"$err"; then
    fail "error from: $* does not match \"$pattern\": $err"
  fi
  echo "   ok (exit $rc): $err"
}

# wait_for SECONDS DESCRIPTION COMMAND...: retries COMMAND until it succeeds.
wait_for() {
  local seconds=$1 what=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      fail "timed out after ${seconds}s waiting for $what"
    fi
    sleep 0.2
  done
}

# The helpers below drive a testnet made in $DIR, its nodes' RPC ports given by rpc_of.
# address N: the address of the testnet's account-N.
address() { "$WALLET" address --key "$DIR/accounts/account-$1.json"; }
# height_of SLOT: a node's height; at_least SLOT HEIGHT: whether it reached HEIGHT.
height_of() { "$WALLET" --node "$(rpc_of "$1")" --json status | json_field height; }
at_least() { [ "$(height_of "$1")" -ge "$2" ]; }
# agree_all N: `synod-testnet status` finds all N answering nodes sharing a block.
agree_all() {
  "$TESTNET" status --dir "$DIR" | grep -q "agreement: all $1 answering nodes share block"
}

# init_testnet MODE DESCRIPTION ARGS...: `synod-testnet init` of a MODE testnet at port $BASE
# with ARGS, whose output must describe it (DESCRIPTION, a grep pattern).
init_testnet() {
  local mode=$1 description=$2 out
  shift 2
  out=$("$TESTNET" init --dir "$DIR" --base-port "$BASE" --consensus "$mode" "$@")
  echo "$out"
  grep -q "$description" <<<"$out" || fail "init does not describe the $mode testnet"
  grep -q "\"consensus\": \"$mode\"" "$DIR/genesis.json" || fail "genesis is not $mode"
}

# up_and_wait BLOCKS: starts the testnet and waits for node-0 to have BLOCKS blocks.
up_and_wait() {
  "$TESTNET" up --dir "$DIR" --timeout 60
  wait_for 60 "node-0 to have $1 blocks" at_least 0 "$1"
}
