// Helpers for tests that run real daemons (ZeroMQ with CURVE on loopback, real LMDB): a free
// port, introducing two nodes to each other, a daemon in a thread of its own with its log lines
// kept, and waiting for a condition.
#pragma once

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "node/service/node.h"
#include "replication/session/daemon.h"

namespace shequ::testing {

// A loopback TCP port nobody listens on (the kernel's pick, released at once).
inline int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  close(fd);
  return ntohs(a.sin_port);
}

// `from` learns `of`'s certificate (what `shequ trust import` does).
inline void Introduce(service::Node& from, service::Node& of) {
  Status st = from.store().Write([&](store::Txn& txn) {
    return from.trust()
        .Add(txn, from.store().dbi(store::Db::kTrust), of.trust().Find(of.cert().node_id)->encoded)
        .status();
  });
  REQUIRE_MESSAGE(st.ok(), st.ToString());
}

// A daemon (`shequ run`) in a thread of its own, its log lines kept.
class DaemonThread {
 public:
  DaemonThread(service::Node& node, session::DaemonOptions o, bool listen) {
    if (listen) {
      contact_ = session::Contact{"tcp://127.0.0.1:" + std::to_string(FreeLoopbackPort()),
                                  node.cert().curve_key};
      o.listen = contact_.endpoint;
    }
    o.log = [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(mu_);
      lines_.push_back(line);
    };
    thread_ = std::thread([this, &node, o] {
      session::Daemon d(node, o);
      status_ = d.Run(stop_);
    });
  }
  ~DaemonThread() { (void)Stop(); }
  DaemonThread(const DaemonThread&) = delete;
  DaemonThread& operator=(const DaemonThread&) = delete;
  Status Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    return status_;
  }
  const session::Contact& contact() const { return contact_; }
  bool Logged(const std::string& what) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const std::string& l : lines_)
      if (l.find(what) != std::string::npos) return true;
    return false;
  }
  std::string Log() {
    std::lock_guard<std::mutex> lock(mu_);
    std::string all;
    for (const std::string& l : lines_) all += l + "\n";
    return all;
  }

 private:
  session::Contact contact_;
  std::atomic<bool> stop_{false};
  Status status_;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> lines_;
};

// Polls `cond` every 20 ms until it holds or `limit` passed; its last answer.
inline bool WaitUntil(const std::function<bool()>& cond,
                      std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cond();
}

}  // namespace shequ::testing
