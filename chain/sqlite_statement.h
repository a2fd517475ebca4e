// Thin RAII wrappers over SQLite (a prepared statement, an open transaction), private to
// chain/.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/sha256.h"

namespace synod::chain {

class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &statement_, nullptr) != SQLITE_OK)
      statement_ = nullptr;
  }
  ~Statement() { sqlite3_finalize(statement_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool prepared() const { return statement_ != nullptr; }

  void bind(int index, ByteView blob) {
    sqlite3_bind_blob(statement_, index, blob.data(), static_cast<int>(blob.size()),
                      SQLITE_TRANSIENT);
  }
  void bind(int index, std::int64_t value) { sqlite3_bind_int64(statement_, index, value); }
  void bind(int index, const std::string& text) {
    sqlite3_bind_text(statement_, index, text.c_str(), static_cast<int>(text.size()),
                      SQLITE_TRANSIENT);
  }

  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return statement_ ? sqlite3_step(statement_) : SQLITE_MISUSE; }
  // Runs a statement that returns no rows.
  Status run(const char* what) {
    int rc = step();
    if (rc != SQLITE_DONE)
      return failure(what);
    return Status::success();
  }
  void reset() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }

  Bytes column_blob(int column) const {
    const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(statement_, column));
    int size = sqlite3_column_bytes(statement_, column);
    return data ? Bytes(data, data + size) : Bytes{};
  }
  std::int64_t column_int(int column) const { return sqlite3_column_int64(statement_, column); }
  std::string column_text(int column) const {
    const auto* text = sqlite3_column_text(statement_, column);
    return text ? std::string(reinterpret_cast<const char*>(text)) : std::string();
  }
  // A 32-byte hash column; nullopt when the column holds anything else (corrupt data).
  std::optional<crypto::Hash256> column_hash(int column) const {
    Bytes bytes = column_blob(column);
    if (bytes.size() != crypto::Hash256::kSize)
      return std::nullopt;
    return crypto::Hash256::from(bytes);
  }

  Error failure(const char* what) const {
    return make_error(std::string("store: ") + what + ": " + sqlite3_errmsg(db_));
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* statement_ = nullptr;
};

// Opens a connection with `flags`, with the 5 s busy timeout every store connection uses;
// `purpose` ends the error ("store: cannot open PATH" + purpose + ": why").
inline Result<sqlite3*> open_connection(const std::string& path, int flags,
                                        const std::string& purpose) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return make_error("store: cannot open " + path + purpose + ": " + message);
  }
  sqlite3_busy_timeout(db, 5000);
  return db;
}

// Runs SQL that returns no rows (several statements are fine).
inline Status exec(sqlite3* db, const char* sql, const char* what) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    return make_error(std::string("store: ") + what + ": " + text);
  }
  return Status::success();
}

// Rolls back an open SQLite transaction unless commit() was reached.
class TransactionGuard {
 public:
  explicit TransactionGuard(sqlite3* db) : db_(db) {}
  ~TransactionGuard() {
    if (begun_ && !committed_)
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  TransactionGuard(const TransactionGuard&) = delete;
  TransactionGuard& operator=(const TransactionGuard&) = delete;

  // Takes the write lock at once, so reads made inside see what the writes will change.
  Status begin() {
    auto status = exec(db_, "BEGIN IMMEDIATE", "begin");
    begun_ = status.ok();
    return status;
  }
  // A read transaction: every query inside sees one snapshot of the database, whatever
  // another connection commits meanwhile (WAL mode). Ended by the destructor.
  Status begin_read() {
    auto status = exec(db_, "BEGIN", "begin read");
    begun_ = status.ok();
    return status;
  }
  Status commit() {
    auto status = exec(db_, "COMMIT", "commit");
    committed_ = status.ok();
    return status;
  }

 private:
  sqlite3* db_;
  bool begun_ = false;
  bool committed_ = false;
};

}  // namespace synod::chain
