#include "node/service/views.h"

#include <algorithm>
#include <set>

#include "node/base/text.h"

namespace shequ::service {

const FieldView* EntityView::Find(std::string_view key) const {
  for (const FieldView& f : fields)
    if (f.def->key == key) return &f;
  return nullptr;
}

std::string EntityView::Value(std::string_view key) const {
  const FieldView* f = Find(key);
  return f && f->filled ? f->current.value : std::string();
}

std::string DisplayValue(const model::FieldDef& f, const std::string& value) {
  if (!f.codes || value.empty()) return value;
  if (f.type == model::FieldType::kList) {
    std::string out;
    for (std::string_view code : Split(value, ',')) {
      if (!out.empty()) out += "、";
      std::string_view label = f.codes->Label(code);
      out += label.empty() ? std::string(code) : std::string(label);
    }
    return value + " " + out;
  }
  std::string_view label = f.codes->Label(value);
  return label.empty() ? value : value + " " + std::string(label);
}

Result<EntityView> ViewEntity(Node& node, const store::Txn& txn, const crdt::EntityRef& e,
                              const ViewOptions& options) {
  EntityView view;
  view.ref = e;
  ASSIGN_OR_RETURN(auto state, node.replica().Entity(txn, e));
  std::map<Id32, std::optional<crdt::Change>> changes;
  auto change_of = [&](const Id32& id) -> Result<const crdt::Change*> {
    auto it = changes.find(id);
    if (it == changes.end()) {
      ASSIGN_OR_RETURN(auto c, node.replica().LoadChange(txn, id));
      it = changes.emplace(id, std::move(c)).first;
    }
    return it->second ? &*it->second : nullptr;
  };
  Visibility vis = Visibility::kFull;
  bool unreadable = false;
  std::string damage;  // a sealed value that does not authenticate
  auto value_view = [&](const model::FieldDef& def, const crdt::Head& h) -> Result<ValueView> {
    ValueView v;
    auto opened = node.replica().OpenValue(txn, e, def.key, h);
    if (!opened.ok() && opened.status().code() != Code::kCorruption) return opened.status();
    if (!opened.ok()) damage = opened.status().message();
    std::optional<std::string> plain = opened.ok() ? *opened : std::nullopt;
    if (h.kind == crdt::ValueKind::kSealed && !plain) unreadable = true;
    v.value = plain ? *plain : "";
    if (vis == Visibility::kMasked) {
      v.value = Mask(def, v.value);
      v.display = def.codes && def.cls == model::FieldClass::kOrdinary ? DisplayValue(def, v.value)
                                                                       : v.value;
    } else {
      v.display = DisplayValue(def, v.value);
    }
    v.tool = h.tool;
    v.hlc = h.hlc;
    v.rank = h.rank;
    v.change = h.id;
    ASSIGN_OR_RETURN(const crdt::Change* c, change_of(h.id));
    if (c) {
      const trust::Signer* s = node.trust().Find(c->body.origin);
      v.origin = s ? s->cert.name : Hex(c->body.origin).substr(0, 8);
      v.op = c->body.op;
    }
    return v;
  };
  std::set<std::tuple<std::string, std::string, std::string>> seen_notes;
  for (const model::FieldDef* def : node.ref().catalog().OfEntity(e.kind)) {
    auto it = state.find(def->key);
    if (it == state.end() || it->second.heads.empty()) continue;
    const crdt::FieldState& s = it->second;
    if (options.unmasked) {
      vis = Visibility::kFull;
    } else {
      Decision d = Decide(node.cert(), Op::kRead, *def, e.community);
      vis = d.visibility;
      if (vis == Visibility::kMasked && std::find(options.revealed.begin(), options.revealed.end(),
                                                  def->key) != options.revealed.end())
        vis = Visibility::kFull;
    }
    if (vis == Visibility::kDenied) {
      view.withheld.push_back(def->key);
      continue;
    }
    unreadable = false;
    FieldView fv;
    fv.def = def;
    fv.filled = s.winner()->filled();
    fv.visibility = vis;
    ASSIGN_OR_RETURN(fv.current, value_view(*def, *s.winner()));
    if (!damage.empty()) {
      // Shown as damaged, not as a value; the rest of the record stays readable.
      view.damaged.push_back(def->key + ": " + damage);
      damage.clear();
      continue;
    }
    if (unreadable) {
      view.withheld.push_back(def->key);
      continue;
    }
    for (const crdt::Head* h : s.siblings()) {
      ASSIGN_OR_RETURN(ValueView v, value_view(*def, *h));
      fv.siblings.push_back(std::move(v));
    }
    for (const crdt::Head* h : s.proposals()) {
      ASSIGN_OR_RETURN(ValueView v, value_view(*def, *h));
      fv.proposals.push_back(std::move(v));
    }
    ASSIGN_OR_RETURN(const crdt::Change* c, change_of(s.winner()->id));
    if (c) {
      // A note about this field counts while this change's value stands; notes about the
      // entity as a whole (no field, or another entity's key) while any of its values stand.
      for (const crdt::Note& n : c->body.warnings) {
        bool about_this = n.field == def->key;
        bool about_entity = n.field.empty() || !node.ref().catalog().Find(e.kind, n.field);
        if ((about_this || about_entity) && seen_notes.insert({n.field, n.code, n.message}).second)
          view.warnings.push_back(n);
      }
    }
    view.fields.push_back(std::move(fv));
  }
  ASSIGN_OR_RETURN(auto history, node.replica().History(txn, e));
  view.changes = history.size();
  return view;
}

}  // namespace shequ::service
