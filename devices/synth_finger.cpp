#include "devices/synth_finger.h"

#include <algorithm>
#include <cmath>

namespace shequ::devices {

namespace {

constexpr double kPi = 3.14159265358979323846;

uint64_t Mix(uint64_t a, uint64_t b) {
  SeededRandom r(a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull));
  return r.Next();
}

double Wrap(double a) {
  a = std::fmod(a, 2 * kPi);
  return a < 0 ? a + 2 * kPi : a;
}

// The orientation field of a finger: one core, one delta (a loop; an arch when they are close).
struct Field {
  double core_x, core_y, delta_x, delta_y, base;
  double At(double x, double y) const {
    return base + 0.5 * (std::atan2(y - core_y, x - core_x) - std::atan2(y - delta_y, x - delta_x));
  }
};

Field FieldOf(uint64_t finger_id, const SynthOptions& o) {
  SeededRandom r(Mix(finger_id, 0xF1E1D));
  Field f;
  f.core_x = o.width / 2.0 + r.Uniform(-40, 40);
  f.core_y = o.height / 2.0 + r.Uniform(-60, 20);
  f.delta_x = f.core_x + r.Uniform(-90, 90);
  f.delta_y = f.core_y + r.Uniform(110, 200);
  f.base = r.Uniform(-0.3, 0.3);
  return f;
}

// The finger's contact area in the enrolment pose: an ellipse around the sensor centre.
bool InFinger(double x, double y, const SynthOptions& o) {
  double ax = 0.38 * o.width, ay = 0.40 * o.height;
  double u = (x - o.width / 2.0) / ax, v = (y - o.height / 2.0) / ay;
  return u * u + v * v <= 1;
}

}  // namespace

uint64_t SeededRandom::Next() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double SeededRandom::Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
double SeededRandom::Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
int SeededRandom::Int(int lo, int hi) {
  return lo + static_cast<int>(Next() % static_cast<uint64_t>(hi - lo + 1));
}

SynthFinger MakeFinger(uint64_t finger_id, const SynthOptions& o) {
  SeededRandom r(Mix(finger_id, 0xF17E));
  Field field = FieldOf(finger_id, o);
  SynthFinger f;
  int want = r.Int(o.min_minutiae, o.max_minutiae);
  for (int attempt = 0; attempt < 20000 && static_cast<int>(f.minutiae.size()) < want; ++attempt) {
    double x = r.Uniform(0, o.width), y = r.Uniform(0, o.height);
    if (!InFinger(x, y, o)) continue;
    bool crowded = false;
    for (const Minutia& m : f.minutiae) crowded |= std::hypot(m.x - x, m.y - y) < o.min_spacing;
    if (crowded) continue;
    Minutia m;
    m.x = x;
    m.y = y;
    m.angle = Wrap(field.At(x, y) + (r.Next() & 1 ? kPi : 0) + r.Uniform(-0.15, 0.15));
    m.type = r.Next() & 1 ? MinutiaType::kRidgeEnding : MinutiaType::kBifurcation;
    f.minutiae.push_back(m);
  }
  return f;
}

Pose RandomPose(SeededRandom& r, const SynthOptions& o) {
  Pose p;
  p.rotation_deg = r.Uniform(-o.max_rotation_deg, o.max_rotation_deg);
  p.dx = r.Uniform(-o.max_shift, o.max_shift);
  p.dy = r.Uniform(-o.max_shift, o.max_shift);
  return p;
}

