#include "devices/matcher.h"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace shequ::devices {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kTwoPi = 2 * kPi;

double Wrap(double a) {  // to [0, 2pi)
  a = std::fmod(a, kTwoPi);
  return a < 0 ? a + kTwoPi : a;
}
double AngleDiff(double a, double b) {  // |a - b| on the circle, in [0, pi]
  double d = Wrap(a - b);
  return d > kPi ? kTwoPi - d : d;
}

struct Transform {
  double rot = 0, c = 1, s = 0, tx = 0, ty = 0;  // q = R p + t
  static Transform Of(double rot, double tx, double ty) {
    return {rot, std::cos(rot), std::sin(rot), tx, ty};
  }
  void Apply(double x, double y, double* ox, double* oy) const {
    *ox = c * x - s * y + tx;
    *oy = s * x + c * y + ty;
  }
  void Invert(double x, double y, double* ox, double* oy) const {
    double u = x - tx, v = y - ty;
    *ox = c * u + s * v;
    *oy = -s * u + c * v;
  }
};

struct Area {
  double x0, y0, x1, y1;
  bool Contains(double x, double y) const { return x >= x0 && x < x1 && y >= y0 && y < y1; }
};

Area AreaOf(const MinutiaSet& m, double margin) {
  if (m.width > 0 && m.height > 0) return {0, 0, m.width, m.height};
  Area a{1e18, 1e18, -1e18, -1e18};
  for (const Minutia& p : m.minutiae) {
    a.x0 = std::min(a.x0, p.x);
    a.y0 = std::min(a.y0, p.y);
    a.x1 = std::max(a.x1, p.x);
    a.y1 = std::max(a.y1, p.y);
  }
  return {a.x0 - margin, a.y0 - margin, a.x1 + margin, a.y1 + margin};
}

// Greedy one-to-one pairing under a transform: closest candidates first.
std::vector<std::pair<int, int>> Pair(const MinutiaSet& a, const MinutiaSet& b, const Transform& t,
                                      double dist_tol, double angle_tol) {
  struct Cand {
    double d;
    int i, j;
  };
  std::vector<Cand> cands;
  double d2max = dist_tol * dist_tol;
  for (size_t i = 0; i < a.minutiae.size(); ++i) {
    const Minutia& p = a.minutiae[i];
    double x, y;
    t.Apply(p.x, p.y, &x, &y);
    double ang = Wrap(p.angle + t.rot);
    for (size_t j = 0; j < b.minutiae.size(); ++j) {
      const Minutia& q = b.minutiae[j];
      double dx = q.x - x, dy = q.y - y, d2 = dx * dx + dy * dy;
      if (d2 > d2max || AngleDiff(ang, q.angle) > angle_tol) continue;
      cands.push_back({d2, static_cast<int>(i), static_cast<int>(j)});
    }
  }
  std::sort(cands.begin(), cands.end(), [](const Cand& x, const Cand& y) {
    return x.d != y.d ? x.d < y.d : (x.i != y.i ? x.i < y.i : x.j < y.j);
  });
  std::vector<bool> used_a(a.minutiae.size()), used_b(b.minutiae.size());
  std::vector<std::pair<int, int>> pairs;
  for (const Cand& c : cands) {
    if (used_a[c.i] || used_b[c.j]) continue;
    used_a[c.i] = used_b[c.j] = true;
    pairs.emplace_back(c.i, c.j);
  }
  return pairs;
}

// Least-squares rigid transform taking the paired A minutiae onto their B partners.
Transform Fit(const MinutiaSet& a, const MinutiaSet& b, const std::vector<std::pair<int, int>>& p,
              const Transform& fallback) {
  if (p.size() < 2) return fallback;
  double ax = 0, ay = 0, bx = 0, by = 0;
  for (auto [i, j] : p) {
    ax += a.minutiae[i].x, ay += a.minutiae[i].y;
    bx += b.minutiae[j].x, by += b.minutiae[j].y;
  }
  double n = static_cast<double>(p.size());
  ax /= n, ay /= n, bx /= n, by /= n;
  double dot = 0, cross = 0;
  for (auto [i, j] : p) {
    double px = a.minutiae[i].x - ax, py = a.minutiae[i].y - ay;
    double qx = b.minutiae[j].x - bx, qy = b.minutiae[j].y - by;
    dot += px * qx + py * qy;
    cross += px * qy - py * qx;
  }
  double rot = std::atan2(cross, dot);
  Transform t = Transform::Of(Wrap(rot), 0, 0);
  double rx, ry;
  t.Apply(ax, ay, &rx, &ry);
  t.tx = bx - rx;
  t.ty = by - ry;
  return t;
}

}  // namespace

