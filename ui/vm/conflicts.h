// The conflict review queue (DESIGN section 3, docs/UI.md "Conflicts"): identity fields with
// concurrent values from different nodes or tools, side by side with their sources, and
// suspected duplicate registrations. Choosing a value writes one change that supersedes every
// current value of the field (as `shequ resolve` does), marked as a review's correction.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "node/base/status.h"
#include "ui/vm/session.h"

namespace shequ::ui {

struct ConflictValue {
  std::string change;   // change id, hex: what Resolve names
  std::string display;  // masked as on screen
  std::string tool, node, op, time;
  bool current = false;  // the register's present winner
};

struct ConflictItem {
  std::string entity, community, kind;  // hex, 12 digits, person / household
  std::string field, label;
  std::string name;                   // the person's name, masked
  std::vector<ConflictValue> values;  // the winner first, then its siblings
  bool revealed = false;              // values shown in full (Reveal)
};

class ConflictQueue {
 public:
  explicit ConflictQueue(Session& session) : session_(session) {}
  Status Load();
  const std::vector<ConflictItem>& items() const { return items_; }
  // Masked values often look alike (张*, 张*): shows item `index`'s values in full so the
  // reviewer can tell them apart. A reveal with the purpose 冲突审核, recorded as an access event
  // (refused without the reveal grant).
  Status Reveal(size_t index);
  // Writes the value of change `change` of the item's field as the resolution.
  Status Resolve(const ConflictItem& item, const std::string& change);
  const std::string& message() const { return message_; }

 private:
  Session& session_;
  std::vector<ConflictItem> items_;
  std::map<std::string, std::string> revealed_;  // change id -> value in full
  std::string message_;
};

}  // namespace shequ::ui
