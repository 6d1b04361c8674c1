// `shequ verify`: re-verify every stored change, rebuild the state from the changes alone in a
// scratch store, and compare every derived database byte for byte with the node's.
#pragma once

#include <string>
#include <vector>

#include "node/service/node.h"

namespace shequ::service {

struct VerifyReport {
  size_t changes = 0;
  size_t rejected = 0;                   // stored changes that no longer verify
  std::vector<std::string> differences;  // first differences per database
  bool ok() const { return rejected == 0 && differences.empty(); }
};

Result<VerifyReport> Verify(Node& node);

}  // namespace shequ::service
