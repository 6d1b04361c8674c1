#include "scoring/inputs.h"

#include "node/base/text.h"
#include "node/model/validate.h"
#include "node/service/access.h"

namespace shequ::scoring {

namespace {

Id16 Derived(std::string_view tag, std::string_view a, std::string_view b) {
  Bytes m = ToBytes(tag);
  m.push_back(0);
  Append(m, AsBytes(a));
  m.push_back(0);
  Append(m, AsBytes(b));
  Id32 d = crypto::Sha256(m);
  Id16 id;
  std::copy(d.begin(), d.begin() + 16, id.begin());
  return id;
}

Status Write(service::Node& node, const crdt::EntityRef& e, const KeyValues& kv,
             std::vector<service::FieldEdit> extra) {
  if (!node.ref().divisions().IsResidentUnit(e.community))
    return Status::Invalid(e.community + " is not a community or village of the city");
  model::ValidationContext ctx;
  ctx.ref = &node.ref();
  ctx.today = Today();
  std::vector<service::FieldEdit> edits = std::move(extra);
  for (const auto& [k, v] : kv) {
    const model::FieldDef* f = node.ref().catalog().Find(e.kind, k);
    if (!f || (e.kind == model::EntityKind::kAssessmentInput && k == "period"))
      return Status::Invalid(Quote(k) + " is not a field of " +
                             std::string(model::EntityKindName(e.kind)) + " (see docs/CLI.md)");
    if (v.empty()) {
      edits.push_back({k, std::nullopt});
      continue;
    }
    model::FieldCheck check = model::CheckField(*f, v, ctx);
    if (check.problem && check.problem->severity == model::Severity::kError)
      return Status::Invalid(f->label + " (" + k + "): " + check.problem->message);
    edits.push_back({k, check.value});
  }
  service::Node::CommitOptions co;
  co.tool = crdt::Tool::kPlatform;
  return service::WriteEntity(node, e, edits, co).status();
}

}  // namespace

Id16 ProfileId(std::string_view community) { return Derived("shequ/profile/v1", community, ""); }
Id16 CardId(std::string_view community, std::string_view card_no) {
  return Derived("shequ/card/v1", community, card_no);
}
Id16 InputId(std::string_view community, std::string_view period_label) {
  return Derived("shequ/assessment-input/v1", community, period_label);
}

Status SetProfile(service::Node& node, const std::string& community, const KeyValues& kv) {
  return Write(
      node, crdt::EntityRef{community, model::EntityKind::kCommunityProfile, ProfileId(community)},
      kv, {});
}

Status SetInput(service::Node& node, const std::string& community, const Period& period,
                const KeyValues& kv) {
  return Write(node,
               crdt::EntityRef{community, model::EntityKind::kAssessmentInput,
                               InputId(community, period.label)},
               kv, {{"period", period.label}});
}

Status ArchiveCard(service::Node& node, const std::string& card_no, const std::string& location,
                   const Date& date) {
  std::vector<crdt::EntityRef> found;
  {
    ASSIGN_OR_RETURN(store::ReadTxn r, node.store().BeginRead());
    ASSIGN_OR_RETURN(found, node.replica().FindByCard(r, card_no));
  }
  if (found.empty()) return Status::NotFound("no household with card number " + card_no);
  if (found.size() > 1)
    return Status::Invalid("card number " + card_no + " names " + std::to_string(found.size()) +
                           " households; resolve the duplicate first");
  service::Node::CommitOptions co;
  co.tool = crdt::Tool::kCard;
  const std::string& community = found[0].community;
  return service::WriteEntity(
             node, crdt::EntityRef{community, model::EntityKind::kCard, CardId(community, card_no)},
             {{"card_no", card_no}, {"archived", date.ToString()}, {"location", location}}, co)
      .status();
}

}  // namespace shequ::scoring
