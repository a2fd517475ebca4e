// pow_pos/pow_messages: the BLOCK message round-trips and strict decoding.
#include <catch2/catch.hpp>

#include "chain/limits.h"
#include "pow_pos/pow_messages.h"
#include "pow_test_util.h"

using namespace pow_test;
using namespace synod::pow_pos;

TEST_CASE("pow block message round-trips with type byte 0x21", "[pow][messages]") {
  const Genesis genesis = make_genesis();
  ChainBuilder builder(genesis);
  BlockOptions options;
  options.transactions = {transfer(genesis, alice_key(), bob(), 5, 0)};
  const Block block = builder.extend(builder.genesis_block().hash(), options);
  const Bytes message = encode_block_message(block);
  REQUIRE(message.size() == 1 + block.encode().size());
  CHECK(message[0] == 0x21);
  auto decoded = decode_block_message(message);
  REQUIRE(decoded.ok());
  CHECK(*decoded == block);
  CHECK(message_type_name(message) == "block");
}

TEST_CASE("pow block message decoding is strict", "[pow][messages]") {
  const Genesis genesis = make_genesis();
  ChainBuilder builder(genesis);
  const Block block = builder.extend(builder.genesis_block().hash());
  const Bytes good = encode_block_message(block);

  auto error = [](const Bytes& bytes) {
    auto decoded = decode_block_message(bytes);
    REQUIRE_FALSE(decoded.ok());
    return decoded.message();
  };
  CHECK_THAT(error({}), Catch::Contains("empty"));
  Bytes pbft = good;
  pbft[0] = 0x01;  // a PBFT pre-prepare's type
  CHECK_THAT(error(pbft), Catch::Contains("unknown type 1"));
  CHECK(message_type_name(pbft) == "unknown");
  CHECK(message_type_name({}) == "unknown");
  Bytes trailing = good;
  trailing.push_back(0);
  CHECK_THAT(error(trailing), Catch::Contains("pow message"));
  Bytes truncated(good.begin(), good.end() - 1);
  CHECK_THAT(error(truncated), Catch::Contains("pow message"));
  Block certified = block;
  certified.certificate = CommitCertificate{};
  CHECK_THAT(error(encode_block_message(certified)), Catch::Contains("no certificate"));
  Bytes huge(max_message_bytes() + 1, 0x21);
  CHECK_THAT(error(huge), Catch::Contains("exceeds"));
  CHECK(max_message_bytes() == 1 + kMaxBlockBytes);
}
