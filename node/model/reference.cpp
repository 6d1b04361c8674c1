#include "node/model/reference.h"

#include <algorithm>
#include <cstdlib>

#include "node/base/file.h"
#include "node/base/text.h"
#include "node/model/csv.h"
#include "node/model/embedded.h"

namespace shequ::model {

std::string_view EntityKindName(EntityKind kind) {
  switch (kind) {
    case EntityKind::kHousehold:
      return "household";
    case EntityKind::kPerson:
      return "person";
    case EntityKind::kVisit:
      return "visit";
    case EntityKind::kTransfer:
      return "transfer";
    case EntityKind::kAccessEvent:
      return "access_event";
    case EntityKind::kTerminalReport:
      return "terminal_report";
    case EntityKind::kCommunityProfile:
      return "community";
    case EntityKind::kAssessmentInput:
      return "assessment_input";
    case EntityKind::kCard:
      return "card";
  }
  return "unknown";
}

std::optional<EntityKind> ParseEntityKind(std::string_view name) {
  for (EntityKind k : kAllEntityKinds)
    if (EntityKindName(k) == name) return k;
  return std::nullopt;
}

std::string_view DepartmentName(Department d) {
  switch (d) {
    case Department::kCommunity:
      return "社区";
    case Department::kPolice:
      return "公安";
    case Department::kHealth:
      return "卫计委";
    case Department::kCivilAffairs:
      return "民政局";
    case Department::kLabour:
      return "人社局";
    case Department::kDisability:
      return "残联";
    case Department::kGovernance:
      return "综治办";
  }
  return "?";
}

std::string_view DepartmentSlug(Department d) {
  switch (d) {
    case Department::kCommunity:
      return "community";
    case Department::kPolice:
      return "police";
    case Department::kHealth:
      return "health";
    case Department::kCivilAffairs:
      return "civil-affairs";
    case Department::kLabour:
      return "labour";
    case Department::kDisability:
      return "disability";
    case Department::kGovernance:
      return "governance";
  }
  return "?";
}

std::optional<Department> ParseDepartment(std::string_view s) {
  for (Department d : kAllDepartments)
    if (DepartmentName(d) == s || DepartmentSlug(d) == s) return d;
  return std::nullopt;
}

char FieldClassLetter(FieldClass c) {
  switch (c) {
    case FieldClass::kOrdinary:
      return 'O';
    case FieldClass::kPersonal:
      return 'P';
    case FieldClass::kSensitive:
      return 'S';
  }
  return '?';
}

std::string Requirement::Describe() const {
  switch (kind) {
    case kNever:
      return "optional";
    case kAlways:
      return "required";
    case kMinAge:
      return "required for age >= " + std::to_string(min_age);
    case kUnlessEquals:
      return "required unless " + other + " = " + value;
    case kIfFilled:
      return "required when " + other + " is filled";
    case kIfEquals:
      return "required when " + other + " = " + value;
  }
  return "?";
}

CodeTable::CodeTable(std::string name, std::vector<Entry> entries)
    : name_(std::move(name)), entries_(std::move(entries)) {
  for (size_t i = 0; i < entries_.size(); ++i) index_.emplace(entries_[i].code, i);
}

const CodeTable::Entry* CodeTable::Find(std::string_view code) const {
  auto it = index_.find(code);
  return it == index_.end() ? nullptr : &entries_[it->second];
}

std::string_view CodeTable::Label(std::string_view code) const {
  const Entry* e = Find(code);
  return e ? std::string_view(e->label) : std::string_view();
}

std::vector<const CodeTable::Entry*> CodeTable::Filter(std::string_view text) const {
  std::vector<const Entry*> out;
  for (const Entry& e : entries_) {
    if (text.empty() || StartsWith(e.code, text) || e.label.find(text) != std::string::npos)
      out.push_back(&e);
  }
  return out;
}

void Divisions::Add(Division d) {
  std::string code = d.code;
  by_code_.insert_or_assign(std::move(code), std::move(d));
}

const Division* Divisions::Find(std::string_view code12) const {
  auto it = by_code_.find(code12);
  return it == by_code_.end() ? nullptr : &it->second;
}

bool Divisions::IsResidentUnit(std::string_view code12) const {
  const Division* d = Find(code12);
  return d && d->level == "village" && !d->dummy;
}

std::vector<const Division*> Divisions::ResidentUnits() const {
  std::vector<const Division*> out;
  for (const auto& [code, d] : by_code_)
    if (d.level == "village" && !d.dummy) out.push_back(&d);
  return out;
}

std::vector<const Division*> Divisions::Districts() const {
  std::vector<const Division*> out;
  for (const auto& [code, d] : by_code_)
    if (d.level == "county") out.push_back(&d);
  return out;
}

bool Divisions::IsCurrentCounty(std::string_view code6) const {
  if (code6.size() != 6) return false;
  const Division* d = Find(std::string(code6) + "000000");
  return d && d->level == "county";
}

std::string Divisions::PathName(std::string_view code12) const {
  std::vector<const Division*> chain;
  for (const Division* d = Find(code12); d && chain.size() < 6; d = Find(d->parent))
    chain.push_back(d);
  std::string out;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) out += (*it)->name;
  return out;
}

