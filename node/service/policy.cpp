#include "node/service/policy.h"

#include <vector>

#include "node/base/text.h"

namespace shequ::service {

std::string_view OpName(Op op) {
  switch (op) {
    case Op::kRead:
      return "read";
    case Op::kWrite:
      return "write";
    case Op::kReveal:
      return "reveal";
    case Op::kExport:
      return "export";
  }
  return "?";
}

namespace {

bool IsBasic(const model::FieldDef& f) {
  return f.entity == model::EntityKind::kPerson &&
         (f.key == "name" || f.key == "gender" || f.key == "birth_date");
}

Decision Deny(const trust::Certificate& cert, Op op, const model::FieldDef& f,
              std::string_view community, std::string_view why) {
  return Decision{Visibility::kDenied,
                  "node " + cert.name + " (" + std::string(trust::NodeKindName(cert.kind)) +
                      ") may not " + std::string(OpName(op)) + " " + f.label + " (" + f.key +
                      ") in " + std::string(community) + ": " + std::string(why)};
}

// What plain reading shows.
Decision ReadDecision(const trust::Certificate& cert, const model::FieldDef& f,
                      std::string_view community) {
  const bool in_scope = cert.InScope(community);
  const Visibility personal =
      f.cls == model::FieldClass::kOrdinary ? Visibility::kFull : Visibility::kMasked;
  if (model::IsSelfReport(f.entity)) {
    // Access events and terminal reports: the auditors, and the nodes of the scope.
    if (cert.Has(trust::grant::kAudit) || (in_scope && cert.Has(trust::grant::kRead)))
      return Decision{Visibility::kFull, ""};
    return Deny(cert, Op::kRead, f, community, "reports are for auditors and their own scope");
  }
  if (f.entity == model::EntityKind::kCommunityProfile ||
      f.entity == model::EntityKind::kAssessmentInput) {
    // Public facts about a community and its assessment: whoever scores or reads it.
    if (in_scope || cert.Has(trust::grant::kScore) || cert.Has(trust::grant::kAssess))
      return Decision{Visibility::kFull, ""};
  }
  if (in_scope && cert.Has(trust::grant::kRead)) return Decision{personal, ""};
  if (in_scope && cert.Has(trust::grant::kReadOwn) && cert.department &&
      f.owner == *cert.department)
    return Decision{personal, ""};
  if (in_scope && cert.Has(trust::grant::kReadBasic) && IsBasic(f)) return Decision{personal, ""};
  if (!in_scope) return Deny(cert, Op::kRead, f, community, kOutsideScope);
  if (cert.Has(trust::grant::kReadOwn) || cert.Has(trust::grant::kReadBasic))
    return Deny(cert, Op::kRead, f, community,
                "a department reads its own fields and the masked identity basics only");
  if (cert.Has(trust::grant::kReadAggregate))
    return Deny(cert, Op::kRead, f, community, "this node reads aggregates, not records");
  return Deny(cert, Op::kRead, f, community, "no read grant");
}

}  // namespace

Decision Decide(const trust::Certificate& cert, Op op, const model::FieldDef& f,
                std::string_view community) {
  switch (op) {
    case Op::kRead:
      return ReadDecision(cert, f, community);
    case Op::kReveal: {
      Decision r = ReadDecision(cert, f, community);
      if (!r.allowed()) return Deny(cert, op, f, community, "it may not read the field");
      if (r.visibility == Visibility::kFull) return r;  // nothing masked
      if (!cert.Has(trust::grant::kReveal)) return Deny(cert, op, f, community, "no reveal grant");
      if (IsBasic(f) && !cert.Has(trust::grant::kRead) &&
          !(cert.department && f.owner == *cert.department))
        return Deny(cert, op, f, community, "identity basics are shown masked only");
      return Decision{Visibility::kFull, ""};
    }
    case Op::kExport: {
      Decision r = ReadDecision(cert, f, community);
      if (!r.allowed()) return Deny(cert, op, f, community, "it may not read the field");
      if (!cert.Has(trust::grant::kExport)) return Deny(cert, op, f, community, "no export grant");
      return r;
    }
    case Op::kWrite: {
      if (!cert.InScope(community)) return Deny(cert, op, f, community, kOutsideScope);
      if (model::IsSelfReport(f.entity)) return Decision{Visibility::kFull, ""};
      if (f.entity == model::EntityKind::kAssessmentInput)
        return cert.Has(trust::grant::kAssess)
                   ? Decision{Visibility::kFull, ""}
                   : Deny(cert, op, f, community, "assessment inputs are the assessors'");
      if (f.type == model::FieldType::kCommunity)
        return Deny(cert, op, f, community, "an entity's community is its scope");
      if (cert.Has(trust::grant::Write(f.owner)) || cert.Has(trust::grant::kCollect))
        return Decision{Visibility::kFull, ""};
      return Deny(cert, op, f, community,
                  "no grant to write a field of " + std::string(model::DepartmentName(f.owner)));
    }
  }
  return Deny(cert, op, f, community, "unknown operation");
}

namespace {

std::vector<std::string> Chars(std::string_view s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    size_t n = 1;
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0xF0)
      n = 4;
    else if (c >= 0xE0)
      n = 3;
    else if (c >= 0xC0)
      n = 2;
    out.emplace_back(s.substr(i, n));
    i += n;
  }
  return out;
}

