# Shared helpers of the netns tests, on top of the e2e helpers (temporary directory,
# cleanup through `down`, which also removes the namespaces, watchdog, step/fail):
#   source "$(dirname "$0")/lib.sh" BIN_DIR
source "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh" "$1"

# CTest's SKIP_RETURN_CODE for these tests: the machine cannot make network namespaces.
SKIP=77

# A /24 that no interface of this machine uses, in 10.100.0.0 - 10.199.255.0: random, so
# that parallel test runs (each with its own testnet directory and names) do not meet.
pick_subnet() {
  local attempt subnet
  for attempt in $(seq 1 50); do
    subnet="10.$((100 + RANDOM % 100)).$((RANDOM % 256))"
    if ! ip -4 -o addr show 2>/dev/null | grep -q " inet $subnet\."; then
      echo "$subnet"
      return 0
    fi
  done
  fail "no free 10.x.y.0/24 subnet found"
}

# init_hosts N: a testnet of N validators, node i on SUBNET.(i+1).
init_hosts() {
  local nodes=$1 i
  SUBNET=$(pick_subnet)
  : >"$WORK/hosts"
  for ((i = 1; i <= nodes; i++)); do echo "$SUBNET.$i" >>"$WORK/hosts"; done
  "$TESTNET" init --dir "$DIR" --hosts "$WORK/hosts" >/dev/null
}

# up_netns ARGS...: up --netns; exits with SKIP (and the one-line reason) where the machine
# cannot make network namespaces.
up_netns() {
  local rc=0
  "$TESTNET" up --netns --dir "$DIR" "$@" 2>"$WORK/up.err" || rc=$?
  cat "$WORK/up.err" >&2
  if [ "$rc" -eq 3 ]; then
    echo "SKIP: $(tail -n 1 "$WORK/up.err")"
    exit "$SKIP"
  fi
  [ "$rc" -eq 0 ] || fail "up --netns exited $rc"
}

# rpc_at I: node I's RPC address (the default base port; each node has its own host).
rpc_at() { echo "$SUBNET.$(($1 + 1)):26657"; }

# height_of I: node I's stored height (empty when it does not answer).
height_of() {
  "$WALLET" --node "$(rpc_at "$1")" --json status 2>/dev/null | json_field stored_height || true
}

# The namespaces of this testnet, by the prefix the tool gives them.
namespaces_left() { ip netns list 2>/dev/null | grep -c "^$(netns_prefix)" || true; }
netns_prefix() { ls "$DIR/netns" >/dev/null 2>&1 && grep -o 'synod-[0-9a-f]\{6\}-' "$DIR/netns/commands.log" | head -n 1; }

# run_scenario NAME: the scenario must end with PASS.
run_scenario() {
  local scenario=$1 rc=0 verdict
  step "scenario $scenario"
  "$TESTNET" scenario "$scenario" --dir "$DIR" | tee "$WORK/$scenario.out" || rc=$?
  verdict=$(tail -n 1 "$WORK/$scenario.out")
  [ "$verdict" = PASS ] || fail "$scenario ended with: $verdict"
  [ "$rc" -eq 0 ] || fail "$scenario printed PASS but exited $rc"
}

# expect_agreement: every node answers and they agree on a certified block.
expect_agreement() {
  "$TESTNET" status --dir "$DIR" | tee "$WORK/status.out"
  grep -q "agreement: all $1 answering nodes" "$WORK/status.out" || fail "no agreement of all $1 nodes"
}
