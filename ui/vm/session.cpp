#include "ui/vm/session.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "node/base/text.h"
#include "node/service/access.h"
#include "node/service/node.h"
#include "node/service/peers.h"
#include "node/service/usage.h"
#include "ui/vm/text.h"

namespace shequ::ui {

namespace {

// A node's clock pushed this far past the wall clock by what it received means a peer's clock
// runs ahead (the HLC bound is 15 minutes; a minute is already worth saying).
constexpr int64_t kSkewWarnMs = 60 * 1000;

std::string SkewText(int64_t ms) {
  int64_t minutes = (ms < 0 ? -ms : ms) / 60000;
  std::string amount = minutes > 0 ? std::to_string(minutes) + " 分钟"
                                   : std::to_string((ms < 0 ? -ms : ms) / 1000) + " 秒";
  return ms > 0 ? "对端时钟快 " + amount : "对端时钟慢 " + amount;
}

}  // namespace

Session::Session(std::unique_ptr<service::Node> node, const model::Reference& ref, Options options)
    : node_(std::move(node)), ref_(ref), options_(std::move(options)) {}

Session::~Session() {
  if (status_refresh_.valid()) status_refresh_.wait();
}

Result<std::unique_ptr<Session>> Session::Open(const std::string& dir, const model::Reference& ref,
                                               Options options) {
  ASSIGN_OR_RETURN(auto node, service::Node::Open(dir, ref));
  auto s = std::unique_ptr<Session>(new Session(std::move(node), ref, std::move(options)));
  s->RefreshStatus();
  return s;
}

std::unique_ptr<Session> Session::Adopt(std::unique_ptr<service::Node> node,
                                        const model::Reference& ref, Options options) {
  auto s = std::unique_ptr<Session>(new Session(std::move(node), ref, std::move(options)));
  s->RefreshStatus();
  return s;
}

bool Session::locked() const { return !node_->unlocked(); }

std::vector<std::string> Session::operators() const { return node_->keyring().operators(); }

Status Session::Login(const std::string& op, const std::string& passphrase) {
  if (Trim(op).empty()) return Status::Invalid("请填写操作员姓名");
  RETURN_IF_ERROR(service::LoginOperator(*node_, std::string(Trim(op)), passphrase));
  RefreshStatus();
  return Status::Ok();
}

std::string Session::op() const { return node_->operator_name(); }

bool Session::Can(Capability c) const {
  const trust::Certificate& cert = node_->cert();
  namespace g = trust::grant;
  switch (c) {
    case Capability::kCollect:
      return cert.Has(g::kCollect);
    case Capability::kBrowse:
      return cert.Has(g::kRead) || cert.Has(g::kReadOwn) || cert.Has(g::kReadBasic);
    case Capability::kReview:
      return cert.Has(g::kReview);
    case Capability::kTransfer:
      return cert.Has(g::kTransfer);
    case Capability::kReveal:
      return cert.Has(g::kReveal);
    case Capability::kAssess:
      return cert.Has(g::kScore) || cert.Has(g::kAssess);
    case Capability::kMonitor:
      return cert.Has(g::kScore) || cert.Has(g::kAudit);
  }
  return false;
}

std::string Session::node_name() const { return node_->cert().name; }

std::string Session::kind_label() const {
  switch (node_->cert().kind) {
    case trust::NodeKind::kTerminal:
      return "终端";
    case trust::NodeKind::kCommunity:
      return "社区";
    case trust::NodeKind::kDistrict:
      return "区";
    case trust::NodeKind::kDepartment:
      return node_->cert().department
                 ? "部门·" + std::string(model::DepartmentName(*node_->cert().department))
                 : std::string("部门");
    case trust::NodeKind::kHub:
      return "枢纽";
    case trust::NodeKind::kOffice:
      return "信息办";
  }
  return "";
}

std::string Session::scope_label() const {
  const std::vector<std::string>& scopes = node_->cert().scopes;
  // Many communities (a relay, a test city) would not fit a status bar: count them.
  if (scopes.size() > 3) return std::to_string(scopes.size()) + " 个社区";
  std::vector<std::string> parts;
  for (const std::string& s : scopes) {
    std::string code = s;
    code.resize(12, '0');
    const model::Division* d = ref_.divisions().Find(code);
    parts.push_back(d ? s + " " + d->name : s);
  }
  return Join(parts, "，");
}

std::vector<std::string> Session::Communities() const {
  std::vector<std::string> out;
  for (const model::Division* d : ref_.divisions().ResidentUnits())
    if (node_->cert().InScope(d->code)) out.push_back(d->code);
  return out;
}

std::string Session::CommunityName(const std::string& code) const {
  const model::Division* d = ref_.divisions().Find(code);
  return d ? d->name : code;
}

Status Session::CheckWritable() const {
  if (busy()) return Status::Unavailable("正在同步，同步结束后再保存");
  if (locked()) return Status::Denied("请先登录操作员");
  return Status::Ok();
}

void Session::RefreshStatus() {
  if (status_refresh_.valid()) status_refresh_.wait();
  status_ = ComputeStatus();
}

void Session::RefreshStatusAsync() {
  if (status_refresh_.valid()) return;
  status_refresh_ = std::async(std::launch::async, [this] { return ComputeStatus(); });
}

void Session::PollStatus() {
  if (!status_refresh_.valid() ||
      status_refresh_.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
    return;
  status_ = status_refresh_.get();
}

StatusSnapshot Session::ComputeStatus() const {
  StatusSnapshot s;
  s.node_name = node_name();
  s.kind_label = kind_label();
  s.scope_label = scope_label();
  s.op = op();
  Status st = [&]() -> Status {
    auto r = node_->store().BeginRead();
    if (!r.ok()) return r.status();
    ASSIGN_OR_RETURN(auto peers, service::ReadPeers(*node_, *r));
    s.peers = peers.size();
    for (const auto& [id, p] : peers) s.last_sync_ms = std::max(s.last_sync_ms, p.last_sync);
    ASSIGN_OR_RETURN(auto usage, service::ReadUsage(*node_, *r));
    if (auto it = usage.find(std::string(service::kUsageLastSync)); it != usage.end())
      s.last_sync_ms = std::max(s.last_sync_ms, it->second);
    ASSIGN_OR_RETURN(s.pending, service::PendingChanges(*node_, *r));
    return Status::Ok();
  }();
  if (!st.ok()) s.error = st.message();
  // The clock: stamps received from a peer whose clock runs ahead pushed ours past the wall.
  int64_t ahead = static_cast<int64_t>(crdt::HlcMillis(node_->clock().last())) -
                  static_cast<int64_t>(node_->clock().WallMs());
  int64_t skew = sync_skew_ms_.load();
  if (skew > kSkewWarnMs || skew < -kSkewWarnMs)
    s.skew_warning = "上次同步：" + SkewText(skew);
  else if (ahead > kSkewWarnMs)
    s.skew_warning = "本节点时钟被推前 " + std::to_string(ahead / 60000) + " 分钟（对端时钟快）";
  return s;
}

}  // namespace shequ::ui
