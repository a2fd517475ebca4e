#!/usr/bin/env bash
# e2e: every bad input to synod-wallet gives a one-line error and a non-zero exit.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$1"

BASE=$(pick_base_port 4)
"$TESTNET" init --dir "$DIR" --base-port "$BASE" >/dev/null
"$TESTNET" up --dir "$DIR" --timeout 60 >/dev/null
NODE=$(rpc_of 0)
KEY="$DIR/accounts/account-0.json"
TO=$("$WALLET" address --key "$DIR/accounts/account-1.json")
w() { "$WALLET" --node "$NODE" "$@"; }

step "amounts"
expect_error "negative" w transfer --key "$KEY" --to "$TO" --amount -5
expect_error "negative" w transfer --key "$KEY" --to "$TO" --amount=-1
expect_error "whole numbers" w transfer --key "$KEY" --to "$TO" --amount 1.5
expect_error "whole numbers" w transfer --key "$KEY" --to "$TO" --amount 1e6
expect_error "not a number" w transfer --key "$KEY" --to "$TO" --amount abc
expect_error "not a number" w transfer --key "$KEY" --to "$TO" --amount 0x10
expect_error "too large" w transfer --key "$KEY" --to "$TO" --amount 18446744073709551616
expect_error "too large" w transfer --key "$KEY" --to "$TO" --amount 99999999999999999999999999
expect_error "at least 1" w transfer --key "$KEY" --to "$TO" --amount 0
expect_error "negative" w transfer --key "$KEY" --to "$TO" --amount 5 --fee -1
expect_error "exceed" w transfer --key "$KEY" --to "$TO" --amount 18446744073709551615 --fee 1
expect_error "--timeout" w transfer --key "$KEY" --to "$TO" --amount 5 --timeout 0

step "addresses"
expect_error "--to synBAD" w transfer --key "$KEY" --to synBAD --amount 5
bad_checksum="${TO:0:10}$([ "${TO:10:1}" = 0 ] && echo 1 || echo 0)${TO:11}"
expect_error "checksum" w transfer --key "$KEY" --to "$bad_checksum" --amount 5
expect_error "address" w balance "${TO^^}"
expect_error "either an ADDRESS or --key" w balance

step "key files"
expect_error "--key: .*missing.json" w transfer --key "$WORK/missing.json" --to "$TO" --amount 5
echo "not json" >"$WORK/garbage.json"
expect_error "--key" w transfer --key "$WORK/garbage.json" --to "$TO" --amount 5
expect_error "--key" w address --key "$WORK"
"$WALLET" keygen --out "$WORK/fresh.json" >/dev/null
[ "$(stat -c %a "$WORK/fresh.json")" = 600 ] || fail "keygen did not write mode 0600"
expect_error "refusing to overwrite" "$WALLET" keygen --out "$WORK/fresh.json"

step "nodes"
free_port=$((BASE + 20))
while port_busy "$free_port"; do free_port=$((free_port + 1)); done
expect_error "cannot reach node at 127.0.0.1:$free_port: connection refused" \
  "$WALLET" --node "127.0.0.1:$free_port" status
expect_error "cannot reach node" env SYNOD_NODE="127.0.0.1:$free_port" "$WALLET" status
expect_error "HOST:PORT" "$WALLET" --node nonsense status
expect_error "bad port" "$WALLET" --node 127.0.0.1:99999 status

step "refused transactions"
w block latest >/dev/null 2>&1 # pin the genesis first: pinning prints a note on stderr
FRESH=$("$WALLET" address --key "$WORK/fresh.json")
expect_error "transaction refused: insufficient_balance" \
  w transfer --key "$WORK/fresh.json" --to "$TO" --amount 5
expect_error "transaction refused: insufficient_balance" \
  w transfer --key "$KEY" --to "$FRESH" --amount 18000000000000000000

step "lookups"
expect_error "not found" w block 999999999
expect_error "must not be negative" w block -1
expect_error "expected 64 hex digits" w tx abc
expect_error "unknown to the node" w tx "$(printf '0%.0s' {1..64})"

step "genesis checks"
"$TESTNET" init --dir "$WORK/other" --base-port $((BASE + 100)) >/dev/null
expect_error "not the genesis in" w --genesis "$WORK/other/genesis.json" block latest
pin=$(ls "$SYNOD_HOME"/pinned/*.json)
cp "$WORK/other/genesis.json" "$pin"
expect_error "pinned" w block latest
rm "$pin"
w block latest >/dev/null

step "usage errors"
expect_error "subcommand is required" "$WALLET"
expect_error "required" "$WALLET" transfer --to "$TO" --amount 5
"$WALLET" transfer --help | grep -q -- "--amount" || fail "transfer --help lacks --amount"
echo "PASS"
