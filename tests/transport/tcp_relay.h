// A TCP relay for transport tests (no `tc netem` here): it forwards connections to an upstream
// port and can freeze them (a peer that died without closing), corrupt the next chunk a client
// sends (a forged frame), and records what each client sent (for replays).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace shequ::testing {

// A socket connected to 127.0.0.1:port, or -1.
inline int ConnectLoopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

inline bool WriteAll(int fd, const uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// The port of "tcp://127.0.0.1:41234".
inline int PortOf(const std::string& endpoint) {
  return std::stoi(endpoint.substr(endpoint.rfind(':') + 1));
}

class TcpRelay {
 public:
  explicit TcpRelay(int upstream_port) : upstream_(upstream_port) {
    listen_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_, 16) != 0 || ::pipe(wake_) != 0)
      throw std::runtime_error("relay: cannot listen");
    socklen_t len = sizeof addr;
    ::getsockname(listen_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  ~TcpRelay() {
    stop_ = true;
    Wake();
    thread_.join();
    for (Pair& p : pairs_) {
      ::close(p.client);
      ::close(p.server);
    }
    ::close(listen_);
    ::close(wake_[0]);
    ::close(wake_[1]);
  }
  TcpRelay(const TcpRelay&) = delete;
  TcpRelay& operator=(const TcpRelay&) = delete;

  std::string endpoint() const { return "tcp://127.0.0.1:" + std::to_string(port_); }

  // Existing connections stop forwarding but stay open, as if the peer's machine had died; new
  // connections are relayed as before.
  void FreezeExisting() {
    std::lock_guard<std::mutex> lock(mu_);
    for (Pair& p : pairs_) p.frozen = true;
    Wake();
  }
  // Flips a bit in the middle of the next chunk a client sends.
  void CorruptNextClientChunk() { corrupt_ = true; }
  // Everything client number `i` (in accept order) has sent so far.
  std::vector<uint8_t> Recorded(size_t i) {
    std::lock_guard<std::mutex> lock(mu_);
    return i < recorded_.size() ? recorded_[i] : std::vector<uint8_t>();
  }
  size_t connections() {
    std::lock_guard<std::mutex> lock(mu_);
    return recorded_.size();
  }

 private:
  struct Pair {
    int client, server;
    size_t index;
    bool frozen = false;
  };

  void Wake() { (void)!::write(wake_[1], "x", 1); }

  void Loop() {
    std::vector<uint8_t> buf(1 << 16);
    while (!stop_) {
      std::vector<pollfd> fds = {{listen_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
      std::vector<size_t> owner;  // pair index of fds[2 + k / 2]
      {
        std::lock_guard<std::mutex> lock(mu_);
        for (size_t i = 0; i < pairs_.size(); ++i) {
          if (pairs_[i].frozen) continue;
          fds.push_back({pairs_[i].client, POLLIN, 0});
          fds.push_back({pairs_[i].server, POLLIN, 0});
          owner.push_back(i);
        }
      }
      if (::poll(fds.data(), fds.size(), 1000) <= 0) continue;
      if (fds[1].revents) {
        char c[64];
        (void)!::read(wake_[0], c, sizeof c);
      }
      if (fds[0].revents & POLLIN) Accept();
      std::vector<size_t> dead;
      for (size_t k = 0; k < owner.size(); ++k) {
        std::lock_guard<std::mutex> lock(mu_);
        Pair& p = pairs_[owner[k]];
        for (int side = 0; side < 2; ++side) {
          if (!(fds[2 + 2 * k + side].revents & (POLLIN | POLLHUP | POLLERR))) continue;
          int from = side == 0 ? p.client : p.server, to = side == 0 ? p.server : p.client;
          ssize_t n = ::recv(from, buf.data(), buf.size(), 0);
          if (n <= 0) {
            dead.push_back(owner[k]);
            break;
          }
          if (side == 0) {
            if (corrupt_.exchange(false)) buf[static_cast<size_t>(n) / 2] ^= 0x20;
            recorded_[p.index].insert(recorded_[p.index].end(), buf.begin(), buf.begin() + n);
          }
          if (!WriteAll(to, buf.data(), static_cast<size_t>(n))) {
            dead.push_back(owner[k]);
            break;
          }
        }
      }
      std::lock_guard<std::mutex> lock(mu_);
      for (auto it = dead.rbegin(); it != dead.rend(); ++it) {
        ::close(pairs_[*it].client);
        ::close(pairs_[*it].server);
        pairs_.erase(pairs_.begin() + static_cast<std::ptrdiff_t>(*it));
      }
    }
  }

  void Accept() {
    int c = ::accept(listen_, nullptr, nullptr);
    if (c < 0) return;
    int s = ConnectLoopback(upstream_);
    if (s < 0) {
      ::close(c);
      return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    recorded_.emplace_back();
    pairs_.push_back(Pair{c, s, recorded_.size() - 1});
  }

  int upstream_;
  int listen_ = -1, port_ = 0;
  int wake_[2] = {-1, -1};
  std::atomic<bool> stop_{false}, corrupt_{false};
  std::mutex mu_;
  std::vector<Pair> pairs_;
  std::vector<std::vector<uint8_t>> recorded_;
  std::thread thread_;
};

}  // namespace shequ::testing
