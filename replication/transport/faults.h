// Fault injection for the transport (tests and the chaos harness; `tc netem` is not available
// here): each frame is dropped, duplicated or delayed with configured probabilities, drawn from a
// seeded generator so that a run can be replayed.
//
// Thread safety: a FaultInjector belongs to the socket owner's thread.
#pragma once

#include <chrono>
#include <cstdint>

namespace shequ::transport {

struct FaultConfig {
  double drop = 0;                      // probability that a frame is lost
  double duplicate = 0;                 // probability that a frame that is not lost arrives twice
  std::chrono::milliseconds delay{0};   // added to every frame
  std::chrono::milliseconds jitter{0};  // plus a uniform [0, jitter] per frame (reorders frames)
  uint64_t seed = 1;

  bool active() const {
    return drop > 0 || duplicate > 0 || delay.count() > 0 || jitter.count() > 0;
  }
};

class FaultInjector {
 public:
  explicit FaultInjector(const FaultConfig& config) : config_(config), state_(config.seed) {}

  struct Decision {
    int copies = 1;  // 0: dropped
    std::chrono::milliseconds delay{0};
  };
  // The fate of the next frame.
  Decision Next();
  bool active() const { return config_.active(); }
  const FaultConfig& config() const { return config_; }

 private:
  uint64_t NextBits();  // splitmix64: the same sequence on every platform and library
  double NextUnit();    // [0, 1)

  FaultConfig config_;
  uint64_t state_;
};

}  // namespace shequ::transport
