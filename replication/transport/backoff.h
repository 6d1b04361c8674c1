// Exponential back-off with jitter for re-dials after errors (refused, failed handshakes, protocol
// errors). ZeroMQ's own reconnect (ZMQ_RECONNECT_IVL, _MAX) covers lost links; this covers the
// cases where a reconnect at once would only fail again, and spreads many clients apart.
//
// Thread safety: one owner.
#pragma once

#include <chrono>
#include <cstdint>

namespace shequ::transport {

struct BackoffOptions {
  std::chrono::milliseconds initial{500};
  std::chrono::milliseconds max{60000};
  uint64_t seed = 1;  // callers use something per node (e.g. bytes of the node id)
};

class Backoff {
 public:
  explicit Backoff(const BackoffOptions& options) : options_(options), state_(options.seed) {}

  // The next wait: uniform in [base/2, base], where base doubles from `initial` up to `max`.
  std::chrono::milliseconds Next();
  // After a success: the next wait starts from `initial` again.
  void Reset() { attempt_ = 0; }
  int attempt() const { return attempt_; }

 private:
  BackoffOptions options_;
  uint64_t state_;
  int attempt_ = 0;
};

}  // namespace shequ::transport
