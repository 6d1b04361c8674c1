#include "node/service/export.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "node/base/file.h"
#include "node/base/text.h"

namespace shequ::service {

namespace {

std::string CsvCell(const std::string& v) {
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

Result<ExportReport> Export(Node& node, const ExportOptions& o) {
  if (o.purpose.empty())
    return Status::Invalid("an export needs a purpose (--purpose TEXT): it is recorded");
  if (o.out.empty()) return Status::Invalid("an export needs --out FILE");
  const model::Catalog& cat = node.ref().catalog();
  std::string target = std::string(model::EntityKindName(o.kind)) + " " +
                       (o.scope.empty() ? std::string("*") : o.scope) + " -> " + o.out;
  // The columns: asked for, or all the node may export somewhere in its scope.
  std::vector<const model::FieldDef*> columns;
  std::string probe = o.scope.size() == 12 ? o.scope : HomeScope(node.cert());
  if (o.fields.empty()) {
    for (const model::FieldDef* f : cat.OfEntity(o.kind)) {
      bool any = false;
      for (const std::string& sc : node.cert().scopes) {
        std::string c = sc;
        if (c.size() < 12) c.append(12 - c.size(), '0');
        any |= Decide(node.cert(), Op::kExport, *f, c).allowed();
      }
      if (any && f->type != model::FieldType::kCommunity) columns.push_back(f);
    }
  } else {
    for (const std::string& k : o.fields) {
      const model::FieldDef* f = cat.Find(o.kind, k);
      if (!f)
        return Status::Invalid(Quote(k) + " is not a " +
                               std::string(model::EntityKindName(o.kind)) + " field");
      columns.push_back(f);
    }
  }
  if (columns.empty()) {
    AccessEvent ev{"export",
                   false,
                   target,
                   o.fields,
                   o.purpose,
                   0,
                   "node " + node.cert().name + " may export no field of this kind",
                   ""};
    RETURN_IF_ERROR(RecordAccess(node, ev));
    return Status::Denied(ev.reason);
  }
  ExportReport rep;
  for (const model::FieldDef* f : columns) rep.fields.push_back(f->key);
  std::set<std::string> revealed, masked;
  std::string csv = "entity,community";
  for (const model::FieldDef* f : columns) csv += "," + f->key;
  csv += "\n";
  nlohmann::ordered_json records = nlohmann::ordered_json::array();
  Status denied;
  std::vector<std::string> denied_fields;
  {
    ASSIGN_OR_RETURN(store::ReadTxn r, node.store().BeginRead());
    RETURN_IF_ERROR(node.replica().ScanEntities(
        r, o.scope, o.kind, [&](const crdt::EntityRef& e, const crdt::EntityState& state) {
          std::vector<std::string> row;
          bool any = false;
          for (const model::FieldDef* f : columns) {
            Decision d = Decide(node.cert(), Op::kExport, *f, e.community);
            if (d.allowed() && o.reveal && d.visibility == Visibility::kMasked) {
              Decision rv = Decide(node.cert(), Op::kReveal, *f, e.community);
              if (!rv.allowed())
                d = rv;
              else
                d.visibility = Visibility::kFull;
            }
            if (!d.allowed()) {
              // Asked for explicitly: the export is refused. Else the record is out of reach.
              if (!o.fields.empty()) {
                if (denied.ok()) denied = Status::Denied(d.reason);
                if (std::find(denied_fields.begin(), denied_fields.end(), f->key) ==
                    denied_fields.end())
                  denied_fields.push_back(f->key);
              }
              row.push_back("");
              continue;
            }
            any = true;
            std::string v;
            auto it = state.find(f->key);
            if (it != state.end() && it->second.winner()) {
              ASSIGN_OR_RETURN(std::optional<std::string> plain,
                               node.replica().OpenValue(r, e, f->key, *it->second.winner()));
              v = plain ? *plain : "";
            }
            if (d.visibility == Visibility::kMasked && !v.empty()) {
              v = Mask(*f, v);
              masked.insert(f->key);
            } else if (f->cls != model::FieldClass::kOrdinary && !v.empty()) {
              revealed.insert(f->key);
            }
            row.push_back(std::move(v));
          }
          if (!any) return Status::Ok();
          ++rep.records;
          if (o.format == ExportOptions::Format::kCsv) {
            csv += Hex(e.entity) + "," + e.community;
            for (const std::string& v : row) csv += "," + CsvCell(v);
            csv += "\n";
          } else {
            nlohmann::ordered_json rec{{"entity", Hex(e.entity)}, {"community", e.community}};
            for (size_t i = 0; i < columns.size(); ++i) rec[columns[i]->key] = row[i];
            records.push_back(std::move(rec));
          }
          return Status::Ok();
        }));
  }
  if (!denied.ok()) {
    RETURN_IF_ERROR(RecordAccess(node, AccessEvent{"export", false, target, denied_fields,
                                                   o.purpose, 0, denied.message(), ""}));
    return denied;
  }
  std::string data = o.format == ExportOptions::Format::kCsv ? csv : records.dump(1) + "\n";
  RETURN_IF_ERROR(WriteFileAtomic(o.out, data, 0600));
  rep.revealed.assign(revealed.begin(), revealed.end());
  rep.masked.assign(masked.begin(), masked.end());
  AccessEvent ev{"export", true, target, rep.fields, o.purpose, rep.records, "", ""};
  if (!rep.revealed.empty()) ev.reason = "revealed: " + Join(rep.revealed, ",");
  RETURN_IF_ERROR(RecordAccess(node, ev));
  return rep;
}

}  // namespace shequ::service
