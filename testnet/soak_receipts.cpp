#include "testnet/soak_receipts.h"

#include <fstream>
#include <sstream>

namespace synod::testnet {

ReceiptLog::~ReceiptLog() {
  close();
}

Status ReceiptLog::open(const std::string& path) {
  close();
  file_ = std::fopen(path.c_str(), "w");
  if (!file_)
    return make_error("cannot write the receipt log " + path);
  path_ = path;
  if (std::fputs("# time_ms hash sender nonce node\n", file_) < 0 || std::fflush(file_) != 0)
    return make_error("cannot write the receipt log " + path);
  return Status::success();
}

Status ReceiptLog::append(const Receipt& receipt) {
  if (!file_)
    return make_error("the receipt log is not open");
  int written =
      std::fprintf(file_, "%llu %s %s %llu %s\n", static_cast<unsigned long long>(receipt.time_ms),
                   receipt.hash_hex.c_str(), receipt.sender_hex.c_str(),
                   static_cast<unsigned long long>(receipt.nonce), receipt.node.c_str());
  if (written < 0 || std::fflush(file_) != 0)
    return make_error("cannot append to the receipt log " + path_ + " (disk full?)");
  return Status::success();
}

void ReceiptLog::close() {
  if (file_)
    std::fclose(file_);
  file_ = nullptr;
}

Result<std::vector<Receipt>> read_receipts(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return make_error("cannot read the receipt log " + path);
  std::vector<Receipt> out;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (line.empty() || line[0] == '#')
      continue;
    std::istringstream fields(line);
    Receipt receipt;
    std::string extra;
    if (!(fields >> receipt.time_ms >> receipt.hash_hex >> receipt.sender_hex >> receipt.nonce >>
          receipt.node) ||
        (fields >> extra) || receipt.hash_hex.size() != 64) {
      return make_error(path + ":" + std::to_string(number) + ": not a receipt line");
    }
    out.push_back(std::move(receipt));
  }
  return out;
}

}  // namespace synod::testnet