std::string MaskAddress(std::string_view value) {
  // Cut after the building: 号楼, 栋, 幢, 楼 or 号院; else keep the first half.
  static const std::string_view kMarks[] = {"号楼", "栋", "幢", "号院", "楼"};
  size_t cut = std::string_view::npos;
  for (std::string_view m : kMarks) {
    size_t at = value.find(m);
    if (at != std::string_view::npos && (cut == std::string_view::npos || at + m.size() < cut))
      cut = at + m.size();
  }
  if (cut != std::string_view::npos) {
    return cut >= value.size() ? std::string(value) : std::string(value.substr(0, cut)) + "***";
  }
  std::vector<std::string> chars = Chars(value);
  std::string out;
  for (size_t i = 0; i < chars.size() / 2; ++i) out += chars[i];
  return out + "***";
}

}  // namespace

std::string Mask(const model::FieldDef& f, std::string_view value) {
  if (value.empty() || f.cls == model::FieldClass::kOrdinary) return std::string(value);
  switch (f.type) {
    case model::FieldType::kIdNumber: {
      if (value.size() <= 10) return std::string(value.size(), '*');
      return std::string(value.substr(0, 6)) + std::string(value.size() - 10, '*') +
             std::string(value.substr(value.size() - 4));
    }
    case model::FieldType::kName: {
      std::vector<std::string> c = Chars(value);
      if (c.size() == 1) return "*";
      if (c.size() == 2) return c[0] + "*";
      std::string out = c[0];
      for (size_t i = 1; i + 1 < c.size(); ++i) out += "*";
      return out + c.back();
    }
    case model::FieldType::kPhone: {
      if (value.size() == 11 && value[0] == '1')
        return std::string(value.substr(0, 3)) + "****" + std::string(value.substr(7));
      size_t dash = value.find('-');
      if (dash != std::string_view::npos && value.size() > dash + 4)
        return std::string(value.substr(0, dash + 1)) + std::string(value.size() - dash - 5, '*') +
               std::string(value.substr(value.size() - 4));
      return std::string(value.size(), '*');
    }
    case model::FieldType::kDate:
      return value.size() >= 4 ? std::string(value.substr(0, 4)) + "-**-**" : "****";
    case model::FieldType::kText:
      if (f.key == "address" || f.key == "hukou_address") return MaskAddress(value);
      break;
    default:
      break;
  }
  return "***";
}

}  // namespace shequ::service
