// Key files: JSON {"public_key": hex, "secret_key": hex}, written with mode 0600.
#pragma once

#include <string>

#include "base/result.h"
#include "crypto/ed25519.h"

namespace synod::crypto {

// Parses a key file's text; every defect (not JSON, missing field, bad hex, wrong length,
// halves that do not match, public key that does not match) is a one-line error.
Result<KeyPair> parse_key_file(const std::string& text);
Result<KeyPair> load_key_file(const std::string& path);

std::string key_file_json(const KeyPair& key);
// Writes the key with mode 0600. Refuses to overwrite an existing file unless `overwrite`.
Status save_key_file(const std::string& path, const KeyPair& key, bool overwrite = false);

}  // namespace synod::crypto