FmrRecord Impress(const SynthFinger& finger, const Pose& pose, uint64_t capture_seed,
                  const SynthOptions& o, uint8_t finger_position) {
  SeededRandom r(Mix(capture_seed, 0xCA97));
  const double rot = pose.rotation_deg * kPi / 180, c = std::cos(rot), s = std::sin(rot);
  const double cx = o.width / 2.0, cy = o.height / 2.0;
  auto place = [&](double x, double y, double* ox, double* oy) {
    *ox = c * (x - cx) - s * (y - cy) + cx + pose.dx;
    *oy = s * (x - cx) + c * (y - cy) + cy + pose.dy;
  };
  const double aj = o.angle_jitter_deg * kPi / 180;
  std::vector<Minutia> seen;
  auto detect = [&](Minutia m) {
    double rr = o.jitter * std::sqrt(r.Uniform()), th = r.Uniform(0, 2 * kPi);
    m.x += rr * std::cos(th);
    m.y += rr * std::sin(th);
    m.angle = Wrap(m.angle + r.Uniform(-aj, aj));
    if (m.x < o.edge_margin || m.y < o.edge_margin || m.x >= o.width - o.edge_margin ||
        m.y >= o.height - o.edge_margin)
      return;
    seen.push_back(m);
  };
  for (const Minutia& src : finger.minutiae) {
    if (r.Uniform() < o.drop) continue;
    Minutia m = src;
    place(src.x, src.y, &m.x, &m.y);
    m.angle = Wrap(src.angle + rot);
    if (r.Uniform() < 0.1)  // extractors confuse endings and bifurcations
      m.type = m.type == MinutiaType::kRidgeEnding ? MinutiaType::kBifurcation
                                                   : MinutiaType::kRidgeEnding;
    detect(m);
  }
  // Spurious minutiae inside the finger's contact area, along the local ridge direction (they
  // come from breaks and blots in real ridges). The field is the enrolment-pose field.
  int extra =
      static_cast<int>(std::lround(o.spurious * static_cast<double>(finger.minutiae.size())));
  for (int k = 0, attempts = 0; k < extra && attempts < 10000; ++attempts) {
    double x = r.Uniform(0, o.width), y = r.Uniform(0, o.height);
    if (!InFinger(x, y, o)) continue;
    ++k;
    // A ridge direction near (x, y): that of the nearest true minutia, up to 180 degrees.
    double best = 1e18, dir = 0;
    for (const Minutia& t : finger.minutiae) {
      double d = std::hypot(t.x - x, t.y - y);
      if (d < best) best = d, dir = t.angle;
    }
    Minutia m;
    place(x, y, &m.x, &m.y);
    m.angle = Wrap(dir + (r.Next() & 1 ? kPi : 0) + r.Uniform(-0.3, 0.3) + rot);
    m.type = r.Next() & 1 ? MinutiaType::kRidgeEnding : MinutiaType::kBifurcation;
    detect(m);
  }
  // Extractors report minutiae in scan order, not in an order that would give away the truth.
  std::sort(seen.begin(), seen.end(), [](const Minutia& a, const Minutia& b) {
    return std::make_pair(std::lround(a.y), std::lround(a.x)) <
           std::make_pair(std::lround(b.y), std::lround(b.x));
  });
  if (seen.size() > 255) seen.resize(255);

  FmrRecord rec;
  rec.width = static_cast<uint16_t>(o.width);
  rec.height = static_cast<uint16_t>(o.height);
  rec.x_resolution = rec.y_resolution = 197;
  FmrView v;
  v.finger_position = finger_position;
  v.impression_type = 0;  // live-scan plain
  v.quality = static_cast<uint8_t>(r.Int(60, 95));
  for (const Minutia& m : seen) {
    FmrMinutia fm;
    fm.type = m.type;
    fm.x = static_cast<uint16_t>(std::clamp<long>(std::lround(m.x), 0, o.width - 1));
    fm.y = static_cast<uint16_t>(std::clamp<long>(std::lround(m.y), 0, o.height - 1));
    // ISO angles turn counter-clockwise as seen with y up: the negative of ours.
    double iso_deg = Wrap(-m.angle) * 180 / kPi;
    fm.angle = static_cast<uint8_t>(std::lround(iso_deg / (360.0 / 256.0)) % 256);
    fm.quality = static_cast<uint8_t>(r.Int(40, 95));
    v.minutiae.push_back(fm);
  }
  rec.views.push_back(std::move(v));
  return rec;
}

MatcherEvaluation EvaluateMatcher(int fingers, uint64_t seed, const SynthOptions& synth,
                                  const MatchOptions& match, const std::optional<Pose>& pose) {
  MatcherEvaluation e;
  SeededRandom poses(Mix(seed, 0x9053));
  std::vector<MinutiaSet> enrol, probe;
  for (int f = 0; f < fingers; ++f) {
    uint64_t id = Mix(seed, static_cast<uint64_t>(f));
    SynthFinger finger = MakeFinger(id, synth);
    FmrRecord a = Impress(finger, Pose{}, Mix(id, 1), synth);
    Pose second = RandomPose(poses, synth);
    FmrRecord b = Impress(finger, pose ? *pose : second, Mix(id, 2), synth);
    enrol.push_back(MinutiaeOf(a, a.views[0]));
    probe.push_back(MinutiaeOf(b, b.views[0]));
  }
  for (int i = 0; i < fingers; ++i) {
    for (int j = 0; j < fingers; ++j) {
      MatchResult r = MatchMinutiae(enrol[i], probe[j], match);
      if (i == j) {
        ++e.genuine;
        e.false_non_matches += !r.match;
        e.min_genuine_score = std::min(e.min_genuine_score, r.score);
      } else {
        ++e.impostor;
        e.false_matches += r.match;
        e.max_impostor_score = std::max(e.max_impostor_score, r.score);
        e.max_impostor_pairs = std::max(e.max_impostor_pairs, r.pairs);
      }
    }
  }
  return e;
}

}  // namespace shequ::devices
