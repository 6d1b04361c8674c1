// Synthetic fingers for the scanner simulator and the matcher's error rates (docs/DEVICES.md,
// "Synthetic fingers"). A finger is a seeded set of minutiae whose directions follow a smooth
// orientation field with one core and one delta (so that unrelated fingers still have similar
// directions nearby, as real ones do); a capture ("impression") of it is rotated and shifted, loses
// minutiae at the edge of the sensor and at random, gains spurious ones, and has every position
// and direction jittered. Everything is a function of the seeds: the same seeds give the same
// bytes on every platform (own random generator, no <random> distributions).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "devices/fmr.h"
#include "devices/matcher.h"

namespace shequ::devices {

// SplitMix64: small, fast, and the same everywhere.
class SeededRandom {
 public:
  explicit SeededRandom(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  double Uniform();  // [0, 1)
  double Uniform(double lo, double hi);
  int Int(int lo, int hi);  // [lo, hi]

 private:
  uint64_t state_;
};

struct SynthOptions {
  int width = 400, height = 500;  // sensor, pixels (500 dpi)
  int min_minutiae = 38, max_minutiae = 56;
  double min_spacing = 14;       // pixels between minutiae of a finger
  double max_rotation_deg = 30;  // of a capture relative to the enrolment capture
  double max_shift = 40;         // pixels, each axis
  double jitter = 5;             // pixels: positions move by up to this much
  double angle_jitter_deg = 10;  // directions turn by up to this much
  double drop = 0.30;            // fraction of true minutiae a capture misses
  double spurious = 0.30;        // spurious minutiae a capture adds, as a fraction
  int edge_margin = 6;           // minutiae this close to the sensor edge are not detected
};

struct SynthFinger {
  std::vector<Minutia> minutiae;  // in the enrolment pose
};
SynthFinger MakeFinger(uint64_t finger_id, const SynthOptions& options);

struct Pose {
  double rotation_deg = 0, dx = 0, dy = 0;  // about the sensor centre
};
// A random pose within the options' limits.
Pose RandomPose(SeededRandom& rng, const SynthOptions& options);

// One capture of a finger in `pose`, as a one-view ISO/IEC 19794-2 record.
FmrRecord Impress(const SynthFinger& finger, const Pose& pose, uint64_t capture_seed,
                  const SynthOptions& options, uint8_t finger_position = 0);

// Error rates of the matcher on `fingers` synthetic fingers: each finger's enrolment capture
// (identity pose) against a second capture (genuine), and against the second captures of every
// other finger (impostor). Second captures are in `pose` if given, else in a random pose.
struct MatcherEvaluation {
  int genuine = 0, impostor = 0;
  int false_non_matches = 0, false_matches = 0;
  double fnmr() const { return genuine ? static_cast<double>(false_non_matches) / genuine : 0; }
  double fmr() const { return impostor ? static_cast<double>(false_matches) / impostor : 0; }
  double max_impostor_score = 0, min_genuine_score = 1;
  int max_impostor_pairs = 0;
};
MatcherEvaluation EvaluateMatcher(int fingers, uint64_t seed, const SynthOptions& synth,
                                  const MatchOptions& match,
                                  const std::optional<Pose>& pose = std::nullopt);

}  // namespace shequ::devices
