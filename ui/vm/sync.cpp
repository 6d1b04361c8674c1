#include "ui/vm/sync.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>

#include "node/base/text.h"
#include "node/service/node.h"
#include "node/service/peers.h"
#include "replication/session/daemon.h"
#include "ui/vm/text.h"

namespace shequ::ui {

struct SyncView::Run {
  std::atomic<bool> stop{false};
  std::future<Result<session::PeerReport>> done;
};

SyncView::SyncView(Session& session) : session_(session) { contacts_ = session_.options().peers; }

SyncView::~SyncView() {
  if (run_ && run_->done.valid()) {
    run_->stop.store(true);
    run_->done.wait();
  }
}

Status SyncView::Load() {
  rows_.clear();
  service::Node& node = session_.node();
  auto r = node.store().BeginRead();
  if (!r.ok()) return r.status();
  ASSIGN_OR_RETURN(uint64_t log_end, node.replica().LogEnd(*r));
  ASSIGN_OR_RETURN(auto peers, service::ReadPeers(node, *r));
  for (const auto& [id, p] : peers) {
    PeerRow row;
    row.id = Hex(id).substr(0, 12);
    row.name = p.name;
    row.last_contact_ms = p.last_contact;
    row.last_sync_ms = p.last_sync;
    row.pending = log_end > p.log_synced ? log_end - p.log_synced : 0;
    row.changes_sent = p.changes_sent;
    row.changes_received = p.changes_received;
    row.rejected = p.rejected;
    row.bytes_sent = p.bytes_sent;
    row.bytes_received = p.bytes_received;
    row.sessions = p.sessions;
    row.last_error = p.last_error;
    rows_.push_back(std::move(row));
  }
  std::sort(rows_.begin(), rows_.end(), [](const PeerRow& a, const PeerRow& b) {
    return a.last_contact_ms > b.last_contact_ms;
  });
  return Status::Ok();
}

bool SyncView::running() const { return run_ && run_->done.valid(); }

Status SyncView::SyncNow(const std::string& contact) {
  if (running()) return Status::Aborted("同步正在进行");
  if (session_.busy()) return Status::Unavailable("节点正忙");
  auto parsed = session::Contact::Parse(std::string(Trim(contact)));
  if (!parsed.ok()) {
    message_ = "对端地址无效：" + parsed.status().message();
    message_error_ = true;
    return parsed.status();
  }
  if (std::find(contacts_.begin(), contacts_.end(), std::string(Trim(contact))) == contacts_.end())
    contacts_.push_back(std::string(Trim(contact)));
  run_ = std::make_unique<Run>();
  session_.set_busy(true);
  message_ = "正在同步…";
  message_error_ = false;
  service::Node* node = &session_.node();
  Run* run = run_.get();
  session::Contact c = *parsed;
  run_->done = std::async(std::launch::async, [node, run, c]() -> Result<session::PeerReport> {
    session::DaemonOptions o;
    if (o.usage_report) o.usage_report->sealed = node->sealed_at_rest();
    o.peers = {c};
    o.once = true;
    o.session_timeout = std::chrono::seconds(30);
    session::Daemon daemon(*node, o);
    RETURN_IF_ERROR(daemon.Run(run->stop));
    if (daemon.reports().empty()) return Status::Internal("no session report");
    return daemon.reports()[0];
  });
  return Status::Ok();
}

void SyncView::Poll() {
  if (!running()) return;
  if (run_->done.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return;
  Result<session::PeerReport> r = run_->done.get();
  run_.reset();
  session_.set_busy(false);
  if (!r.ok()) {
    message_ = "同步失败：" + r.status().message();
    message_error_ = true;
  } else if (!r->synced) {
    message_ = "未能与 " + r->peer + " 同步：" + r->error.message();
    message_error_ = true;
  } else {
    const session::Stats& s = r->stats;
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "已与 %s 同步（%.1f 秒）：发出 %llu 条，收到 %llu 条（新 %llu，拒绝 %llu）",
                  r->peer.c_str(), r->seconds, static_cast<unsigned long long>(s.changes_sent),
                  static_cast<unsigned long long>(s.changes_received),
                  static_cast<unsigned long long>(s.applied),
                  static_cast<unsigned long long>(s.rejected));
    message_ = buf;
    message_error_ = s.rejected > 0;
    session_.NoteSkew(s.skew_ms);
  }
  session_.RefreshStatus();
  (void)Load();
}

}  // namespace shequ::ui
