#include "crypto/key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "crypto/hex.h"

namespace synod::crypto {

Result<KeyPair> parse_key_file(const std::string& text) {
  auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object())
    return make_error("key file is not a JSON object");
  for (const char* field : {"public_key", "secret_key"}) {
    if (!json.contains(field) || !json[field].is_string()) {
      return make_error(std::string("key file has no string field \"") + field + "\"");
    }
  }
  auto public_key = fixed_from_hex<PublicKey>(json["public_key"].get<std::string>(), "public_key");
  if (!public_key)
    return public_key.error();
  auto secret = from_hex(json["secret_key"].get<std::string>());
  if (!secret)
    return make_error("secret_key: " + secret.message());
  auto pair = KeyPair::from_secret_key(*secret);
  if (!pair)
    return pair.error();
  if (pair->public_key() != *public_key) {
    return make_error("public_key does not match the secret key");
  }
  return pair;
}

Result<KeyPair> load_key_file(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return make_error("cannot read key file " + path + ": " + std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  auto pair = parse_key_file(text.str());
  if (!pair)
    return make_error(path + ": " + pair.message());
  return pair;
}

std::string key_file_json(const KeyPair& key) {
  nlohmann::json json = {{"public_key", to_hex(key.public_key().view())},
                         {"secret_key", to_hex(key.secret_key())}};
  return json.dump(2) + "\n";
}

namespace {

// Creates `path` (which must not exist) with mode 0600 and `text`, durably. Errors are the
// bare system reason; the caller names the file.
Status write_file_0600(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0)
    return make_error(std::strerror(errno));
  ::fchmod(fd, 0600);  // whatever the umask
  std::size_t written = 0;
  while (written < text.size()) {
    ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int saved = errno;
      ::close(fd);
      return make_error(std::strerror(saved));
    }
    written += static_cast<std::size_t>(n);
  }
  bool synced = ::fsync(fd) == 0;
  bool closed = ::close(fd) == 0;
  if (!synced || !closed)
    return make_error(std::strerror(errno));
  return Status::success();
}

}  // namespace

Status save_key_file(const std::string& path, const KeyPair& key, bool overwrite) {
  // Written in full to a temporary file first, then put in place in one step, so a failure
  // part-way never leaves a truncated key file behind.
  const std::string temporary = path + ".tmp." + std::to_string(::getpid());
  if (auto status = write_file_0600(temporary, key_file_json(key)); !status) {
    ::unlink(temporary.c_str());
    return make_error("cannot create key file " + path + ": " + status.message());
  }
  int rc = overwrite ? ::rename(temporary.c_str(), path.c_str())
                     : ::link(temporary.c_str(), path.c_str());  // link refuses an existing path
  int saved = errno;
  if (!overwrite || rc != 0)
    ::unlink(temporary.c_str());
  if (rc != 0) {
    if (saved == EEXIST)
      return make_error("refusing to overwrite existing key file " + path);
    return make_error("cannot create key file " + path + ": " + std::strerror(saved));
  }
  return Status::success();
}

}  // namespace synod::crypto
