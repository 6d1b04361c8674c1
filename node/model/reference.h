// Reference data: code tables, Wuhai division codes and the field catalog of the registration
// card (../shared/CARD.md), loaded once from the copies compiled into the binary (data/), or from
// $SHEQU_DATA_DIR when an administrator has updated them. main() loads one Reference and passes
// it by const reference; there is no global instance.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "node/base/status.h"

namespace shequ::model {

// Entity kinds (DESIGN section 2). The numeric values are part of the change encoding.
enum class EntityKind : uint8_t {
  kHousehold = 1,
  kPerson = 2,
  kVisit = 3,
  kTransfer = 4,  // a person moving between communities (迁移): lives in the destination's scope
  kAccessEvent = 5,     // a read, reveal, export, login or denied request (audit, DESIGN section 7)
  kTerminalReport = 6,  // a terminal's usage report for the hub's monitor (第十三条)
  kCommunityProfile = 7,  // 社区概况/社区服务: one per community (its entity id is derived)
  kAssessmentInput = 8,   // checklist, innovation score, leaks: one per community and period
  kCard = 9,              // a paper registration card's archive state (三种介质: 纸质)
};
inline constexpr EntityKind kAllEntityKinds[] = {
    EntityKind::kHousehold,        EntityKind::kPerson,          EntityKind::kVisit,
    EntityKind::kTransfer,         EntityKind::kAccessEvent,     EntityKind::kTerminalReport,
    EntityKind::kCommunityProfile, EntityKind::kAssessmentInput, EntityKind::kCard};
// Kinds a node writes about itself: any certified node may write them in its own scope (the
// change's origin says whose they are), whatever its collection or department grants.
inline bool IsSelfReport(EntityKind k) {
  return k == EntityKind::kAccessEvent || k == EntityKind::kTerminalReport;
}
std::string_view EntityKindName(EntityKind kind);
std::optional<EntityKind> ParseEntityKind(std::string_view name);

// The departments of 一数一源 plus the community's own collection.
enum class Department : uint8_t {
  kCommunity = 0,  // 社区
  kPolice,         // 公安
  kHealth,         // 卫计委
  kCivilAffairs,   // 民政局
  kLabour,         // 人社局
  kDisability,     // 残联
  kGovernance,     // 综治办
};
inline constexpr Department kAllDepartments[] = {Department::kCommunity, Department::kPolice,
                                                 Department::kHealth,    Department::kCivilAffairs,
                                                 Department::kLabour,    Department::kDisability,
                                                 Department::kGovernance};
std::string_view DepartmentName(Department d);  // Chinese: 公安
std::string_view DepartmentSlug(Department d);  // ASCII: police
// Accepts the Chinese name or the ASCII slug.
std::optional<Department> ParseDepartment(std::string_view s);

enum class FieldClass : uint8_t { kOrdinary, kPersonal, kSensitive };  // O, P, S
char FieldClassLetter(FieldClass c);

enum class FieldType : uint8_t {
  kText,            // free text up to `limit` characters
  kName,            // person name: 1-30 characters, "·" allowed
  kCommunity,       // 12-digit division code of a real community or village; the entity's scope
  kDivision,        // 12-digit code of a real community or village, as a value (not the scope)
  kCode,            // one code of `table`
  kList,            // comma-separated codes of `table`, stored sorted and unique
  kDate,            // YYYY-MM-DD
  kInt,             // integer 0..limit
  kPhone,           // 11-digit mobile or 0473-NNNNNNN
  kIdNumber,        // document number, GB 11643 for doc_type 1
  kDisabilityCert,  // id_number + category + grade (+ B1..B9)
  kOrigin,          // 6-digit division code or text
  kFingerprint,     // ISO/IEC 19794-2 record, base64
  kRef,             // hex id of another entity (`table` names its kind)
};

// When a field must be filled.
struct Requirement {
  enum Kind : uint8_t {
    kNever,  // optional
    kAlways,
    kMinAge,        // when age >= min_age
    kUnlessEquals,  // unless field `other` equals `value`
    kIfFilled,      // when field `other` is filled
    kIfEquals,      // when field `other` equals `value`
  };
  Kind kind = kNever;
  int min_age = 0;
  std::string other, value;
  std::string Describe() const;  // "for age >= 16", "unless doc_type = 9", ...
};

class CodeTable {
 public:
  struct Entry {
    std::string code, label;
  };
  CodeTable() = default;
  CodeTable(std::string name, std::vector<Entry> entries);

