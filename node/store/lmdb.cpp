#include "node/store/lmdb.h"

namespace shequ::store {

Status LmdbStatus(int rc, std::string_view what) {
  if (rc == MDB_SUCCESS) return Status::Ok();
  std::string m = std::string(what) + ": " + mdb_strerror(rc);
  switch (rc) {
    case MDB_NOTFOUND:
      return Status::NotFound(m);
    case MDB_MAP_FULL:
    case MDB_TXN_FULL:
    case MDB_READERS_FULL:
    case ENOSPC:
      return Status::Exhausted(m);
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
      return Status::Corruption(m);
    case MDB_MAP_RESIZED:
    case MDB_BAD_RSLOT:
      return Status::Aborted(m);
    case EACCES:
      return Status::Denied(m);
    default:
      return Status::Unavailable(m);
  }
}

Txn& Txn::operator=(Txn&& o) noexcept {
  if (this != &o) {
    Abort();
    txn_ = o.txn_;
    write_ = o.write_;
    o.txn_ = nullptr;
  }
  return *this;
}

Result<std::optional<ByteView>> Txn::Get(MDB_dbi dbi, ByteView key) const {
  MDB_val k = Val(key), v;
  int rc = mdb_get(txn_, dbi, &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<ByteView>();
  if (rc != MDB_SUCCESS) return LmdbStatus(rc, "read");
  return std::optional<ByteView>(View(v));
}

Status Txn::Put(MDB_dbi dbi, ByteView key, ByteView value, unsigned flags) {
  MDB_val k = Val(key), v = Val(value);
  return LmdbStatus(mdb_put(txn_, dbi, &k, &v, flags), "write");
}

Result<bool> Txn::Del(MDB_dbi dbi, ByteView key, std::optional<ByteView> value) {
  MDB_val k = Val(key), v;
  if (value) v = Val(*value);
  int rc = mdb_del(txn_, dbi, &k, value ? &v : nullptr);
  if (rc == MDB_NOTFOUND) return false;
  if (rc != MDB_SUCCESS) return LmdbStatus(rc, "delete");
  return true;
}

Status Txn::Commit() {
  if (!txn_) return Status::Internal("commit of a finished transaction");
  int rc = mdb_txn_commit(txn_);
  txn_ = nullptr;
  return LmdbStatus(rc, "commit");
}

void Txn::Abort() {
  if (txn_) mdb_txn_abort(txn_);
  txn_ = nullptr;
}

Result<Cursor> Cursor::Open(const Txn& txn, MDB_dbi dbi) {
  MDB_cursor* c = nullptr;
  int rc = mdb_cursor_open(txn.raw(), dbi, &c);
  if (rc != MDB_SUCCESS) return LmdbStatus(rc, "open cursor");
  return Cursor(c);
}

Cursor::~Cursor() {
  if (cur_) mdb_cursor_close(cur_);
}

bool Cursor::Move(MDB_cursor_op op, MDB_val* k) {
  if (k) key_ = *k;
  int rc = mdb_cursor_get(cur_, &key_, &val_, op);
  valid_ = rc == MDB_SUCCESS;
  if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) status_ = LmdbStatus(rc, "cursor");
  return valid_;
}

bool Cursor::Seek(ByteView key) {
  if (key.empty()) return First();  // LMDB refuses zero-length keys
  MDB_val k = Val(key);
  return Move(MDB_SET_RANGE, &k);
}
bool Cursor::First() { return Move(MDB_FIRST); }
bool Cursor::Last() { return Move(MDB_LAST); }
bool Cursor::Next() { return Move(MDB_NEXT); }
bool Cursor::Prev() { return Move(MDB_PREV); }
bool Cursor::NextDup() { return Move(MDB_NEXT_DUP); }

}  // namespace shequ::store
