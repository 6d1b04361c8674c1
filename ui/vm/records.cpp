#include "ui/vm/records.h"

#include <algorithm>

#include "node/base/text.h"
#include "node/service/cards.h"
#include "node/service/policy.h"
#include "ui/vm/records_internal.h"
#include "ui/vm/text.h"

namespace shequ::ui {

const FieldLine* RecordView::Find(const std::string& key) const {
  for (const FieldLine& f : fields)
    if (f.key == key) return &f;
  return nullptr;
}

std::string RecordView::Value(const std::string& key) const {
  const FieldLine* f = Find(key);
  return f ? f->value : std::string();
}

namespace internal {

std::string SourceText(const service::ValueView& v) {
  std::string s = std::string(crdt::ToolLabel(v.tool)) + " · " + v.origin;
  if (!v.op.empty() && v.op != v.origin) s += " · " + v.op;
  return s + " · " + TimeText(crdt::HlcMillis(v.hlc));
}

RecordView ToRecord(Session& session, const service::EntityView& v,
                    const std::vector<std::string>& revealed) {
  RecordView r;
  r.entity = Hex(v.ref.entity);
  r.community = v.ref.community;
  r.kind = std::string(model::EntityKindName(v.ref.kind));
  r.changes = v.changes;
  for (const service::FieldView& f : v.fields) {
    // The person's household is the record shown above it, not a value to read.
    if (f.def->type == model::FieldType::kRef && f.def->key == "household") continue;
    FieldLine line;
    line.key = f.def->key;
    line.label = f.def->label;
    line.value = f.filled ? f.current.display : std::string();
    line.source = SourceText(f.current);
    line.masked = f.visibility == service::Visibility::kMasked;
    line.revealed = std::find(revealed.begin(), revealed.end(), f.def->key) != revealed.end();
    for (const auto& s : f.siblings)
      line.conflicts.push_back((s.display.empty() ? "（空）" : s.display) + "（" + SourceText(s) +
                               "）");
    for (const auto& p : f.proposals)
      line.proposals.push_back((p.display.empty() ? "（空）" : p.display) + "（" + SourceText(p) +
                               "）");
    r.fields.push_back(std::move(line));
  }
  for (const crdt::Note& n : v.warnings) {
    const model::FieldDef* def = session.ref().catalog().Find(v.ref.kind, n.field);
    r.warnings.push_back((def ? def->label + "：" : std::string()) + n.message);
  }
  for (const std::string& k : v.withheld) {
    const model::FieldDef* def = session.ref().catalog().Find(v.ref.kind, k);
    r.withheld.push_back(def ? def->label : k);
  }
  r.damaged = v.damaged;
  return r;
}

std::string ShownValue(Session& session, const model::FieldDef& def, const std::string& plain,
                       const std::string& community, bool revealed) {
  service::Decision d = service::Decide(session.node().cert(), service::Op::kRead, def, community);
  switch (d.visibility) {
    case service::Visibility::kDenied:
      return "（无权查看）";
    case service::Visibility::kMasked:
      if (!revealed) {
        std::string masked = service::Mask(def, plain);
        return def.codes && def.cls == model::FieldClass::kOrdinary
                   ? service::DisplayValue(def, masked)
                   : masked;
      }
      [[fallthrough]];
    case service::Visibility::kFull:
      return service::DisplayValue(def, plain);
  }
  return "";
}

Result<std::vector<HistoryEntry>> LoadHistory(Session& session, const store::Txn& txn,
                                              const crdt::EntityRef& e,
                                              const std::vector<std::string>& revealed) {
  service::Node& node = session.node();
  ASSIGN_OR_RETURN(auto state, node.replica().Entity(txn, e));
  ASSIGN_OR_RETURN(auto changes, node.replica().History(txn, e));
  std::vector<HistoryEntry> out;
  for (const crdt::Change& c : changes) {
    HistoryEntry h;
    h.time = FormatMillis(crdt::HlcMillis(c.body.hlc));
    const trust::Signer* s = node.trust().Find(c.body.origin);
    h.node = s ? s->cert.name : Hex(c.body.origin).substr(0, 8);
    h.op = c.body.op;
    h.tool = std::string(crdt::ToolLabel(c.body.tool));
    h.device = c.body.device;
    h.change = Hex(c.id).substr(0, 12);
    for (const crdt::Write& w : c.body.writes) {
      const model::FieldDef* def = node.ref().catalog().Find(e.kind, w.field);
      HistoryWrite hw;
      hw.label = def ? def->label : w.field;
      if (w.kind == crdt::ValueKind::kAbsent) {
        hw.value = "（清空）";
      } else if (def) {
        crdt::Head head;
        head.id = c.id;
        head.hlc = c.body.hlc;
        head.kind = w.kind;
        head.value = w.value;
        auto plain = node.replica().OpenValue(txn, e, w.field, head);
        bool shown = std::find(revealed.begin(), revealed.end(), w.field) != revealed.end();
        if (!plain.ok() || !*plain)
          hw.value = "（无法解密）";
        else
          hw.value = ShownValue(session, *def, **plain, e.community, shown);
      } else {
        hw.value = w.value;
      }
      hw.outcome = "已被取代";
      auto fs = state.find(w.field);
      if (fs != state.end()) {
        const crdt::FieldState& f = fs->second;
        bool head = std::any_of(f.heads.begin(), f.heads.end(),
                                [&](const crdt::Head& x) { return x.id == c.id; });
        if (head) hw.outcome = "当前值";  // the winner, or a head with the winner's value
        for (const crdt::Head* sib : f.siblings())
          if (sib->id == c.id) hw.outcome = "冲突待审核";
        for (const crdt::Head* p : f.proposals())
          if (p->id == c.id) hw.outcome = "待部门确认";
      }
      h.writes.push_back(std::move(hw));
    }
    for (const crdt::Note& n : c.body.warnings) {
      const model::FieldDef* def = node.ref().catalog().Find(e.kind, n.field);
      h.notes.push_back((def ? def->label + "：" : std::string()) + n.message);
    }
    out.push_back(std::move(h));
  }
  return out;
}

Result<crdt::EntityRef> FindAny(Session& session, const store::Txn& txn, const std::string& hex) {
  auto id = UnhexFixed<16>(hex);
  if (!id.ok()) return Status::Invalid("实体编号应为32位十六进制数：" + hex);
  for (model::EntityKind k : model::kAllEntityKinds) {
    ASSIGN_OR_RETURN(auto e, service::FindEntity(session.node(), txn, k, *id));
    if (e) return *e;
  }
  return Status::NotFound("本节点没有实体 " + hex);
}

}  // namespace internal
}  // namespace shequ::ui