  const std::string& name() const { return name_; }
  const std::vector<Entry>& entries() const { return entries_; }
  bool Contains(std::string_view code) const { return Find(code) != nullptr; }
  const Entry* Find(std::string_view code) const;
  // Label of a code, or "" if unknown.
  std::string_view Label(std::string_view code) const;
  // Entries whose code starts with `text` or whose label contains it (for drop-downs).
  std::vector<const Entry*> Filter(std::string_view text) const;

 private:
  std::string name_;
  std::vector<Entry> entries_;
  std::map<std::string, size_t, std::less<>> index_;
};

struct FieldDef {
  EntityKind entity;
  std::string key;    // fixed card key, e.g. "id_number"
  std::string label;  // Chinese label, e.g. "证件号码"
  FieldType type;
  std::string table;  // code table name (kCode, kList) or referenced kind (kRef)
  Department owner;
  FieldClass cls;
  Requirement required;
  int limit = 0;          // max characters (text) or max value (int); 0 = type default
  bool identity = false;  // concurrent edits are kept as siblings for review
  bool review = false;    // a filled value puts the entity into the review queue
  const CodeTable* codes = nullptr;
  uint16_t index = 0;  // position in the catalog
};

struct Division {
  std::string code;    // 12 digits
  std::string parent;  // 12 digits
  std::string name;
  std::string level;  // county, town, village
  std::string urban_rural;
  bool dummy = false;  // virtual unit: must not receive residents
};

class Divisions {
 public:
  void Add(Division d);
  const Division* Find(std::string_view code12) const;
  // A real (not virtual) community or village: may hold households.
  bool IsResidentUnit(std::string_view code12) const;
  // Every real community and village, in code order.
  std::vector<const Division*> ResidentUnits() const;
  // The three districts (county level).
  std::vector<const Division*> Districts() const;
  // 6-digit county code of a current Wuhai district (150302, ...).
  bool IsCurrentCounty(std::string_view code6) const;
  // Full name path, e.g. 海勃湾区凤凰岭街道办事处和平社区居委会.
  std::string PathName(std::string_view code12) const;
  size_t size() const { return by_code_.size(); }

 private:
  std::map<std::string, Division, std::less<>> by_code_;
};

class Catalog {
 public:
  const FieldDef* Find(EntityKind kind, std::string_view key) const;
  const std::vector<FieldDef>& fields() const { return fields_; }
  std::vector<const FieldDef*> OfEntity(EntityKind kind) const;
  const FieldDef& at(uint16_t index) const { return fields_.at(index); }

 private:
  friend class Reference;
  std::vector<FieldDef> fields_;
};

class Reference {
 public:
  // From $SHEQU_DATA_DIR if set, else from the compiled-in copy.
  static Result<Reference> Load();
  // From a directory of CSV files (tests, administrators).
  static Result<Reference> LoadFromDir(const std::string& dir);

  Reference(Reference&&) = default;
  Reference& operator=(Reference&&) = default;
  Reference(const Reference&) = delete;
  Reference& operator=(const Reference&) = delete;

  const Catalog& catalog() const { return catalog_; }
  const Divisions& divisions() const { return divisions_; }
  const CodeTable* table(std::string_view name) const;

 private:
  Reference() = default;
  template <typename ReadFn>
  static Result<Reference> LoadWith(ReadFn read);

  std::map<std::string, std::unique_ptr<CodeTable>, std::less<>> tables_;
  Divisions divisions_;
  Catalog catalog_;
};

}  // namespace shequ::model
