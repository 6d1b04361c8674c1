// A minutiae matcher for catching duplicate registrations: two captures of one finger should
// match, captures of different fingers should not. It is not a forensic matcher (no ridge counts,
// no orientation field, no distortion model); its error rates on synthetic fingers are in
// docs/DEVICES.md, "Matcher".
//
// Method: every pair (a in A, b in B) proposes a rigid transform (rotation from the two minutia
// directions, translation from the rotated positions); the proposals vote in a coarse
// (rotation, dx, dy) histogram, each vote shared with the neighbouring cells. For the strongest
// cells: pair minutiae greedily (closest first) within loose tolerances, fit the rigid transform
// to those pairs by least squares, pair again within the strict tolerances. The best hypothesis
// gives the number of pairs n and the score n^2 / (nA * nB), where nA and nB count the minutiae of
// each print that fall inside the other's capture area under that transform (at least
// `min_overlap` each): a partial overlap is not punished for what the other print could not see.
#pragma once

#include <cstdint>
#include <vector>

#include "devices/fmr.h"
#include "node/base/status.h"

namespace shequ::devices {

// A minutia in pixel coordinates (y down) with its direction as a mathematical angle in those
// coordinates, radians in [0, 2pi). ISO records store the angle counter-clockwise as seen with y
// up, which is the negative of this.
struct Minutia {
  double x = 0, y = 0, angle = 0;
  MinutiaType type = MinutiaType::kRidgeEnding;
};

struct MinutiaSet {
  std::vector<Minutia> minutiae;
  double width = 0, height = 0;  // capture area; 0 = the minutiae's bounding box
};

// The minutiae of one finger view of a record.
MinutiaSet MinutiaeOf(const FmrRecord& record, const FmrView& view);

struct MatchOptions {
  double distance_tolerance = 12;   // pixels, after alignment
  double angle_tolerance_deg = 15;  // after alignment
  double rotation_bin_deg = 10;     // voting histogram
  double shift_bin = 20;            // pixels
  double max_rotation_deg = 180;    // hypotheses beyond this are not considered
  double max_shift = 250;           // pixels between the capture centres, likewise
  int hypotheses = 6;               // strongest histogram cells examined
  int min_overlap = 12;             // floor for nA and nB in the score
  // The decision: at least min_pairs pairs and score >= threshold.
  int min_pairs = 10;
  double threshold = 0.08;
};

struct MatchResult {
  int pairs = 0;
  double score = 0;
  bool match = false;
  // The transform taking A onto B: rotate by `rotation_deg` about the origin, then shift.
  double rotation_deg = 0, dx = 0, dy = 0;
};

MatchResult MatchMinutiae(const MinutiaSet& a, const MinutiaSet& b, const MatchOptions& options);
MatchResult MatchMinutiae(const MinutiaSet& a, const MinutiaSet& b);

// Best match over the views of two records whose finger positions agree (0 = unknown agrees
// with any position).
MatchResult MatchRecords(const FmrRecord& a, const FmrRecord& b, const MatchOptions& options);
MatchResult MatchRecords(const FmrRecord& a, const FmrRecord& b);

}  // namespace shequ::devices
