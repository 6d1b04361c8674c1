#include "ui/vm/monitor.h"

#include <algorithm>

#include "node/base/text.h"
#include "node/base/time.h"
#include "node/service/access.h"
#include "node/service/usage.h"
#include "ui/vm/text.h"

namespace shequ::ui {

Status TerminalMonitorView::Load() {
  rows_.clear();
  uint64_t now = NowMillis();
  ASSIGN_OR_RETURN(auto list, service::TerminalMonitor(session_.node(), now));
  for (const service::TerminalStatus& t : list) {
    TerminalRow row;
    row.id = t.cert.id_hex().substr(0, 12);
    row.name = t.cert.name;
    row.community =
        t.cert.scopes.empty() ? std::string() : session_.CommunityName(t.cert.scopes[0]);
    row.last_seen = t.last_seen_ms
                        ? TimeText(t.last_seen_ms) + "（" + AgoText(t.last_seen_ms, now) + "）"
                        : std::string("从未");
    row.stale = t.stale;
    row.revoked = t.revoked;
    if (t.revoked)
      row.revoked_text = "已吊销 " + TimeText(t.revoked_at_ms) + "：" + t.revoked_reason;
    row.pending = t.pending;
    row.logins = t.logins;
    row.failed_logins = t.failed_logins;
    row.out_of_scope = t.out_of_scope;
    row.rejected = t.rejected_total;
    row.syncs = t.syncs;
    row.violations = t.violations();
    row.sealed = !t.sealed ? "未报告" : *t.sealed ? "是" : "否";
    row.app_version = t.app_version;
    row.last_rejection = t.last_rejection;
    rows_.push_back(std::move(row));
  }
  return Status::Ok();
}

size_t TerminalMonitorView::stale() const {
  return static_cast<size_t>(
      std::count_if(rows_.begin(), rows_.end(), [](const TerminalRow& r) { return r.stale; }));
}

size_t TerminalMonitorView::with_violations() const {
  return static_cast<size_t>(std::count_if(rows_.begin(), rows_.end(),
                                           [](const TerminalRow& r) { return r.violations > 0; }));
}

std::string ActionLabel(std::string_view action) {
  if (action == "login") return "登录";
  if (action == "login_failed") return "登录失败";
  if (action == "read") return "查看";
  if (action == "reveal") return "显示完整";
  if (action == "export") return "导出";
  if (action == "write") return "写入";
  return std::string(action);
}

Status AuditLog::Load(int since_days) {
  rows_.clear();
  uint64_t now = NowMillis();
  uint64_t since = now - std::min<uint64_t>(now, uint64_t(since_days) * 86400 * 1000);
  ASSIGN_OR_RETURN(auto events, service::ListAccessEvents(session_.node(), since));
  for (const service::AccessRecord& e : events) {
    AccessRow row;
    row.time = TimeText(e.ms);
    row.node = e.node;
    row.node_kind = e.node_kind;
    row.op = e.event.op.empty() ? e.op : e.event.op;
    row.action = ActionLabel(e.event.action);
    row.allowed = e.event.allowed;
    row.target = e.event.target;
    row.fields = Join(e.event.fields, ",");
    row.purpose = e.event.purpose;
    row.reason = e.event.reason;
    row.count = e.event.count;
    rows_.push_back(std::move(row));
  }
  return Status::Ok();
}

size_t AuditLog::denied() const {
  return static_cast<size_t>(
      std::count_if(rows_.begin(), rows_.end(), [](const AccessRow& r) { return !r.allowed; }));
}

}  // namespace shequ::ui
