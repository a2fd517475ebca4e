#!/usr/bin/env bash
# netns: partitions on a 4-node testnet with 20 ms between nodes.
#  - 2/2: neither side has a quorum (2f+1 = 3), so nothing commits; after heal, it does.
#  - 3/1: the majority keeps committing; the cut-off node catches up after heal.
# Agreement of all nodes after each heal.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$1"
ACCOUNTS="$DIR/accounts"

step "a 4-node testnet, one network namespace per node, 20 ms between nodes"
init_hosts 4
up_netns --delay 20ms --timeout 60
TO=$("$WALLET" address --key "$ACCOUNTS/account-1.json")

# send NODE ACCOUNT: a transfer through NODE, not waiting; prints its hash.
send() {
  "$WALLET" --node "$(rpc_at "$1")" --json transfer --no-wait --key "$ACCOUNTS/account-$2.json" \
    --to "$TO" --amount 1 | json_field hash
}
# committed_on NODE HASH
committed_on() { "$WALLET" --node "$(rpc_at "$1")" --json tx "$2" | grep -q '"status": "committed"'; }

step "partition 0,1 / 2,3: no side has 3 of 4 votes"
"$TESTNET" partition --dir "$DIR" 0,1/2,3
hash=$(send 0 0)
[ -n "$hash" ] || fail "node-0 refused the transfer"
sleep 6
if committed_on 0 "$hash" || committed_on 2 "$hash"; then
  fail "a transfer committed with the network split 2/2: a quorum without 2f+1 nodes"
fi
echo "   not committed after 6 s, as it must not be"

step "heal: the transfer commits everywhere"
"$TESTNET" heal --dir "$DIR"
# The emulator logs its counters when the rules change: the partition really cut packets.
cut=$(grep -o 'cut [0-9]*' "$DIR/netns/links.log" | tail -n 1 | cut -d' ' -f2 || true)
[ "${cut:-0}" -gt 0 ] || fail "the link emulator cut no packets during the partition"
echo "   the link emulator dropped $cut packets between the halves"
for node in 0 1 2 3; do wait_for 90 "the transfer to commit on node-$node" committed_on "$node" "$hash"; done
expect_agreement 4

step "partition 0,1,2 / 3: the majority keeps committing"
"$TESTNET" partition --dir "$DIR" 0,1,2/3
# Messages already in the emulator's delay queue at the cut are still delivered, and a block
# is stored after it commits: node-3's height is read once two readings 1.5 s apart agree.
before=$(height_of 3)
for _ in $(seq 1 10); do
  sleep 1.5
  now=$(height_of 3)
  [ "$now" = "$before" ] && break
  before=$now
done
for account in 2 3 4; do
  hash=$(send 0 "$account")
  wait_for 60 "a transfer to commit on the majority" committed_on 1 "$hash"
done
[ "$(height_of 3)" = "$before" ] || fail "node-3 moved from height $before while cut off"
echo "   node-3 stayed at height $before"

step "heal: node-3 catches up"
"$TESTNET" heal --dir "$DIR"
wait_for 90 "node-3 to commit the last transfer" committed_on 3 "$hash"
hash=$(send 3 5)
wait_for 60 "a transfer through node-3 to commit" committed_on 0 "$hash"
expect_agreement 4
echo "PASS"
