#include "node/store/store.h"

#include <sys/stat.h>

#include <cstring>
#include <mutex>

#include "node/base/file.h"

namespace shequ::store {
namespace {

struct DbSpec {
  const char* name;
  unsigned flags;
};
constexpr DbSpec kDbs[] = {
    {"changes", 0},
    {"by_scope", 0},
    {"by_entity", 0},
    {"state", 0},
    {"superseded", 0},
    {"idx_id_number", MDB_DUPSORT},
    {"idx_members", MDB_DUPSORT},
    {"idx_card", MDB_DUPSORT},
    {"review", 0},
    {"trust", 0},
    {"peers", 0},
    {"audit", 0},
    {"meta", 0},
    {"rejected", 0},
    {"scope_blocks", 0},
    {"log", 0},
    {"assess", 0},
};
static_assert(sizeof kDbs / sizeof kDbs[0] == static_cast<size_t>(Db::kCount));

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(const std::string& dir, StoreOptions options) {
  RETURN_IF_ERROR(MakeDirs(dir, 0700));
  std::unique_ptr<Store> s(new Store());
  s->dir_ = dir;
  s->options_ = options;
  RETURN_IF_ERROR(LmdbStatus(mdb_env_create(&s->env_), "create LMDB environment"));
  RETURN_IF_ERROR(LmdbStatus(mdb_env_set_maxdbs(s->env_, static_cast<MDB_dbi>(Db::kCount) + 2),
                             "set max databases"));
  RETURN_IF_ERROR(LmdbStatus(mdb_env_set_maxreaders(s->env_, 254), "set max readers"));
  // An existing, larger file keeps its size: LMDB adopts the larger of the two.
  RETURN_IF_ERROR(
      LmdbStatus(mdb_env_set_mapsize(s->env_, options.initial_map_size), "set map size"));
  unsigned flags = MDB_NOTLS | (options.read_only ? MDB_RDONLY : 0u) |
                   (options.no_sync_for_tests ? unsigned{MDB_NOSYNC} : 0u);
  int rc = mdb_env_open(s->env_, dir.c_str(), flags, 0600);
  if (rc != MDB_SUCCESS) return LmdbStatus(rc, "open LMDB environment in " + dir);
  MDB_envinfo info;
  mdb_env_info(s->env_, &info);
  s->map_size_ = info.me_mapsize;
  int dead = 0;
  mdb_reader_check(s->env_, &dead);  // readers left by killed processes

  MDB_txn* raw = nullptr;
  RETURN_IF_ERROR(
      LmdbStatus(mdb_txn_begin(s->env_, nullptr, options.read_only ? MDB_RDONLY : 0, &raw),
                 "begin transaction"));
  Txn txn(raw, !options.read_only);
  for (int i = 0; i < static_cast<int>(Db::kCount); ++i) {
    unsigned f = kDbs[i].flags | (options.read_only ? 0u : unsigned{MDB_CREATE});
    rc = mdb_dbi_open(raw, kDbs[i].name, f, &s->dbis_[i]);
    if (rc != MDB_SUCCESS) return LmdbStatus(rc, std::string("open database ") + kDbs[i].name);
  }
  std::string schema_key = "schema";
  ASSIGN_OR_RETURN(auto version, txn.Get(s->dbi(Db::kMeta), AsBytes(schema_key)));
  if (version) {
    std::string v(AsChars(*version));
    if (v != std::to_string(kSchemaVersion))
      return Status::Corruption("store " + dir + " has schema version " + v +
                                ", this build reads " + std::to_string(kSchemaVersion));
  } else if (!options.read_only) {
    std::string v = std::to_string(kSchemaVersion);
    RETURN_IF_ERROR(txn.Put(s->dbi(Db::kMeta), AsBytes(schema_key), AsBytes(v)));
  }
  // Committed even when read-only: LMDB closes the database handles opened in a transaction
  // that is aborted, and a read-only store could then open no cursor.
  RETURN_IF_ERROR(txn.Commit());
  return s;
}

Store::~Store() {
  if (env_) mdb_env_close(env_);
}

Result<ReadTxn> Store::BeginRead() const {
  std::shared_lock<std::shared_timed_mutex> lock(resize_mu_);
  MDB_txn* raw = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &raw);
  if (rc == MDB_MAP_RESIZED) {
    // Another process grew the map: adopt its size (needs no transaction of ours active).
    lock.unlock();
    {
      auto excl = Exclusive();
      if (!excl.ok()) return excl.status();
      mdb_env_set_mapsize(env_, 0);
    }
    lock.lock();
    rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &raw);
  }
  if (rc != MDB_SUCCESS) return LmdbStatus(rc, "begin read transaction");
  return ReadTxn(std::move(lock), Txn(raw, false));
}

Result<std::unique_lock<std::shared_timed_mutex>> Store::Exclusive() const {
  // A read transaction of this very thread (a session's reconciliation snapshot, say) would
  // never end while we wait for it: give up after a while rather than deadlock, and let the
  // caller fail its write (the data stays as it was; the write is made again later).
  std::unique_lock<std::shared_timed_mutex> excl(resize_mu_, std::defer_lock);
  if (!excl.try_lock_for(options_.resize_wait))
    return Status::Unavailable("the store's map must be resized, but a read transaction of " +
                               dir_ + " stays open; the write is refused for now");
  return excl;
}

Status Store::Grow() {
  ASSIGN_OR_RETURN(auto excl, Exclusive());
  MDB_envinfo info;
  mdb_env_info(env_, &info);
  size_t next = info.me_mapsize * 2;
  if (next > options_.max_map_size)
    return Status::Exhausted("the store reached its maximum size of " +
                             std::to_string(options_.max_map_size >> 20) + " MiB");
  RETURN_IF_ERROR(LmdbStatus(mdb_env_set_mapsize(env_, next), "grow the map"));
  mdb_env_info(env_, &info);
  map_size_ = info.me_mapsize;
  return Status::Ok();
}

Status Store::Write(const std::function<Status(Txn&)>& fn) {
  if (options_.read_only) return Status::Denied("the store is open read-only");
  for (int attempt = 0;; ++attempt) {
    MDB_txn* raw = nullptr;
    int rc = mdb_txn_begin(env_, nullptr, 0, &raw);
    if (rc == MDB_MAP_RESIZED) {
      ASSIGN_OR_RETURN(auto excl, Exclusive());
      mdb_env_set_mapsize(env_, 0);
      continue;
    }
    if (rc != MDB_SUCCESS) return LmdbStatus(rc, "begin write transaction");
    Txn txn(raw, true);
    Status st = fn(txn);
    if (st.ok()) st = txn.Commit();
    txn.Abort();
    bool map_full = st.code() == Code::kResourceExhausted &&
                    st.message().find("MDB_MAP_FULL") != std::string::npos;
    if (!map_full || attempt > 40) return st;
    RETURN_IF_ERROR(Grow());
  }
}

Result<size_t> Store::Count(Db db) const {
  ASSIGN_OR_RETURN(ReadTxn r, BeginRead());
  MDB_stat st;
  RETURN_IF_ERROR(LmdbStatus(mdb_stat(r.txn().raw(), dbi(db), &st), "stat"));
  return static_cast<size_t>(st.ms_entries);
}

Result<uint64_t> Store::FileSize() const {
  struct stat st;
  if (::stat((dir_ + "/data.mdb").c_str(), &st) != 0) return Status::NotFound("no data.mdb");
  return static_cast<uint64_t>(st.st_size);
}

}  // namespace shequ::store
