#include "node/service/access.h"

#include <algorithm>

#include "node/base/text.h"
#include "node/service/usage.h"
#include "replication/crdt/hlc.h"

namespace shequ::service {

std::string HomeScope(const trust::Certificate& cert) {
  std::string s = cert.scopes.empty() ? cert.city : cert.scopes.front();
  if (s.size() < 12) s.append(12 - s.size(), '0');
  return s;
}

Status RecordAccess(Node& node, store::Txn& txn, const AccessEvent& e) {
  crdt::EntityRef ref{HomeScope(node.cert()), model::EntityKind::kAccessEvent, node.NewEntityId()};
  std::vector<FieldEdit> edits = {{"action", e.action},
                                  {"outcome", e.allowed ? "allowed" : "denied"}};
  auto cut = [](std::string s, size_t chars) {
    // Bounded by the catalog's limits; cut on a character boundary.
    if (static_cast<size_t>(Utf8Length(s)) <= chars) return s;
    std::string out;
    size_t n = 0;
    for (size_t i = 0; i < s.size() && n < chars;) {
      size_t len = 1;
      unsigned char c = static_cast<unsigned char>(s[i]);
      if (c >= 0xF0)
        len = 4;
      else if (c >= 0xE0)
        len = 3;
      else if (c >= 0xC0)
        len = 2;
      out.append(s, i, len);
      i += len;
      ++n;
    }
    return out;
  };
  if (!e.target.empty()) edits.push_back({"target", cut(e.target, 200)});
  if (!e.fields.empty()) edits.push_back({"fields", cut(Join(e.fields, ","), 2000)});
  if (!e.purpose.empty()) edits.push_back({"purpose", cut(e.purpose, 200)});
  if (e.count) edits.push_back({"count", std::to_string(std::min<uint64_t>(e.count, 100000000))});
  if (!e.reason.empty()) edits.push_back({"reason", cut(e.reason, 300)});
  Node::CommitOptions co;
  co.op = e.op;
  if (!e.allowed && e.reason.find(kOutsideScope) != std::string::npos)
    RETURN_IF_ERROR(CountUsage(node, txn, kUsageOutOfScope));
  return node.Commit(txn, ref, edits, co).status();
}

Status RecordAccess(Node& node, const AccessEvent& e) {
  return node.store().Write([&](store::Txn& txn) { return RecordAccess(node, txn, e); });
}

Status LoginOperator(Node& node, std::string_view op, std::string_view passphrase) {
  Status st = node.Login(op, passphrase);
  AccessEvent e;
  e.action = st.ok() ? "login" : "login_failed";
  e.allowed = st.ok();
  e.op = std::string(op);
  if (!st.ok()) e.reason = st.message();
  Status rec = node.store().Write([&](store::Txn& txn) -> Status {
    RETURN_IF_ERROR(CountUsage(node, txn, st.ok() ? kUsageLogins : kUsageFailedLogins));
    return RecordAccess(node, txn, e);
  });
  if (!st.ok()) return st;
  return rec;
}

Result<EntityView> ReadEntity(Node& node, const crdt::EntityRef& e, const ReadOptions& o) {
  if (o.reveal && o.purpose.empty())
    return Status::Invalid("revealing values needs a purpose (--purpose TEXT): it is recorded");
  std::string target =
      std::string(model::EntityKindName(e.kind)) + "/" + e.community + "/" + Hex(e.entity);
  auto requested = [&](const std::string& key) {
    return o.fields.empty() || std::find(o.fields.begin(), o.fields.end(), key) != o.fields.end();
  };
  std::vector<std::string> denied_read, revealed, denied_reveal;
  std::string read_reason, reveal_reason;
  bool any_readable = false;
  {
    ASSIGN_OR_RETURN(store::ReadTxn r, node.store().BeginRead());
    ASSIGN_OR_RETURN(bool exists, node.replica().Exists(r, e));
    if (!exists)
      return Status::NotFound("no " + std::string(model::EntityKindName(e.kind)) + " " +
                              Hex(e.entity) + " in " + e.community);
    ASSIGN_OR_RETURN(crdt::EntityState state, node.replica().Entity(r, e));
    for (const auto& [key, fs] : state) {
      const model::FieldDef* f = node.ref().catalog().Find(e.kind, key);
      if (!f || !requested(key)) continue;
      Decision rd = Decide(node.cert(), Op::kRead, *f, e.community);
      if (!rd.allowed()) {
        if (read_reason.empty()) read_reason = rd.reason;
        if (!o.fields.empty()) denied_read.push_back(key);
        continue;
      }
      any_readable = true;
      if (!o.reveal || f->cls == model::FieldClass::kOrdinary) continue;
      Decision rv = Decide(node.cert(), Op::kReveal, *f, e.community);
      if (rv.allowed()) {
        revealed.push_back(key);
      } else {
        denied_reveal.push_back(key);
        if (reveal_reason.empty()) reveal_reason = rv.reason;
      }
    }
  }
  // Denied requests are access events; so is every reveal.
  if (!denied_read.empty() || !any_readable) {
    if (read_reason.empty()) read_reason = "nothing of this record is readable here";
    RETURN_IF_ERROR(RecordAccess(node, AccessEvent{o.reveal ? "reveal" : "read", false, target,
                                                   denied_read, o.purpose, 1, read_reason, ""}));
    if (!any_readable) return Status::Denied(read_reason);
  }
  if (!revealed.empty()) {
    RETURN_IF_ERROR(
        RecordAccess(node, AccessEvent{"reveal", true, target, revealed, o.purpose, 1, "", ""}));
  }
  if (!denied_reveal.empty()) {
    RETURN_IF_ERROR(RecordAccess(node, AccessEvent{"reveal", false, target, denied_reveal,
                                                   o.purpose, 1, reveal_reason, ""}));
    if (revealed.empty()) return Status::Denied(reveal_reason);
  }
  ASSIGN_OR_RETURN(store::ReadTxn r, node.store().BeginRead());
  ViewOptions vo;
  vo.revealed = revealed;
  ASSIGN_OR_RETURN(EntityView view, ViewEntity(node, r, e, vo));
  if (!o.fields.empty()) {
    std::erase_if(view.fields, [&](const FieldView& f) { return !requested(f.def->key); });
    std::erase_if(view.withheld, [&](const std::string& k) { return !requested(k); });
  }
  return view;
}

Result<Id32> WriteEntity(Node& node, const crdt::EntityRef& e, const std::vector<FieldEdit>& edits,
                         const Node::CommitOptions& o) {
  std::vector<std::string> denied;
  std::string reason;
  for (const FieldEdit& edit : edits) {
    const model::FieldDef* f = node.ref().catalog().Find(e.kind, edit.field);
    if (!f)
      return Status::Invalid(Quote(edit.field) + " is not a " +
                             std::string(model::EntityKindName(e.kind)) + " field");
    Decision d = Decide(node.cert(), Op::kWrite, *f, e.community);
    if (!d.allowed()) {
      denied.push_back(edit.field);
      if (reason.empty()) reason = d.reason;
    }
  }
  std::string target =
      std::string(model::EntityKindName(e.kind)) + "/" + e.community + "/" + Hex(e.entity);
  if (!denied.empty()) {
    RETURN_IF_ERROR(
        RecordAccess(node, AccessEvent{"write", false, target, denied, "", 1, reason, ""}));
    return Status::Denied(reason);
  }
  Id32 id{};
  RETURN_IF_ERROR(node.store().Write([&](store::Txn& txn) -> Status {
    ASSIGN_OR_RETURN(id, node.Commit(txn, e, edits, o));
    return Status::Ok();
  }));
  return id;
}

Result<std::vector<AccessRecord>> ListAccessEvents(Node& node, uint64_t since_ms) {
  std::vector<AccessRecord> out;
  const model::FieldDef* action =
      node.ref().catalog().Find(model::EntityKind::kAccessEvent, "action");
  if (!action) return Status::Internal("the catalog has no access_event.action");
  ASSIGN_OR_RETURN(store::ReadTxn r, node.store().BeginRead());
  RETURN_IF_ERROR(node.replica().ScanEntities(
      r, "", model::EntityKind::kAccessEvent,
      [&](const crdt::EntityRef& e, const crdt::EntityState& state) -> Status {
        auto text = [&](const char* k) -> std::string {
          auto it = state.find(k);
          if (it == state.end() || !it->second.winner() ||
              it->second.winner()->kind != crdt::ValueKind::kText)
            return "";
          return it->second.winner()->value;
        };
        auto it = state.find("action");
        if (it == state.end() || !it->second.winner()) return Status::Ok();
        AccessRecord rec;
        rec.ms = crdt::HlcMillis(it->second.winner()->hlc);
        if (rec.ms < since_ms) return Status::Ok();
        ASSIGN_OR_RETURN(auto change, node.replica().LoadChange(r, it->second.winner()->id));
        // A node sees its own events; others' as the policy says (auditors, their scope).
        bool own = change && change->body.origin == node.cert().node_id;
        if (!own && !Decide(node.cert(), Op::kRead, *action, e.community).allowed())
          return Status::Ok();
        if (change) {
          const trust::Signer* s = node.trust().Find(change->body.origin);
          rec.node = s ? s->cert.name : Hex(change->body.origin);
          rec.node_kind = s ? std::string(trust::NodeKindName(s->cert.kind)) : "";
          rec.op = change->body.op;
        }
        rec.community = e.community;
        rec.entity = e.entity;
        rec.event.action = text("action");
        rec.event.allowed = text("outcome") == "allowed";
        rec.event.target = text("target");
        std::string fields = text("fields");  // Split's views point into it: keep it alive
        for (std::string_view f : Split(fields, ','))
          if (!f.empty()) rec.event.fields.emplace_back(f);
        rec.event.purpose = text("purpose");
        std::string count = text("count");
        rec.event.count = AllDigits(count) && !count.empty() ? std::stoull(count) : 0;
        rec.event.reason = text("reason");
        out.push_back(std::move(rec));
        return Status::Ok();
      }));
  std::sort(out.begin(), out.end(),
            [](const AccessRecord& a, const AccessRecord& b) { return a.ms > b.ms; });
  return out;
}

}  // namespace shequ::service
