// The terminal monitor (第十三条, docs/UI.md "Terminals") and the access-event log (DESIGN
// section 7, docs/UI.md "Audit"): snapshots of service::TerminalMonitor and
// service::ListAccessEvents as plain rows.
#pragma once

#include <string>
#include <vector>

#include "node/base/status.h"
#include "ui/vm/session.h"

namespace shequ::ui {

struct TerminalRow {
  std::string id, name, community;  // id: first 12 hex digits; community: its name
  std::string last_seen;            // time and how long ago
  bool stale = false, revoked = false;
  std::string revoked_text;
  uint64_t pending = 0, logins = 0, failed_logins = 0, out_of_scope = 0, rejected = 0, syncs = 0;
  uint64_t violations = 0;
  std::string sealed;  // 是, 否, 未报告
  std::string app_version, last_rejection;
};

class TerminalMonitorView {
 public:
  explicit TerminalMonitorView(Session& session) : session_(session) {}
  Status Load();
  const std::vector<TerminalRow>& rows() const { return rows_; }
  size_t stale() const;
  size_t with_violations() const;

 private:
  Session& session_;
  std::vector<TerminalRow> rows_;
};

struct AccessRow {
  std::string time, node, node_kind, op;
  std::string action;  // Chinese: 登录, 登录失败, 查看, 显示完整, 导出, 写入
  bool allowed = true;
  std::string target, fields, purpose, reason;
  uint64_t count = 0;
};

class AuditLog {
 public:
  explicit AuditLog(Session& session) : session_(session) {}
  // Events from `since_days` days ago on, newest first.
  Status Load(int since_days = 90);
  const std::vector<AccessRow>& rows() const { return rows_; }
  size_t denied() const;

 private:
  Session& session_;
  std::vector<AccessRow> rows_;
};

// The Chinese name of an access event's action.
std::string ActionLabel(std::string_view action);

}  // namespace shequ::ui