const FieldDef* Catalog::Find(EntityKind kind, std::string_view key) const {
  for (const FieldDef& f : fields_)
    if (f.entity == kind && f.key == key) return &f;
  return nullptr;
}

std::vector<const FieldDef*> Catalog::OfEntity(EntityKind kind) const {
  std::vector<const FieldDef*> out;
  for (const FieldDef& f : fields_)
    if (f.entity == kind) out.push_back(&f);
  return out;
}

const CodeTable* Reference::table(std::string_view name) const {
  auto it = tables_.find(name);
  return it == tables_.end() ? nullptr : it->second.get();
}

namespace {

Result<FieldType> ParseFieldType(std::string_view s) {
  static const std::pair<std::string_view, FieldType> kTypes[] = {
      {"text", FieldType::kText},
      {"name", FieldType::kName},
      {"community", FieldType::kCommunity},
      {"division", FieldType::kDivision},
      {"code", FieldType::kCode},
      {"list", FieldType::kList},
      {"date", FieldType::kDate},
      {"int", FieldType::kInt},
      {"phone", FieldType::kPhone},
      {"id_number", FieldType::kIdNumber},
      {"disability_cert", FieldType::kDisabilityCert},
      {"origin", FieldType::kOrigin},
      {"fingerprint", FieldType::kFingerprint},
      {"ref", FieldType::kRef}};
  for (const auto& [name, type] : kTypes)
    if (name == s) return type;
  return Status::Invalid("unknown field type " + Quote(s));
}

// "yes", "no", "age>=16", "unless doc_type=9", "if disability_category", "if residence_status=2"
Result<Requirement> ParseRequirement(std::string_view s) {
  Requirement r;
  if (s == "yes") {
    r.kind = Requirement::kAlways;
  } else if (s == "no" || s.empty()) {
    r.kind = Requirement::kNever;
  } else if (StartsWith(s, "age>=")) {
    r.kind = Requirement::kMinAge;
    r.min_age = std::atoi(std::string(s.substr(5)).c_str());
  } else if (StartsWith(s, "unless ") || StartsWith(s, "if ")) {
    bool unless = StartsWith(s, "unless ");
    std::string_view rest = s.substr(unless ? 7 : 3);
    size_t eq = rest.find('=');
    if (eq == std::string_view::npos) {
      if (unless) return Status::Invalid("requirement " + Quote(s) + " needs a value");
      r.kind = Requirement::kIfFilled;
      r.other = std::string(rest);
    } else {
      r.kind = unless ? Requirement::kUnlessEquals : Requirement::kIfEquals;
      r.other = std::string(rest.substr(0, eq));
      r.value = std::string(rest.substr(eq + 1));
    }
  } else {
    return Status::Invalid("unknown requirement " + Quote(s));
  }
  return r;
}

}  // namespace

