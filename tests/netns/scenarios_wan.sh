#!/usr/bin/env bash
# netns: the PBFT fault scenarios on a 4-node testnet whose nodes are separate hosts with
# 50 ms (± 5 ms) one-way delay between them: a crashed primary, a replica that falls far
# behind, an equivocating primary. Each scenario checks agreement and liveness itself; the
# testnet must agree afterwards.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$1"

step "a 4-node testnet, one network namespace per node, 50 ms ± 5 ms between nodes"
init_hosts 4
up_netns --delay 50ms --jitter 5ms --timeout 60
grep -q "50 ms ± 5 ms one way" "$DIR/netns/links.log" || fail "the link emulator did not take the delay"

step "the delay is real: a TCP connect from node-0 to node-1 takes a round trip (~100 ms)"
ns0="$(netns_prefix)node-0"
start=$(date +%s%N)
ip netns exec "$ns0" bash -c "exec 3<>/dev/tcp/$(rpc_at 1 | tr : /)" || fail "node-0 cannot reach node-1"
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
echo "   connect took $elapsed_ms ms"
[ "$elapsed_ms" -ge 80 ] || fail "connect took $elapsed_ms ms; 50 ms one way means at least ~90 ms"

for scenario in crash-primary lagging-replica equivocating-primary; do
  run_scenario "$scenario"
done

step "all nodes agree afterwards"
expect_agreement 4
echo "PASS"
