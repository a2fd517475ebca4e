# Unit tests for crypto/ and chain/ (block store and mempool tests live in their own files).
synod_test(unit_crypto LABEL unit
  SOURCES crypto_test.cpp hex_test.cpp merkle_test.cpp ed25519_test.cpp key_file_test.cpp
          signature_memo_test.cpp
  LIBS synod_crypto)

synod_test(unit_chain LABEL unit
  SOURCES address_test.cpp transaction_test.cpp block_test.cpp genesis_test.cpp state_test.cpp
          certificate_test.cpp
  LIBS synod_chain nlohmann_json::nlohmann_json)

# The codec tests replace global operator new to measure allocations: their own binary.
synod_test(unit_codec LABEL unit SOURCES codec_test.cpp LIBS synod_chain)
