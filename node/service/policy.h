// The access policy (DESIGN section 7, issue 4): one pure function of the node's certificate
// and the field, which every read, reveal, export and write asks; and the masking rules.
#pragma once

#include <string>
#include <string_view>

#include "node/model/reference.h"
#include "node/trust/certificate.h"

namespace shequ::service {

enum class Op : uint8_t { kRead, kWrite, kReveal, kExport };
inline constexpr Op kAllOps[] = {Op::kRead, Op::kWrite, Op::kReveal, Op::kExport};
std::string_view OpName(Op op);  // read, write, reveal, export

enum class Visibility : uint8_t { kDenied, kMasked, kFull };

// The reason a decision gives for a community outside the node's scopes (terminal reports count
// such attempts as violations).
inline constexpr std::string_view kOutsideScope = "outside the node's scope";

struct Decision {
  Visibility visibility = Visibility::kDenied;
  std::string reason;  // why, when denied
  bool allowed() const { return visibility != Visibility::kDenied; }
};

// The policy, a pure function (tests enumerate it):
//  read    `read` in scope: ordinary values in full, personal and sensitive masked; `read:own`
//          (a department): its own fields city-wide, likewise; `read:basic`: the identity
//          basics (name, gender, birth date) masked; `read:aggregate` (hub, office): ordinary
//          values of household and visit records for the assessment, no personal field.
//  reveal  `reveal` and a read decision for a personal or sensitive field: the full value,
//          audited. Ordinary values need no reveal.
//  export  `export` and a read decision: masked as read unless revealed.
//  write   as at merge: `write:<owner>` or `collect`, in scope.
Decision Decide(const trust::Certificate& cert, Op op, const model::FieldDef& f,
                std::string_view community);

// Masking on screen and in exports: ID number 150302********0015, name 张* / 张*明, phone
// 139****0001, address cut to the building, birth date to the year; other personal and
// sensitive values are withheld ("***").
std::string Mask(const model::FieldDef& f, std::string_view value);

}  // namespace shequ::service