template <typename ReadFn>
Result<Reference> Reference::LoadWith(ReadFn read) {
  Reference ref;
  ASSIGN_OR_RETURN(std::string catalog_text, read("catalog.csv"));
  ASSIGN_OR_RETURN(CsvTable cat, ParseCsv(catalog_text, "catalog.csv"));
  const char* kCols[] = {"entity", "key",   "label",    "type",  "table",
                         "owner",  "class", "required", "limit", "identity"};
  int col[10];
  for (int i = 0; i < 10; ++i) {
    col[i] = cat.Column(kCols[i]);
    if (col[i] < 0) return Status::Invalid(std::string("catalog.csv: no column ") + kCols[i]);
  }
  for (size_t r = 0; r < cat.rows.size(); ++r) {
    const auto& row = cat.rows[r];
    std::string where = "catalog.csv row " + std::to_string(r + 2);
    FieldDef f;
    auto kind = ParseEntityKind(row[col[0]]);
    if (!kind) return Status::Invalid(where + ": unknown entity " + Quote(row[col[0]]));
    f.entity = *kind;
    f.key = row[col[1]];
    f.label = row[col[2]];
    ASSIGN_OR_RETURN(f.type, ParseFieldType(row[col[3]]));
    f.table = row[col[4]];
    auto owner = ParseDepartment(row[col[5]]);
    if (!owner) return Status::Invalid(where + ": unknown owner " + Quote(row[col[5]]));
    f.owner = *owner;
    const std::string& cls = row[col[6]];
    if (cls == "O")
      f.cls = FieldClass::kOrdinary;
    else if (cls == "P")
      f.cls = FieldClass::kPersonal;
    else if (cls == "S")
      f.cls = FieldClass::kSensitive;
    else
      return Status::Invalid(where + ": unknown class " + Quote(cls));
    ASSIGN_OR_RETURN(f.required, ParseRequirement(row[col[7]]));
    f.limit = row[col[8]].empty() ? 0 : std::atoi(row[col[8]].c_str());
    f.identity = row[col[9]] == "y";
    f.review = row[col[9]] == "review";
    if (ref.catalog_.Find(f.entity, f.key))
      return Status::Invalid(where + ": duplicate key " + f.key);
    if (f.type == FieldType::kCode || f.type == FieldType::kList) {
      if (!ref.tables_.count(f.table)) {
        ASSIGN_OR_RETURN(std::string text, read(f.table + ".csv"));
        ASSIGN_OR_RETURN(CsvTable t, ParseCsv(text, f.table + ".csv"));
        int code = t.Column("code"), name = t.Column("name");
        if (code < 0 || name < 0) return Status::Invalid(f.table + ".csv: needs code,name columns");
        std::vector<CodeTable::Entry> entries;
        for (auto& trow : t.rows) entries.push_back({trow[code], trow[name]});
        ref.tables_.emplace(f.table, std::make_unique<CodeTable>(f.table, std::move(entries)));
      }
    }
    f.index = static_cast<uint16_t>(ref.catalog_.fields_.size());
    ref.catalog_.fields_.push_back(std::move(f));
  }
  // Code pointers once the vector no longer moves.
  for (FieldDef& f : ref.catalog_.fields_)
    if (!f.table.empty()) f.codes = ref.table(f.table);
  // Requirement references must name fields of the same entity.
  for (const FieldDef& f : ref.catalog_.fields_) {
    if (!f.required.other.empty() && !ref.catalog_.Find(f.entity, f.required.other))
      return Status::Invalid("catalog.csv: " + f.key + " depends on unknown field " +
                             f.required.other);
  }

  ASSIGN_OR_RETURN(std::string div_text, read("wuhai_divisions_2016.csv"));
  ASSIGN_OR_RETURN(CsvTable div, ParseCsv(div_text, "wuhai_divisions_2016.csv"));
  int c_code = div.Column("code12"), c_parent = div.Column("parent12"), c_name = div.Column("name"),
      c_level = div.Column("level"), c_ur = div.Column("urban_rural_code"),
      c_dummy = div.Column("dummy");
  if (c_code < 0 || c_parent < 0 || c_name < 0 || c_level < 0 || c_ur < 0 || c_dummy < 0)
    return Status::Invalid("wuhai_divisions_2016.csv: missing columns");
  for (auto& row : div.rows) {
    if (row[c_code].size() != 12 || !AllDigits(row[c_code]))
      return Status::Invalid("wuhai_divisions_2016.csv: bad code " + Quote(row[c_code]));
    ref.divisions_.Add(Division{row[c_code], row[c_parent], row[c_name], row[c_level], row[c_ur],
                                row[c_dummy] == "t"});
  }
  return ref;
}

Result<Reference> Reference::LoadFromDir(const std::string& dir) {
  return LoadWith(
      [&](const std::string& name) -> Result<std::string> { return ReadFile(dir + "/" + name); });
}

Result<Reference> Reference::Load() {
  if (const char* dir = std::getenv("SHEQU_DATA_DIR"); dir && *dir) return LoadFromDir(dir);
  return LoadWith([](const std::string& name) -> Result<std::string> {
    for (size_t i = 0; i < kEmbeddedFileCount; ++i)
      if (kEmbeddedFiles[i].name == name) return std::string(kEmbeddedFiles[i].data);
    return Status::NotFound("reference file " + name + " is not compiled in");
  });
}

}  // namespace shequ::model
