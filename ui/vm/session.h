// The front end's hold on a node (DESIGN section 10, docs/UI.md): the one object every view
// model talks to. It owns the service::Node, answers what this node may do (its certificate's
// grants), logs an operator in and keeps the status bar's snapshot.
//
// View models read snapshots through the service layer in short read transactions that end
// before the function returns, so no transaction outlives a frame; this header and every other
// header under ui/ name no LMDB, ZeroMQ or Cap'n Proto type (the node is only declared here).
//
// Thread safety: the UI thread owns a Session. A background task (a sync) may use the node while
// busy() is set; writes from the UI are refused meanwhile.
#pragma once

#include <atomic>
#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "node/base/status.h"
#include "node/base/time.h"
#include "node/model/reference.h"

namespace shequ::service {
class Node;
}

namespace shequ::ui {

// What the status bar shows.
struct StatusSnapshot {
  std::string node_name, kind_label, scope_label, op;
  size_t peers = 0;
  uint64_t pending = 0;       // local changes no peer has confirmed
  uint64_t last_sync_ms = 0;  // 0 = never
  std::string skew_warning;   // empty when the clocks agree
  std::string error;          // the last refresh failed
};

// What a screen needs of the node's certificate.
enum class Capability {
  kCollect,   // card entry (collect)
  kBrowse,    // households and persons (read, read:own, read:basic)
  kReview,    // the conflict queue (review)
  kTransfer,  // transfers between communities (transfer)
  kReveal,    // show values in full, audited (reveal)
  kAssess,    // the assessment dashboard (score, assess)
  kMonitor,   // the terminal monitor (score, audit)
};

class Session {
 public:
  struct Options {
    std::string id_port;             // serial port of the ID card reader ("" = none)
    std::vector<std::string> peers;  // sync contacts offered on the sync screen
  };
  static Result<std::unique_ptr<Session>> Open(const std::string& dir, const model::Reference& ref,
                                               Options options);
  // Wraps a node already open (tests, benchmarks).
  static std::unique_ptr<Session> Adopt(std::unique_ptr<service::Node> node,
                                        const model::Reference& ref, Options options);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  service::Node& node() { return *node_; }
  const model::Reference& ref() const { return ref_; }
  const Options& options() const { return options_; }

  // The node's data is sealed and no operator has logged in yet.
  bool locked() const;
  std::vector<std::string> operators() const;
  // Logs an operator in (the login, or the failed login, is an access event).
  Status Login(const std::string& op, const std::string& passphrase);
  // The operator logged in, "" when none (a node without operators).
  std::string op() const;

  bool Can(Capability c) const;
  std::string node_name() const;
  std::string kind_label() const;  // 社区, 终端, 区, 部门, 枢纽, 信息办
  std::string scope_label() const;
  // Real communities and villages within this node's scopes, in code order.
  std::vector<std::string> Communities() const;
  std::string CommunityName(const std::string& code) const;  // the division's name, or the code
  Date today() const { return Today(); }

  const StatusSnapshot& status() const { return status_; }
  void RefreshStatus();
  // The same on a background thread (counting pending changes reads the log: tens of ms with
  // thousands unsynced), one at a time; PollStatus() takes the result, each frame.
  void RefreshStatusAsync();
  void PollStatus();
  // Clock skew a sync run from the UI observed (peer minus us).
  void NoteSkew(int64_t skew_ms) { sync_skew_ms_ = skew_ms; }

  // A background task uses the node; writes are refused until it ends.
  bool busy() const { return busy_.load(); }
  void set_busy(bool b) { busy_.store(b); }
  // Refusal for a write attempted while busy, Ok otherwise.
  Status CheckWritable() const;

 private:
  Session(std::unique_ptr<service::Node> node, const model::Reference& ref, Options options);
  StatusSnapshot ComputeStatus() const;

  std::unique_ptr<service::Node> node_;
  const model::Reference& ref_;
  Options options_;
  StatusSnapshot status_;
  std::future<StatusSnapshot> status_refresh_;
  std::atomic<int64_t> sync_skew_ms_{0};
  std::atomic<bool> busy_{false};
};

}  // namespace shequ::ui