MinutiaSet MinutiaeOf(const FmrRecord& record, const FmrView& view) {
  MinutiaSet s;
  s.width = record.width;
  s.height = record.height;
  for (const FmrMinutia& m : view.minutiae)
    s.minutiae.push_back(Minutia{static_cast<double>(m.x), static_cast<double>(m.y),
                                 Wrap(-m.AngleDegrees() * kPi / 180), m.type});
  return s;
}

MatchResult MatchMinutiae(const MinutiaSet& a, const MinutiaSet& b) {
  return MatchMinutiae(a, b, MatchOptions{});
}

MatchResult MatchMinutiae(const MinutiaSet& a, const MinutiaSet& b, const MatchOptions& o) {
  MatchResult best;
  if (a.minutiae.empty() || b.minutiae.empty()) return best;
  const double angle_tol = o.angle_tolerance_deg * kPi / 180;
  Area area_a = AreaOf(a, o.distance_tolerance), area_b = AreaOf(b, o.distance_tolerance);
  // Translations are voted for relative to the areas' centres, so that a small rotation error
  // moves them little.
  double cax = (area_a.x0 + area_a.x1) / 2, cay = (area_a.y0 + area_a.y1) / 2;
  double cbx = (area_b.x0 + area_b.x1) / 2, cby = (area_b.y0 + area_b.y1) / 2;
  // Captures of one finger whose centres lie further apart than this hardly overlap.
  double reach =
      std::min(o.max_shift, std::hypot(area_a.x1 - area_a.x0, area_a.y1 - area_a.y0) / 2 +
                                std::hypot(area_b.x1 - area_b.x0, area_b.y1 - area_b.y0) / 2);
  const int nr = std::max(1, static_cast<int>(std::ceil(360.0 / o.rotation_bin_deg)));
  const double rbin = kTwoPi / nr;
  const int nt = 2 * static_cast<int>(std::ceil(reach / o.shift_bin)) + 2;
  const double toff = nt * o.shift_bin / 2;  // translation -toff falls into cell 0
  std::vector<uint16_t> votes(static_cast<size_t>(nr) * nt * nt, 0);
  auto cell = [&](int r, int x, int y) {
    return (static_cast<size_t>((r % nr + nr) % nr) * nt + x) * nt + y;
  };
  const double max_rot = o.max_rotation_deg * kPi / 180;

  // Each pair's proposal, in bin units (rotation, dx, dy).
  struct Proposal {
    double r, x, y;
  };
  std::vector<Proposal> props;
  int top = 0;
  props.reserve(a.minutiae.size() * b.minutiae.size());
  for (const Minutia& p : a.minutiae) {
    for (const Minutia& q : b.minutiae) {
      double rot = Wrap(q.angle - p.angle);
      if (AngleDiff(rot, 0) > max_rot) continue;
      double c = std::cos(rot), s = std::sin(rot);
      double px = p.x - cax, py = p.y - cay;
      double tx = (q.x - cbx) - (c * px - s * py), ty = (q.y - cby) - (s * px + c * py);
      Proposal pr{rot / rbin, (tx + toff) / o.shift_bin, (ty + toff) / o.shift_bin};
      int r0 = static_cast<int>(std::floor(pr.r - 0.5));
      int x0 = static_cast<int>(std::floor(pr.x - 0.5)),
          y0 = static_cast<int>(std::floor(pr.y - 0.5));
      if (x0 < 0 || y0 < 0 || x0 + 1 >= nt || y0 + 1 >= nt) continue;
      props.push_back(pr);
      for (int dr = 0; dr < 2; ++dr)
        for (int dx = 0; dx < 2; ++dx)
          for (int dy = 0; dy < 2; ++dy) {
            uint16_t& v = votes[cell(r0 + dr, x0 + dx, y0 + dy)];
            top = std::max<int>(top, ++v);
          }
    }
  }

  // The strongest cells, none adjacent to a stronger one already taken.
  struct Peak {
    int count, r, x, y;
  };
  // Only cells with at least half the top count are worth a look.
  int floor_count = std::max(2, top / 2);
  std::vector<Peak> peaks;
  for (size_t i = 0; i < votes.size(); ++i) {
    if (votes[i] < floor_count) continue;
    int y = static_cast<int>(i % nt), x = static_cast<int>(i / nt % nt);
    peaks.push_back({votes[i], static_cast<int>(i / nt / nt), x, y});
  }
  size_t keep = std::min(peaks.size(), static_cast<size_t>(8 * o.hypotheses));
  std::partial_sort(peaks.begin(), peaks.begin() + static_cast<long>(keep), peaks.end(),
                    [](const Peak& p, const Peak& q) {
                      if (p.count != q.count) return p.count > q.count;
                      return std::tie(p.r, p.x, p.y) < std::tie(q.r, q.x, q.y);
                    });
  peaks.resize(keep);
  std::vector<Peak> chosen;
  for (const Peak& p : peaks) {
    if (static_cast<int>(chosen.size()) >= o.hypotheses) break;
    bool near = false;
    for (const Peak& c : chosen) {
      int dr = std::abs(p.r - c.r);
      dr = std::min(dr, nr - dr);
      near |= dr <= 1 && std::abs(p.x - c.x) <= 1 && std::abs(p.y - c.y) <= 1;
    }
    if (!near) chosen.push_back(p);
  }

  for (const Peak& pk : chosen) {
    // The mean of the proposals that voted for this cell (cell centre at index + 0.5).
    double sc = 0, ss = 0, sx = 0, sy = 0;
    int n = 0;
    for (const Proposal& pr : props) {
      double dr = std::fabs(pr.r - (pk.r + 0.5));
      dr = std::min(dr, nr - dr);
      if (dr > 1 || std::fabs(pr.x - (pk.x + 0.5)) > 1 || std::fabs(pr.y - (pk.y + 0.5)) > 1)
        continue;
      sc += std::cos(pr.r * rbin), ss += std::sin(pr.r * rbin);
      sx += pr.x, sy += pr.y;
      ++n;
    }
    if (n == 0) continue;
    double rot = Wrap(std::atan2(ss, sc));
    double tx = sx / n * o.shift_bin - toff, ty = sy / n * o.shift_bin - toff;
    // Back from centred to absolute coordinates: q = R (p - ca) + cb + t.
    Transform t = Transform::Of(rot, 0, 0);
    double rx, ry;
    t.Apply(cax, cay, &rx, &ry);
    t.tx = cbx + tx - rx;
    t.ty = cby + ty - ry;
    // Loose pairing, fit, then strict pairing twice.
    auto pairs = Pair(a, b, t, 2 * o.distance_tolerance, 1.5 * angle_tol);
    t = Fit(a, b, pairs, t);
    for (int round = 0; round < 2; ++round) {
      pairs = Pair(a, b, t, o.distance_tolerance, angle_tol);
      if (round == 0) t = Fit(a, b, pairs, t);
    }
    if (AngleDiff(t.rot, 0) > max_rot + angle_tol) continue;
    int na = 0, nb = 0;
    for (const Minutia& p : a.minutiae) {
      double x, y;
      t.Apply(p.x, p.y, &x, &y);
      na += area_b.Contains(x, y);
    }
    for (const Minutia& q : b.minutiae) {
      double x, y;
      t.Invert(q.x, q.y, &x, &y);
      nb += area_a.Contains(x, y);
    }
    double m = static_cast<double>(pairs.size());
    double score =
        m * m / (std::max(na, o.min_overlap) * static_cast<double>(std::max(nb, o.min_overlap)));
    score = std::min(score, 1.0);
    if (score > best.score ||
        (score == best.score && static_cast<int>(pairs.size()) > best.pairs)) {
      best.pairs = static_cast<int>(pairs.size());
      best.score = score;
      double deg = t.rot * 180 / kPi;
      best.rotation_deg = deg > 180 ? deg - 360 : deg;
      best.dx = t.tx;
      best.dy = t.ty;
    }
  }
  best.match = best.pairs >= o.min_pairs && best.score >= o.threshold;
  return best;
}

MatchResult MatchRecords(const FmrRecord& a, const FmrRecord& b) {
  return MatchRecords(a, b, MatchOptions{});
}

MatchResult MatchRecords(const FmrRecord& a, const FmrRecord& b, const MatchOptions& o) {
  MatchResult best;
  for (const FmrView& va : a.views) {
    for (const FmrView& vb : b.views) {
      if (va.finger_position && vb.finger_position && va.finger_position != vb.finger_position)
        continue;
      MatchResult r = MatchMinutiae(MinutiaeOf(a, va), MinutiaeOf(b, vb), o);
      if (r.score > best.score || (r.match && !best.match)) best = r;
    }
  }
  return best;
}

}  // namespace shequ::devices
