// Test-only tool for the e2e evidence test: makes a validator commit the nothing-at-stake
// offence offline. It signs two different headers at one height on one parent with the
// validator's key file, through the real seal code (chain/pos_seal.h), and prints the
// evidence file `synod-wallet evidence` reads: {"first": HEX, "second": HEX}.
//
//   synod-test-sign-headers KEY_FILE GENESIS_FILE HEIGHT PARENT_HASH
//
// No node ever sees these headers, so no node's slasher can report them first: the
// wallet's evidence is the only report.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "chain/codec.h"
#include "chain/genesis.h"
#include "chain/pos_seal.h"
#include "chain/signing_domain.h"
#include "crypto/hex.h"
#include "crypto/key_file.h"
#include "crypto/sha256.h"

namespace {

using namespace synod;

int usage_error(const std::string& message) {
  std::fprintf(stderr, "synod-test-sign-headers: error: %s\n", message.c_str());
  return 2;
}

// One of the two headers: `variant` changes the slot and the (unchecked) transaction root,
// so the two hashes differ.
chain::BlockHeader signed_header(const crypto::KeyPair& key, const chain::Genesis& genesis,
                                 std::uint64_t height, const crypto::Hash256& parent,
                                 std::uint8_t variant) {
  chain::BlockHeader header;
  header.height = height;
  header.prev_hash = parent;
  const std::uint8_t marker[] = {variant};
  header.tx_root = crypto::sha256(ByteView(marker, sizeof marker));
  header.timestamp_ms = genesis.genesis_time_ms + (height + variant) * 1000;
  header.proposer = key.public_key();
  chain::PosSeal seal;
  seal.slot_time_s = header.timestamp_ms / 1000;
  header.seal = seal;
  chain::sign_pos_header(header, chain::SigningDomain::of(genesis), key);
  return header;
}

std::string header_hex(const chain::BlockHeader& header) {
  chain::Writer out;
  chain::write(out, header);
  return crypto::to_hex(out.take());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5)
    return usage_error("usage: synod-test-sign-headers KEY_FILE GENESIS_FILE HEIGHT PARENT_HASH");
  auto key = crypto::load_key_file(argv[1]);
  if (!key)
    return usage_error(std::string(argv[1]) + ": " + key.message());
  auto genesis = chain::load_genesis(argv[2]);
  if (!genesis)
    return usage_error(std::string(argv[2]) + ": " + genesis.message());
  const std::string height_text = argv[3];
  if (height_text.empty() || height_text.size() > 18 ||
      height_text.find_first_not_of("0123456789") != std::string::npos || height_text == "0")
    return usage_error("HEIGHT: expected a whole number from 1");
  const std::uint64_t height = std::stoull(height_text);
  auto parent = crypto::fixed_from_hex<crypto::Hash256>(argv[4], "PARENT_HASH");
  if (!parent)
    return usage_error(parent.message());
  const nlohmann::json evidence = {
      {"first", header_hex(signed_header(*key, *genesis, height, *parent, 0))},
      {"second", header_hex(signed_header(*key, *genesis, height, *parent, 1))}};
  std::printf("%s\n", evidence.dump(2).c_str());
  return 0;
}
