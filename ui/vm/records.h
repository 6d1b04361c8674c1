// Households and persons as the browser shows them (docs/UI.md "Browsing"): plain strings,
// already masked by the access policy, copied out of the store in one short read transaction.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace shequ::ui {

// One field of a record: its value as this node may see it and where it came from.
struct FieldLine {
  std::string key, label;
  std::string value;   // display text (code labels added), masked unless revealed
  std::string source;  // 登记卡 · 和平社区 · 王芳 · 2026-11-20 14:03
  bool masked = false;
  bool revealed = false;
  std::vector<std::string> conflicts;  // siblings: "value（来源）"
  std::vector<std::string> proposals;  // lower-rank values awaiting the owning department
};

struct RecordView {
  std::string entity;     // hex
  std::string community;  // 12 digits
  std::string kind;       // household, person, ...
  std::vector<FieldLine> fields;
  std::vector<std::string> warnings;  // stored warnings (value-free texts)
  std::vector<std::string> withheld;  // labels of fields this node may not read
  std::vector<std::string> damaged;
  size_t changes = 0;
  const FieldLine* Find(const std::string& key) const;
  std::string Value(const std::string& key) const;  // "" when absent
};

// One change of a record's history, oldest first.
struct HistoryWrite {
  std::string label;
  std::string value;    // masked as on screen; （清空） for a cleared field
  std::string outcome;  // 当前值, 冲突待审核, 待部门确认, 已被取代
};
struct HistoryEntry {
  std::string time;  // of its hybrid clock
  std::string node, op, tool, device;
  std::string change;  // id, first 12 hex digits
  std::vector<HistoryWrite> writes;
  std::vector<std::string> notes;  // warnings stored with it
};

}  // namespace shequ::ui
