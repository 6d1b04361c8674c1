#include "ui/vm/browser.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "node/base/text.h"
#include "node/model/id_number.h"
#include "node/service/access.h"
#include "node/service/cards.h"
#include "node/service/policy.h"
#include "ui/vm/records_internal.h"

namespace shequ::ui {

namespace {

// The winner's plain text of a field of a scanned entity, "" when absent or sealed.
std::string PlainText(const crdt::EntityState& s, std::string_view key) {
  auto it = s.find(key);
  if (it == s.end() || !it->second.winner()) return "";
  const crdt::Head& h = *it->second.winner();
  return h.kind == crdt::ValueKind::kText ? h.value : std::string();
}

// The opened winner of a field (sealed values opened with the node's keys), "" when absent or
// not openable here.
std::string OpenedText(service::Node& node, const store::Txn& txn, const crdt::EntityRef& e,
                       const crdt::EntityState& s, std::string_view key) {
  auto it = s.find(key);
  if (it == s.end() || !it->second.winner()) return "";
  auto v = node.replica().OpenValue(txn, e, key, *it->second.winner());
  return v.ok() && *v ? **v : std::string();
}

// Fields of `view` shown in full although the policy masks them: the ones revealed.
std::vector<std::string> RevealedKeys(Session& session, const service::EntityView& v) {
  std::vector<std::string> out;
  for (const service::FieldView& f : v.fields) {
    service::Decision d =
        service::Decide(session.node().cert(), service::Op::kRead, *f.def, v.ref.community);
    if (d.visibility == service::Visibility::kMasked && f.visibility == service::Visibility::kFull)
      out.push_back(f.def->key);
  }
  return out;
}

}  // namespace

Browser::Browser(Session& session) : session_(session) {
  std::vector<std::string> communities = session_.Communities();
  if (!communities.empty()) community_ = communities.front();
}

Status Browser::Load(const std::string& community) {
  auto t0 = std::chrono::steady_clock::now();
  community_ = community;
  rows_.clear();
  matches_.clear();
  filtered_ = false;
  query_.clear();
  household_.reset();
  members_.clear();
  person_.reset();
  history_.clear();
  service::Node& node = session_.node();
  const model::Catalog& cat = session_.ref().catalog();
  const model::FieldDef* address = cat.Find(model::EntityKind::kHousehold, "address");
  const model::FieldDef* type = cat.Find(model::EntityKind::kHousehold, "household_type");
  auto r = node.store().BeginRead();
  if (!r.ok()) return r.status();
  // Households with something in the review queue, their own or a member's.
  std::set<std::string> review;
  ASSIGN_OR_RETURN(auto queue, node.replica().ReviewQueue(*r));
  for (const auto& [e, field] : queue) {
    if (e.community != community) continue;
    if (e.kind == model::EntityKind::kHousehold) review.insert(Hex(e.entity));
    if (e.kind == model::EntityKind::kPerson) {
      ASSIGN_OR_RETURN(auto h, node.replica().Field(*r, e, "household"));
      if (h && h->winner()) review.insert(h->winner()->value);
    }
  }
  service::Decision address_read =
      service::Decide(node.cert(), service::Op::kRead, *address, community);
  RETURN_IF_ERROR(node.replica().ScanEntities(
      *r, community, model::EntityKind::kHousehold,
      [&](const crdt::EntityRef& e, const crdt::EntityState& s) -> Status {
        if (e.community != community) return Status::Ok();
        HouseholdRow row;
        row.entity = Hex(e.entity);
        row.card_no = PlainText(s, "card_no");
        if (address_read.allowed()) {
          std::string plain = OpenedText(node, *r, e, s, "address");
          row.address = internal::ShownValue(session_, *address, plain, community, false);
        } else {
          row.address = "（无权查看）";
        }
        row.household_type = service::DisplayValue(*type, PlainText(s, "household_type"));
        ASSIGN_OR_RETURN(auto members, node.replica().Members(*r, e));
        row.members = members.size();
        row.conflicted = review.count(row.entity) > 0;
        rows_.push_back(std::move(row));
        return Status::Ok();
      }));
  // Card number order: what the paper archive follows.
  std::sort(rows_.begin(), rows_.end(),
            [](const HouseholdRow& a, const HouseholdRow& b) { return a.card_no < b.card_no; });
  load_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return Status::Ok();
}

Status Browser::Search(const std::string& query) {
  query_ = std::string(Trim(query));
  matches_.clear();
  if (query_.empty()) {
    filtered_ = false;
    return Status::Ok();
  }
  filtered_ = true;
  service::Node& node = session_.node();
  const model::Catalog& cat = session_.ref().catalog();
  std::set<std::string> households;
  auto r = node.store().BeginRead();
  if (!r.ok()) return r.status();
  model::IdParse id = model::ParseCitizenId(query_);
  if (id.error == model::IdError::kNone) {
    ASSIGN_OR_RETURN(auto persons, node.replica().FindByIdNumber(*r, id.id.number));
    for (const crdt::EntityRef& p : persons) {
      if (p.community != community_) continue;
      ASSIGN_OR_RETURN(auto h, node.replica().Field(*r, p, "household"));
      if (h && h->winner()) households.insert(h->winner()->value);
    }
  } else {
    for (const HouseholdRow& row : rows_)
      if (row.card_no.find(query_) != std::string::npos) households.insert(row.entity);
    // Names and addresses rest sealed: they are opened here, matched, and not kept.
    auto readable = [&](model::EntityKind k, std::string_view key) {
      const model::FieldDef* f = cat.Find(k, key);
      return f && service::Decide(node.cert(), service::Op::kRead, *f, community_).allowed();
    };
    if (readable(model::EntityKind::kHousehold, "address")) {
      RETURN_IF_ERROR(node.replica().ScanEntities(
          *r, community_, model::EntityKind::kHousehold,
          [&](const crdt::EntityRef& e, const crdt::EntityState& s) -> Status {
            if (OpenedText(node, *r, e, s, "address").find(query_) != std::string::npos)
              households.insert(Hex(e.entity));
            return Status::Ok();
          }));
    }
    if (readable(model::EntityKind::kPerson, "name")) {
      RETURN_IF_ERROR(node.replica().ScanEntities(
          *r, community_, model::EntityKind::kPerson,
          [&](const crdt::EntityRef& e, const crdt::EntityState& s) -> Status {
            if (OpenedText(node, *r, e, s, "name").find(query_) != std::string::npos)
              households.insert(PlainText(s, "household"));
            return Status::Ok();
          }));
    }
  }
  for (size_t i = 0; i < rows_.size(); ++i)
    if (households.count(rows_[i].entity)) matches_.push_back(i);
  return Status::Ok();
}

Status Browser::SelectRow(size_t i) {
  if (i >= shown()) return Status::Invalid("没有这一行");
  return SelectHousehold(row(i).entity);
}

Status Browser::SelectHousehold(const std::string& entity_hex) {
  service::Node& node = session_.node();
  crdt::EntityRef h;
  {
    auto r = node.store().BeginRead();
    if (!r.ok()) return r.status();
    ASSIGN_OR_RETURN(h, internal::FindAny(session_, *r, entity_hex));
  }
  ASSIGN_OR_RETURN(service::EntityView hv, service::ReadEntity(node, h, {}));
  household_ = internal::ToRecord(session_, hv, {});
  members_.clear();
  person_.reset();
  history_.clear();
  auto r = node.store().BeginRead();
  if (!r.ok()) return r.status();
  ASSIGN_OR_RETURN(auto members, node.replica().Members(*r, h));
  for (const crdt::EntityRef& m : members) {
    ASSIGN_OR_RETURN(service::EntityView mv, service::ViewEntity(node, *r, m));
    RecordView rec = internal::ToRecord(session_, mv, {});
    MemberRow row;
    row.entity = Hex(m.entity);
    row.name = rec.Value("name");
    row.gender = rec.Value("gender");
    row.birth_date = rec.Value("birth_date");
    row.id_number = rec.Value("id_number");
    row.relationship = rec.Value("relationship");
    std::string status = mv.Value("status");
    row.active = status.empty() || status == "1";
    row.status = rec.Value("status");
    members_.push_back(std::move(row));
  }
  return Status::Ok();
}

Status Browser::SelectPerson(const std::string& entity_hex) {
  return LoadPerson(entity_hex, false, "");
}

Status Browser::RevealPerson(const std::string& purpose) {
  if (!person_) return Status::Invalid("请先选择一个人");
  if (Trim(purpose).empty()) return Status::Invalid("显示完整信息须填写事由（将记入访问日志）");
  return LoadPerson(person_->entity, true, std::string(Trim(purpose)));
}

Status Browser::LoadPerson(const std::string& entity_hex, bool reveal, const std::string& purpose) {
  service::Node& node = session_.node();
  crdt::EntityRef e;
  {
    auto r = node.store().BeginRead();
    if (!r.ok()) return r.status();
    ASSIGN_OR_RETURN(e, internal::FindAny(session_, *r, entity_hex));
  }
  service::ReadOptions ro;
  ro.reveal = reveal;
  ro.purpose = purpose;
  ASSIGN_OR_RETURN(service::EntityView v, service::ReadEntity(node, e, ro));
  std::vector<std::string> revealed = RevealedKeys(session_, v);
  person_ = internal::ToRecord(session_, v, revealed);
  auto r = node.store().BeginRead();
  if (!r.ok()) return r.status();
  ASSIGN_OR_RETURN(history_, internal::LoadHistory(session_, *r, e, revealed));
  return Status::Ok();
}

}  // namespace shequ::ui
