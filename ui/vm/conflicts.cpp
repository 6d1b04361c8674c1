#include "ui/vm/conflicts.h"

#include "node/base/text.h"
#include "node/model/validate.h"
#include "node/service/access.h"
#include "node/service/cards.h"
#include "node/service/views.h"
#include "ui/vm/records_internal.h"
#include "ui/vm/text.h"

namespace shequ::ui {

namespace {

ConflictValue ValueOf(const service::ValueView& v, bool current) {
  ConflictValue out;
  out.change = Hex(v.change);
  out.display = v.display.empty() ? "（空）" : v.display;
  out.tool = std::string(crdt::ToolLabel(v.tool));
  out.node = v.origin;
  out.op = v.op;
  out.time = TimeText(crdt::HlcMillis(v.hlc));
  out.current = current;
  return out;
}

}  // namespace

Status ConflictQueue::Load() {
  items_.clear();
  service::Node& node = session_.node();
  auto r = node.store().BeginRead();
  if (!r.ok()) return r.status();
  ASSIGN_OR_RETURN(auto queue, node.replica().ReviewQueue(*r));
  for (const auto& [e, field] : queue) {
    if (!node.cert().InScope(e.community)) continue;
    ASSIGN_OR_RETURN(service::EntityView v, service::ViewEntity(node, *r, e));
    const service::FieldView* f = v.Find(field);
    if (!f) continue;
    ConflictItem item;
    item.entity = Hex(e.entity);
    item.community = e.community;
    item.kind = std::string(model::EntityKindName(e.kind));
    item.field = field;
    item.label = f->def->label;
    item.name = v.Value("name");
    item.values.push_back(ValueOf(f->current, true));
    for (const service::ValueView& s : f->siblings) item.values.push_back(ValueOf(s, false));
    for (ConflictValue& cv : item.values) {
      auto it = revealed_.find(cv.change);
      if (it == revealed_.end()) continue;
      cv.display = it->second;
      item.revealed = true;
    }
    items_.push_back(std::move(item));
  }
  return Status::Ok();
}

Status ConflictQueue::Reveal(size_t index) {
  if (index >= items_.size()) return Status::Invalid("没有这一项");
  ConflictItem& item = items_[index];
  crdt::EntityRef e;
  {
    auto r = session_.node().store().BeginRead();
    if (!r.ok()) return r.status();
    ASSIGN_OR_RETURN(e, internal::FindAny(session_, *r, item.entity));
  }
  service::ReadOptions ro;
  ro.reveal = true;
  ro.fields = {item.field};
  ro.purpose = "冲突审核";
  auto v = service::ReadEntity(session_.node(), e, ro);
  if (!v.ok()) {
    message_ = "未能显示：" + v.status().message();
    return v.status();
  }
  const service::FieldView* f = v->Find(item.field);
  if (!f) return Status::NotFound("该项已没有值");
  std::vector<const service::ValueView*> all = {&f->current};
  for (const service::ValueView& s : f->siblings) all.push_back(&s);
  for (const service::ValueView* x : all) revealed_[Hex(x->change)] = x->display;
  for (ConflictValue& cv : item.values) {
    auto it = revealed_.find(cv.change);
    if (it != revealed_.end()) cv.display = it->second;
  }
  item.revealed = true;
  return Status::Ok();
}

Status ConflictQueue::Resolve(const ConflictItem& item, const std::string& change) {
  RETURN_IF_ERROR(session_.CheckWritable());
  service::Node& node = session_.node();
  Status st = node.store().Write([&](store::Txn& txn) -> Status {
    ASSIGN_OR_RETURN(crdt::EntityRef e, internal::FindAny(session_, txn, item.entity));
    // The plain value of the chosen head: it is written back, never shown.
    service::ViewOptions vo;
    vo.unmasked = true;
    ASSIGN_OR_RETURN(service::EntityView v, service::ViewEntity(node, txn, e, vo));
    const service::FieldView* f = v.Find(item.field);
    if (!f) return Status::NotFound("该项已没有值");
    const service::ValueView* pick = nullptr;
    if (Hex(f->current.change) == change) pick = &f->current;
    for (const service::ValueView& s : f->siblings)
      if (Hex(s.change) == change) pick = &s;
    if (!pick) return Status::Aborted("该冲突已有变化，请刷新后再选");
    model::ValidationContext vctx = service::MakeValidationContext(node, txn, "", session_.today());
    model::FieldCheck check = model::CheckField(*f->def, pick->value, vctx);
    if (check.problem && check.problem->severity == model::Severity::kError)
      return Status::Invalid(check.problem->message);
    service::Node::CommitOptions co;
    co.tool = crdt::Tool::kPlatform;
    co.op = session_.op();
    // Marked as a review's correction: the assessment's fill accuracy counts resolved fields.
    co.warnings.push_back({item.field, "resolved", "冲突经审核更正"});
    return node.Commit(txn, e, {service::FieldEdit{item.field, check.value}}, co).status();
  });
  if (!st.ok()) {
    message_ = "未处理：" + st.message();
    return st;
  }
  message_ = "已处理：" + item.label + " 采用所选的值";
  return Load();
}

}  // namespace shequ::ui
