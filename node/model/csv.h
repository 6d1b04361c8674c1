// RFC 4180 CSV: a header row, fields optionally in double quotes ("" for a quote).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "node/base/status.h"

namespace shequ::model {

struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  // Column index by header name, or -1.
  int Column(std::string_view name) const;
};

// Every row must have as many fields as the header. `what` names the file in errors.
Result<CsvTable> ParseCsv(std::string_view text, std::string_view what);

}  // namespace shequ::model
