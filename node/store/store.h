// A node's LMDB environment and its named databases (key layouts in docs/STORAGE.md).
//
// Thread safety: any thread may read; exactly one thread writes (the caller arranges that, e.g.
// the daemon's writer thread). Durability is LMDB's default: sync on commit, no MDB_NOSYNC, no
// MDB_WRITEMAP, so a full disk is an error from commit, never SIGBUS.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "node/store/lmdb.h"

namespace shequ::store {

enum class Db : int {
  kChanges = 0,  // change id (32) -> stored change record
  kByScope,      // community (12) | hlc (8 BE) | id (32) -> "" : reconciliation order
  kByEntity,     // community | kind (1) | entity (16) | hlc | id -> "" : history
  kState,        // community | kind | entity -> entity state record (the fold)
  kSuperseded,   // community | kind | entity | field | 0 | id -> rank (1 byte)
  kIdNumber,     // id number -> community | entity (dup)
  kMembers,      // community | household entity -> person entity (dup)
  kCard,         // card number -> community | household entity
  kReview,       // community | kind | entity | field -> "" : the conflict review queue
  kTrust,        // "cert/" node id -> signed certificate; "revoked/" node id -> revocation
  kPeers,        // peer node id -> sync progress
  kAudit,        // access events
  kMeta,         // "schema" -> version, "hlc" -> last clock value, ...
  kRejected,     // ms (8) | sha256 of what was received -> rejection record (security log)
  kScopeBlocks,  // community | first item (hlc | id) -> count, id sum: reconciliation blocks
  kLog,          // local arrival sequence (8 BE) -> change id: what to push to live peers
  kAssess,       // community | kind | entity -> the record's assessment counts (scoring/)
  kCount
};

inline constexpr int kSchemaVersion = 2;

struct StoreOptions {
  // Address space only (the file grows as pages are written), so it is generous: growing the
  // map needs every read transaction of the process closed (see Store::Grow).
  size_t initial_map_size = size_t{32} << 30;
  size_t max_map_size = size_t{1} << 40;
  // How long a resize waits for the process's read transactions to end before the write that
  // needed it is refused (Unavailable) rather than deadlocking on this thread's own snapshot.
  std::chrono::milliseconds resize_wait{5000};
  bool read_only = false;
  // Tests only (the deterministic simulation): commit without fsync. Never for a real node.
  bool no_sync_for_tests = false;
};

class Store;

// A read transaction that also keeps the map from being resized under it.
class ReadTxn {
 public:
  const Txn& txn() const { return txn_; }
  operator const Txn&() const { return txn_; }  // NOLINT

 private:
  friend class Store;
  ReadTxn(std::shared_lock<std::shared_timed_mutex> lock, Txn txn)
      : lock_(std::move(lock)), txn_(std::move(txn)) {}
  std::shared_lock<std::shared_timed_mutex> lock_;
  Txn txn_;
};

class Store {
 public:
  // Creates the directory's environment if needed, checks stale readers and the schema version.
  static Result<std::unique_ptr<Store>> Open(const std::string& dir, StoreOptions options = {});
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  MDB_dbi dbi(Db db) const { return dbis_[static_cast<int>(db)]; }
  Result<ReadTxn> BeginRead() const;

  // Runs fn in a write transaction and commits. When the map is full (in fn or at commit) the
  // transaction is aborted, the map doubled and fn run again from the start, so fn must act only
  // through the transaction. Returns the first error fn or the commit reports.
  Status Write(const std::function<Status(Txn&)>& fn);

  size_t map_size() const { return map_size_; }
  const std::string& dir() const { return dir_; }
  // Number of entries of a database.
  Result<size_t> Count(Db db) const;
  // Bytes used by the data file.
  Result<uint64_t> FileSize() const;

 private:
  Store() = default;
  Status Grow();
  // The resize lock alone (no read transaction of this process open), or Unavailable after a
  // few seconds instead of a deadlock.
  Result<std::unique_lock<std::shared_timed_mutex>> Exclusive() const;

  MDB_env* env_ = nullptr;
  MDB_dbi dbis_[static_cast<int>(Db::kCount)] = {};
  std::string dir_;
  StoreOptions options_;
  size_t map_size_ = 0;
  mutable std::shared_timed_mutex resize_mu_;
};

}  // namespace shequ::store
