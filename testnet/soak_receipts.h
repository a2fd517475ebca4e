// The soak's client receipt log: one line per transaction a node's JSON-RPC acknowledged,
// written as the acknowledgement arrives, so that the final check reads what a client
// would hold after the run (and a person can grep it).
//
//   # time_ms hash sender nonce node
//   1764763200123 9f0c…e1 3a77…04 17 node-2
//
// Thread safety: a ReceiptLog is used by one thread.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "base/result.h"

namespace synod::testnet {

struct Receipt {
  std::uint64_t time_ms = 0;  // Unix time of the acknowledgement
  std::string hash_hex;
  std::string sender_hex;
  std::uint64_t nonce = 0;
  std::string node;  // the node that acknowledged it
};

class ReceiptLog {
 public:
  ReceiptLog() = default;
  ~ReceiptLog();
  ReceiptLog(const ReceiptLog&) = delete;
  ReceiptLog& operator=(const ReceiptLog&) = delete;

  // Creates (or truncates) the file and writes its header line.
  Status open(const std::string& path);
  // Appends one line and flushes it: a receipt survives a crash of the soak itself.
  Status append(const Receipt& receipt);
  void close();

 private:
  std::FILE* file_ = nullptr;
  std::string path_;
};

// Reads a receipt log back; a malformed line is an error naming its line number.
Result<std::vector<Receipt>> read_receipts(const std::string& path);

}  // namespace synod::testnet
