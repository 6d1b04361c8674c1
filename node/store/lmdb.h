// Move-only owners of LMDB handles. Write transactions abort in their destructor unless
// committed. One transaction per thread (LMDB's rule); never hold a read transaction across UI
// frames or network waits.
#pragma once

#include <lmdb.h>

#include <optional>
#include <string>
#include <string_view>

#include "node/base/bytes.h"
#include "node/base/status.h"

namespace shequ::store {

// LMDB return code -> Status. MDB_MAP_FULL is resource-exhausted (the store grows and retries).
Status LmdbStatus(int rc, std::string_view what);

inline MDB_val Val(ByteView b) { return MDB_val{b.size(), const_cast<uint8_t*>(b.data())}; }
inline ByteView View(const MDB_val& v) {
  return {static_cast<const uint8_t*>(v.mv_data), v.mv_size};
}

class Txn {
 public:
  Txn() = default;
  Txn(MDB_txn* txn, bool write) : txn_(txn), write_(write) {}
  Txn(Txn&& o) noexcept : txn_(o.txn_), write_(o.write_) { o.txn_ = nullptr; }
  Txn& operator=(Txn&& o) noexcept;
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  ~Txn() { Abort(); }

  MDB_txn* raw() const { return txn_; }
  bool writable() const { return write_; }

  // The value, or nullopt when the key is absent. The view is valid until the next write in
  // this transaction or its end.
  Result<std::optional<ByteView>> Get(MDB_dbi dbi, ByteView key) const;
  Status Put(MDB_dbi dbi, ByteView key, ByteView value, unsigned flags = 0);
  // True if the key existed.
  Result<bool> Del(MDB_dbi dbi, ByteView key, std::optional<ByteView> value = std::nullopt);
  Status Commit();
  void Abort();

 private:
  MDB_txn* txn_ = nullptr;
  bool write_ = false;
};

class Cursor {
 public:
  static Result<Cursor> Open(const Txn& txn, MDB_dbi dbi);
  Cursor(Cursor&& o) noexcept : cur_(o.cur_), valid_(o.valid_), key_(o.key_), val_(o.val_) {
    o.cur_ = nullptr;
  }
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  ~Cursor();

  // Positions at the first key >= key. False (and invalid) past the end.
  bool Seek(ByteView key);
  bool First();
  bool Last();
  bool Next();
  bool Prev();
  // Within duplicates of the current key (MDB_DUPSORT databases).
  bool NextDup();
  bool valid() const { return valid_; }
  ByteView key() const { return View(key_); }
  ByteView value() const { return View(val_); }
  // Errors other than "not found" seen while moving.
  const Status& status() const { return status_; }

 private:
  explicit Cursor(MDB_cursor* c) : cur_(c) {}
  bool Move(MDB_cursor_op op, MDB_val* k = nullptr);
  MDB_cursor* cur_ = nullptr;
  bool valid_ = false;
  MDB_val key_{}, val_{};
  Status status_;
};

}  // namespace shequ::store
