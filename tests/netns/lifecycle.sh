#!/usr/bin/env bash
# netns: what up --netns makes, down removes, also after a crash of everything; bad inputs
# get one-line errors.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$1"

step "a loopback testnet cannot go into namespaces"
"$TESTNET" init --dir "$WORK/loop" >/dev/null
rc=0
"$TESTNET" up --netns --dir "$WORK/loop" 2>"$WORK/err" || rc=$?
[ "$rc" -ne 3 ] || { echo "SKIP: $(cat "$WORK/err")"; exit "$SKIP"; }
[ "$rc" -eq 1 ] && grep -q "init --hosts" "$WORK/err" || fail "expected a --hosts hint, got: $(cat "$WORK/err")"
expect_error "shape the links of up --netns" "$TESTNET" up --dir "$WORK/loop" --delay 10ms
expect_error "does not run in network namespaces" "$TESTNET" partition --dir "$WORK/loop" 0/1
rm -rf "$WORK/loop"

step "bad hosts files"
printf '10.1.2.1\n10.1.2.2\nnode-c\n' >"$WORK/bad-hosts"
expect_error "line 3: \"node-c\" is not an IPv4 address" "$TESTNET" init --dir "$WORK/bad" --hosts "$WORK/bad-hosts"
printf '10.1.2.%d\n' 1 2 3 4 >"$WORK/four-hosts"
expect_error "4 hosts for 5 nodes" "$TESTNET" init --dir "$WORK/bad" --hosts "$WORK/four-hosts" --nodes 5
expect_error "cannot read" "$TESTNET" init --dir "$WORK/bad" --hosts "$WORK/no-such-file"

step "bad shapes and groups"
init_hosts 4
grep -q "\"peer_address\": \"$SUBNET.3:26656\"" "$DIR/genesis.json" || fail "the genesis does not follow the hosts file"
expect_error "expected a duration" "$TESTNET" up --netns --dir "$DIR" --delay 50
expect_error "may not exceed --delay" "$TESTNET" up --netns --dir "$DIR" --delay 1ms --jitter 2ms
expect_error "expected a percentage" "$TESTNET" up --netns --dir "$DIR" --loss 101%

step "up --netns"
up_netns --loss 1%
[ "$(namespaces_left)" -eq 4 ] || fail "expected 4 namespaces, found $(namespaces_left)"
expect_error "named twice" "$TESTNET" partition --dir "$DIR" 0,1/1,2
expect_error "expected an index" "$TESTNET" partition --dir "$DIR" 0/7
expect_error "already running" "$TESTNET" up --netns --dir "$DIR"

step "the wallet reaches a node from the host"
"$WALLET" --node "$(rpc_at 2)" status | head -n 3

step "everything crashes: the emulator and every node are killed"
kill -9 "$(cat "$DIR/netns/links.pid")"
for node in 0 1 2 3; do kill -9 "$(cat "$DIR/node-$node/node.pid")"; done
sleep 0.5
expect_error "without their link emulator" "$TESTNET" up --dir "$DIR"

step "down removes what is left"
"$TESTNET" down --dir "$DIR" | tee "$WORK/down.out"
grep -q "4 network namespaces" "$WORK/down.out" || fail "down did not report the namespaces"
[ "$(namespaces_left)" -eq 0 ] || fail "$(namespaces_left) namespaces left after down"
! ip link show | grep -q "$(netns_prefix | sed 's/^synod-/sy/; s/-$//')" || fail "links left after down"

step "up --netns again after the crash, then down"
up_netns
"$TESTNET" down --dir "$DIR" >/dev/null
[ "$(namespaces_left)" -eq 0 ] || fail "namespaces left after down"
echo "PASS"
