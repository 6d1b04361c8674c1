#include "node/service/verify.h"

#include <cstdlib>

#include "node/base/file.h"
#include "replication/crdt/scope_index.h"

namespace shequ::service {
namespace {

using store::Db;

struct Derived {
  Db db;
  const char* name;
};
constexpr Derived kDerived[] = {
    {Db::kByScope, "by_scope"},
    {Db::kByEntity, "by_entity"},
    {Db::kState, "state"},
    {Db::kSuperseded, "superseded"},
    {Db::kIdNumber, "idx_id_number"},
    {Db::kMembers, "idx_members"},
    {Db::kCard, "idx_card"},
    {Db::kReview, "review"},
};

Status Compare(const store::Txn& a, MDB_dbi da, const store::Txn& b, MDB_dbi db, const char* name,
               std::vector<std::string>* diffs) {
  ASSIGN_OR_RETURN(store::Cursor ca, store::Cursor::Open(a, da));
  ASSIGN_OR_RETURN(store::Cursor cb, store::Cursor::Open(b, db));
  bool oa = ca.First(), ob = cb.First();
  size_t n = 0;
  while (oa || ob) {
    if (oa != ob) {
      diffs->push_back(std::string(name) + ": " + (oa ? "the store has" : "the rebuild has") +
                       " an extra entry " + Hex(oa ? ca.key() : cb.key()).substr(0, 80) +
                       " after " + std::to_string(n) + " equal entries");
      return Status::Ok();
    }
    bool same_key = std::equal(ca.key().begin(), ca.key().end(), cb.key().begin(), cb.key().end());
    bool same_val =
        std::equal(ca.value().begin(), ca.value().end(), cb.value().begin(), cb.value().end());
    if (!same_key || !same_val) {
      diffs->push_back(
          std::string(name) + ": entry " + std::to_string(n) + " differs (" +
          (same_key ? "value of " + Hex(ca.key()).substr(0, 80)
                    : "key " + Hex(ca.key()).substr(0, 80) + " vs " + Hex(cb.key()).substr(0, 80)) +
          ")");
      return Status::Ok();
    }
    ++n;
    oa = ca.Next();
    ob = cb.Next();
  }
  RETURN_IF_ERROR(ca.status());
  return cb.status();
}

}  // namespace

Result<VerifyReport> Verify(Node& node) {
  VerifyReport report;
  std::string scratch = node.dir() + "/verify.tmp";
  std::system(("rm -rf '" + scratch + "'").c_str());
  {
    ASSIGN_OR_RETURN(auto rebuilt, store::Store::Open(scratch));
    crdt::Replica replica(*rebuilt, node.trust(), node.ref());
    ASSIGN_OR_RETURN(store::ReadTxn r, node.store().BeginRead());
    ASSIGN_OR_RETURN(store::Cursor cur, store::Cursor::Open(r, node.store().dbi(Db::kChanges)));
    bool ok = cur.First();
    while (ok) {
      // Replay in batches of 4096 changes per transaction.
      RETURN_IF_ERROR(rebuilt->Write([&](store::Txn& txn) -> Status {
        for (int i = 0; ok && i < 4096; ++i, ok = cur.Next()) {
          crdt::Rejection why;
          ASSIGN_OR_RETURN(crdt::Outcome o, replica.Receive(txn, cur.value(), &why));
          ++report.changes;
          if (o == crdt::Outcome::kRejected) {
            ++report.rejected;
            if (report.differences.size() < 20)
              report.differences.push_back("change " + Hex(why.id).substr(0, 16) +
                                           " no longer verifies: " + why.code + ": " + why.reason);
          }
        }
        return Status::Ok();
      }));
    }
    RETURN_IF_ERROR(cur.status());
    // The reconciliation index depends on arrival order: check its invariant rather than bytes.
    if (Status st = crdt::CheckScopeIndex(node.store(), r); !st.ok())
      report.differences.push_back("scope_blocks: " + st.message());
    ASSIGN_OR_RETURN(store::ReadTxn rb, rebuilt->BeginRead());
    for (const Derived& d : kDerived)
      RETURN_IF_ERROR(
          Compare(r, node.store().dbi(d.db), rb, rebuilt->dbi(d.db), d.name, &report.differences));
  }
  std::system(("rm -rf '" + scratch + "'").c_str());
  return report;
}

}  // namespace shequ::service
