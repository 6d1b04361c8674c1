// Department and community exports (issue 4): only the fields the node may export, masked
// unless revealed, each export one access event.
#pragma once

#include <string>
#include <vector>

#include "node/service/access.h"

namespace shequ::service {

struct ExportOptions {
  enum class Format { kCsv, kJson } format = Format::kCsv;
  model::EntityKind kind = model::EntityKind::kPerson;
  std::vector<std::string> fields;  // empty: every field the node may export
  std::string scope;                // division-code prefix; empty: every community held
  bool reveal = false;
  std::string purpose;  // required
  std::string out;      // file path
};

struct ExportReport {
  size_t records = 0;
  std::vector<std::string> fields;    // the columns written
  std::vector<std::string> revealed;  // the columns written in full
  std::vector<std::string> masked;    // the columns written masked (somewhere)
};

// Writes the export. A field asked for that the node may not export (or reveal, with reveal)
// refuses the whole export: Denied naming it, and a denied access event.
Result<ExportReport> Export(Node& node, const ExportOptions& o);

}  // namespace shequ::service
