// A simulated fingerprint scanner: a pseudo-terminal speaking the scanner protocol
// (finger_scanner.h), capturing synthetic fingers (synth_finger.h). The fingers offered are a
// sequence of finger ids, one per CAPTURE, cycling; id 0 means nobody puts a finger on it (the
// capture times out with "no finger"). Capture k is taken in a random pose drawn from (seed, k)
// within half the synthetic set's limits, so two captures of one finger differ by at most the
// rotation and shift the matcher's error rates were measured for.
//
// Thread safety: Start() serves on its own thread; the setters may be called from any thread.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "devices/finger_scanner.h"
#include "devices/synth_finger.h"

namespace shequ::devices {

class FingerScannerSimulator {
 public:
  struct Options {
    std::string serial = "SIM-FP-0001";
    std::string model = "shequ simulated scanner";
    std::string firmware = "1.0";
    std::vector<uint64_t> fingers = {1};  // finger ids offered, one per capture; 0 = none
    uint64_t seed = 1;
    SynthOptions synth;
  };
  static Result<std::unique_ptr<FingerScannerSimulator>> Create(Options options);
  ~FingerScannerSimulator();

  const std::string& port() const { return pty_.slave_path(); }
  void Serve(const std::atomic<bool>& stop);
  void Start();
  void Stop();

  // Replaces the sequence of fingers (and restarts it).
  void SetFingers(std::vector<uint64_t> fingers);
  size_t captures() const { return captures_.load(); }

 private:
  FingerScannerSimulator(PseudoTerminal pty, Options o) : pty_(std::move(pty)), o_(std::move(o)) {}
  Bytes Answer(ByteView frame);

  PseudoTerminal pty_;
  Options o_;
  std::mutex mu_;
  size_t next_ = 0;
  std::atomic<size_t> captures_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace shequ::devices
