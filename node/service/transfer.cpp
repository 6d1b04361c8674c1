#include "node/service/transfer.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "node/base/text.h"
#include "node/service/cards.h"
#include "node/service/policy.h"

namespace shequ::service {

using crdt::EntityRef;
using model::EntityKind;

namespace {

std::string Get(const std::map<std::string, std::string, std::less<>>& v, std::string_view k) {
  auto it = v.find(k);
  return it == v.end() ? std::string() : it->second;
}

}  // namespace

Result<Id16> TransferOut(Node& node, const EntityRef& person, const std::string& to_community,
                         const std::string& reason, Date date, const std::string& op) {
  if (!node.ref().divisions().IsResidentUnit(to_community))
    return Status::Invalid(Quote(to_community) + " is not a real community or village");
  if (to_community == person.community)
    return Status::Invalid("the person already lives in " + to_community);
  Id16 id{};
  Status st = node.store().Write([&](store::Txn& txn) -> Status {
    ASSIGN_OR_RETURN(auto values, node.replica().Values(txn, person));
    if (values.empty()) return Status::NotFound("no person " + Hex(person.entity));
    std::string status = Get(values, "status");
    if (!status.empty() && status != "1")
      return Status::Invalid("person " + Hex(person.entity) + " is not registered here (status " +
                             status + ")");
    // The record the destination re-issues: every member field of the card.
    nlohmann::ordered_json record = nlohmann::ordered_json::object();
    for (const model::FieldDef* f : node.ref().catalog().OfEntity(EntityKind::kPerson)) {
      if (f->type == model::FieldType::kRef || f->key == "status") continue;
      std::string v = Get(values, f->key);
      if (!v.empty()) record[f->key] = v;
    }
    id = node.NewEntityId();
    EntityRef t{to_community, EntityKind::kTransfer, id};
    std::vector<FieldEdit> edits = {{"person", Hex(person.entity)},
                                    {"from_community", person.community},
                                    {"out_date", date.ToString()},
                                    {"record", record.dump()},
                                    {"status", "1"}};
    if (!reason.empty()) edits.push_back({"reason", reason});
    Node::CommitOptions co;
    co.op = op;
    RETURN_IF_ERROR(node.Commit(txn, t, edits, co).status());
    // The person stays on the origin's books, marked 迁出 (moved out), not deleted.
    return node.Commit(txn, person, {{"status", "2"}}, co).status();
  });
  if (!st.ok()) return st;
  return id;
}

Result<std::vector<TransferView>> ListTransfers(Node& node, Date today) {
  std::vector<TransferView> out;
  ASSIGN_OR_RETURN(store::ReadTxn r, node.store().BeginRead());
  RETURN_IF_ERROR(node.replica().ScanEntities(
      r, "", EntityKind::kTransfer, [&](const EntityRef& e, const crdt::EntityState& state) {
        auto value = [&](const char* k) -> std::string {
          auto it = state.find(k);
          if (it == state.end() || !it->second.winner() || !it->second.winner()->filled())
            return "";
          auto v = node.replica().OpenValue(r, e, k, *it->second.winner());
          return v.ok() && *v ? **v : std::string();
        };
        TransferView v;
        v.ref = e;
        v.person = value("person");
        v.from_community = value("from_community");
        v.out_date = value("out_date");
        v.accept_date = value("accept_date");
        v.status = value("status");
        v.new_person = value("new_person");
        v.reason = value("reason");
        auto record = nlohmann::json::parse(value("record"), nullptr, false);
        if (record.is_object()) {
          // Shown masked, as every personal value on screen (policy.h); the accept step reads
          // the record itself.
          const model::Catalog& cat = node.ref().catalog();
          v.name = Mask(*cat.Find(EntityKind::kPerson, "name"), record.value("name", ""));
          v.id_number =
              Mask(*cat.Find(EntityKind::kPerson, "id_number"), record.value("id_number", ""));
        }
        if (auto d = Date::Parse(v.out_date); d && v.status == "1")
          v.days_waiting = static_cast<int>(today.DaysSinceEpoch() - d->DaysSinceEpoch());
        out.push_back(std::move(v));
        return Status::Ok();
      }));
  std::sort(out.begin(), out.end(),
            [](const TransferView& a, const TransferView& b) { return a.out_date > b.out_date; });
  return out;
}

Result<AcceptResult> TransferAccept(Node& node, const Id16& transfer, const std::string& card_no,
                                    const std::string& relationship, Date date,
                                    const std::string& op) {
  AcceptResult out;
  Status st = node.store().Write([&](store::Txn& txn) -> Status {
    out = AcceptResult{};
    ASSIGN_OR_RETURN(auto found, FindEntity(node, txn, EntityKind::kTransfer, transfer));
    if (!found) return Status::NotFound("no transfer " + Hex(transfer) + " has reached this node");
    EntityRef t = *found;
    if (!node.cert().InScope(t.community))
      return Status::Denied("transfer " + Hex(transfer) + " goes to " + t.community +
                            ", not to this node's community");
    ASSIGN_OR_RETURN(auto tv, node.replica().Values(txn, t));
    if (Get(tv, "status") != "1")
      return Status::Invalid("transfer " + Hex(transfer) + " is not pending (status " +
                             Get(tv, "status") + ")");
    auto record = nlohmann::json::parse(Get(tv, "record"), nullptr, false);
    if (!record.is_object())
      return Status::Corruption("transfer " + Hex(transfer) + " carries no readable record");
    // The household the person joins, in this community.
    ASSIGN_OR_RETURN(std::vector<EntityRef> households, node.replica().FindByCard(txn, card_no));
    std::optional<EntityRef> household;
    for (const EntityRef& h : households)
      if (h.community == t.community) household = h;
    if (!household)
      return Status::NotFound("no household with card " + card_no + " in " + t.community +
                              " (register the household's card first)");
    model::FieldValues member;
    for (auto it = record.begin(); it != record.end(); ++it)
      if (it.value().is_string()) member[it.key()] = it.value().get<std::string>();
    member["relationship"] = relationship;
    // Validated as a new member of that household's card.
    std::vector<EntityRef> refs;
    ASSIGN_OR_RETURN(model::Card before, CurrentCard(node, txn, *household, &refs));
    model::Card after = before;
    after.members.push_back(member);
    model::ValidationContext ctx = MakeValidationContext(node, txn, Hex(household->entity), date);
    model::CardCheck cb = model::CheckCard(before, ctx), ca = model::CheckCard(after, ctx);
    for (const model::Problem& p : ca.problems) {
      if (p.block == "visit") continue;
      bool old = false;
      for (const model::Problem& q : cb.problems)
        old |= q.code == p.code && q.member == p.member && q.field == p.field;
      if (!old) out.problems.push_back(p);
    }
    for (const model::Problem& p : out.problems)
      if (p.severity == model::Severity::kError) return Status::Ok();  // refused
    const model::FieldValues& normalized = ca.normalized.members.back();
    std::vector<FieldEdit> edits;
    for (const auto& [k, v] : normalized) edits.push_back({k, v});
    edits.push_back({"household", Hex(household->entity)});
    Node::CommitOptions co;
    co.op = op;
    for (const model::Problem& p : out.problems)
      co.warnings.push_back({p.field, p.code, p.message});
    out.person = node.NewEntityId();
    RETURN_IF_ERROR(
        node.Commit(txn, EntityRef{t.community, EntityKind::kPerson, out.person}, edits, co)
            .status());
    co.warnings.clear();
    RETURN_IF_ERROR(node.Commit(txn, t,
                                {{"status", "2"},
                                 {"accept_date", date.ToString()},
                                 {"new_person", Hex(out.person)}},
                                co)
                        .status());
    out.accepted = true;
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

}  // namespace shequ::service
