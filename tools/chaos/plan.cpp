#include "tools/chaos/plan.h"

#include <algorithm>
#include <cmath>

#include "node/base/text.h"
#include "tools/gen/rng.h"

namespace shequ::chaos {

namespace {

constexpr const char* kSurnames[] = {"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴",
                                     "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗"};
constexpr const char* kGiven[] = {"伟",   "芳",   "娜",   "敏",   "静",   "丽",   "强",
                                  "磊",   "军",   "洋",   "勇",   "艳",   "杰",   "娟",
                                  "涛",   "明",   "超",   "秀英", "华",   "平",   "小军",
                                  "晓红", "建国", "海燕", "志刚", "桂兰", "文博", "雅琴"};
constexpr const char* kOccupations[] = {"教师", "司机", "工人",   "个体经营", "医生", "护士",
                                        "厨师", "保安", "销售员", "会计",     "农民", "电工",
                                        "焊工", "矿工", "快递员", "保洁员"};
constexpr const char* kEmployment[] = {"1", "2", "3", "4", "5", "9"};

template <typename T, size_t N>
const T& PickFrom(gen::Rng& rng, const T (&items)[N]) {
  return items[rng.Below(N)];
}

// Exponentially distributed waiting time with the given mean, in milliseconds.
int64_t Wait(gen::Rng& rng, double mean_s) {
  double u = rng.Unit();
  return static_cast<int64_t>(-std::log(1.0 - u) * mean_s * 1000.0) + 1;
}

std::string Phone(gen::Rng& rng) {
  static constexpr char kSecond[] = {'3', '5', '7', '8', '9'};
  std::string p = "1";
  p += kSecond[rng.Below(5)];
  for (int i = 0; i < 9; ++i) p += static_cast<char>('0' + rng.Below(10));
  return p;
}

std::string Name(gen::Rng& rng) {
  return std::string(PickFrom(rng, kSurnames)) + PickFrom(rng, kGiven);
}

// A value for a field, different from `not_this` when given.
std::string Value(gen::Rng& rng, const std::string& field, const std::string& not_this = "") {
  for (;;) {
    std::string v = field == "phone"        ? Phone(rng)
                    : field == "name"       ? Name(rng)
                    : field == "occupation" ? std::string(PickFrom(rng, kOccupations))
                                            : std::string(PickFrom(rng, kEmployment));
    if (v != not_this) return v;
  }
}

NodeSpec MakeNode(std::string name, NodeKind kind, std::string cli_kind, std::string scope) {
  NodeSpec n;
  n.name = std::move(name);
  n.kind = kind;
  n.cli_kind = std::move(cli_kind);
  n.scope = std::move(scope);
  return n;
}

Topology BuildTopology(const Options& o) {
  Topology t;
  auto add = [&](NodeSpec n) {
    t.nodes.push_back(std::move(n));
    return static_cast<int>(t.nodes.size()) - 1;
  };
  NodeSpec hub = MakeNode("hub", NodeKind::kHub, "hub", "1503");
  hub.listens = true;
  int hub_i = add(hub);
  std::vector<int> districts;
  NodeSpec haibowan = MakeNode("haibowan", NodeKind::kDistrict, "district", "150302");
  haibowan.listens = true;
  haibowan.dials = {hub_i};
  districts.push_back(add(haibowan));
  if (o.districts >= 2) {
    NodeSpec hainan = MakeNode("hainan", NodeKind::kDistrict, "district", "150303");
    hainan.listens = true;
    hainan.dials = {hub_i};
    districts.push_back(add(hainan));
  }
  if (o.department) {
    NodeSpec labour = MakeNode("labour", NodeKind::kDepartment, "department", "1503");
    labour.department = "labour";
    labour.dials = {hub_i};
    add(labour);
  }
  struct Unit {
    std::string name, code;
    bool village;
    int district;
  };
  std::vector<Unit> units = {{"heping", "150302001002", false, districts[0]}};
  if (o.communities >= 3) units.push_back({"gongyuan", "150302001003", false, districts[0]});
  if (o.communities >= 2) {
    if (districts.size() >= 2)
      units.push_back({"dukou", "150303104239", true, districts[1]});
    else
      units.push_back({"xindi", "150302101203", true, districts[0]});
  }
  std::vector<int> offices;
  for (const Unit& u : units) {
    NodeSpec c = MakeNode(u.name, u.village ? NodeKind::kVillage : NodeKind::kCommunity,
                          "community", u.code);
    c.community = u.code;
    c.listens = true;
    // Community offices reach the hub through their district and directly; the village only
    // through its district, over its intermittent link.
    c.dials = {u.district};
    if (!u.village) c.dials.push_back(hub_i);
    offices.push_back(add(c));
    t.communities.push_back(u.code);
  }
  for (size_t k = 0; k < units.size(); ++k) {
    int count = k == 0 ? o.terminals : std::max(std::min(o.terminals, 1), o.terminals - 1);
    for (int j = 1; j <= count; ++j) {
      NodeSpec term = MakeNode("t-" + units[k].name + "-" + std::to_string(j), NodeKind::kTerminal,
                               "terminal", units[k].code);
      term.community = units[k].code;
      term.dials = {offices[k]};
      add(term);
    }
  }
  for (size_t i = 0; i < t.nodes.size(); ++i) {
    if (t.nodes[i].village()) t.village = static_cast<int>(i);
    for (int d : t.nodes[i].dials) t.links.push_back({static_cast<int>(i), d});
  }
  return t;
}

}  // namespace

int Topology::Find(const std::string& name) const {
  for (size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].name == name) return static_cast<int>(i);
  return -1;
}

bool Topology::Covers(int i, const std::string& community) const {
  return StartsWith(community, nodes[static_cast<size_t>(i)].scope);
}

std::vector<int> Topology::Collectors(const std::string& community) const {
  std::vector<int> out;
  for (size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].community == community) out.push_back(static_cast<int>(i));
  return out;
}

std::string KindName(NodeKind k) {
  switch (k) {
    case NodeKind::kHub:
      return "hub";
    case NodeKind::kDistrict:
      return "district";
    case NodeKind::kCommunity:
      return "community";
    case NodeKind::kVillage:
      return "village";
    case NodeKind::kTerminal:
      return "terminal";
    case NodeKind::kDepartment:
      return "department";
  }
  return "?";
}

std::string EventName(EventKind k) {
  switch (k) {
    case EventKind::kPersonSet:
      return "person set";
    case EventKind::kCards:
      return "card import";
    case EventKind::kRecollect:
      return "re-collection";
    case EventKind::kConflict:
      return "conflicting edits";
    case EventKind::kIsolate:
      return "isolation";
    case EventKind::kCut:
      return "cut link";
    case EventKind::kVillageDown:
      return "village link down";
    case EventKind::kKill:
      return "kill -9";
  }
  return "?";
}

int64_t DrawOffset(gen::Rng& rng) {
  double r = rng.Unit();
  int64_t sign = rng.Chance(0.5) ? 1 : -1;
  if (r < 0.35) return 0;
  if (r < 0.7) return sign * static_cast<int64_t>(10 * 60'000 + rng.Below(12 * kHourMs));
  return sign * static_cast<int64_t>(12 * kHourMs + rng.Below(static_cast<uint64_t>(
                                                        kMaxOffsetDays * kDayMs - 12 * kHourMs)));
}

Plan MakePlan(const Options& o) {
  Plan p;
  p.topology = BuildTopology(o);
  Topology& t = p.topology;
  const int n = static_cast<int>(t.nodes.size());
  const int64_t end = static_cast<int64_t>(o.duration_s) * 1000;

  // Clocks: random offsets, and at least one node days behind and one days ahead.
  gen::Rng clocks = gen::Rng::For(o.seed, 1);
  if (o.clock_offsets) {
    for (NodeSpec& node : t.nodes) node.clock_offset_ms = DrawOffset(clocks);
    if (n >= 4) {
      int behind = 1 + static_cast<int>(clocks.Below(static_cast<uint64_t>(n - 1)));
      int ahead = behind;
      while (ahead == behind)
        ahead = 1 + static_cast<int>(clocks.Below(static_cast<uint64_t>(n - 1)));
      t.nodes[static_cast<size_t>(behind)].clock_offset_ms =
          -(kDayMs + static_cast<int64_t>(clocks.Below((kMaxOffsetDays - 1) * kDayMs)));
      t.nodes[static_cast<size_t>(ahead)].clock_offset_ms =
          kDayMs + static_cast<int64_t>(clocks.Below((kMaxOffsetDays - 1) * kDayMs));
    }
  }
  // Transport faults: the village's link is lossy and slow; some others are slow, a few lossy.
  gen::Rng faults = gen::Rng::For(o.seed, 2);
  for (NodeSpec& node : t.nodes) {
    transport::FaultConfig f;
    f.seed = faults.Next() >> 1;
    if (node.village()) {
      f.drop = 0.03;
      f.duplicate = 0.02;
      f.delay = std::chrono::milliseconds(40);
      f.jitter = std::chrono::milliseconds(120);
    } else if (faults.Chance(0.35)) {
      f.delay = std::chrono::milliseconds(5 + faults.Below(36));
      f.jitter = std::chrono::milliseconds(faults.Below(61));
      if (node.kind != NodeKind::kHub && faults.Chance(0.4)) f.drop = 0.01;
    }
    if (o.faults) node.faults = f;
  }

  // Edits from every node: collectors edit and import, the department writes its own fields
  // city-wide, the hub and districts try now and then (and are refused: no write grant).
  gen::Rng edits = gen::Rng::For(o.seed, 3);
  for (int i = 0; i < n; ++i) {
    const NodeSpec& node = t.nodes[static_cast<size_t>(i)];
    double mean = node.collects()                      ? o.edit_every_s
                  : node.kind == NodeKind::kDepartment ? o.edit_every_s * 1.6
                                                       : 45;
    if (node.kind == NodeKind::kTerminal) mean *= 1.4;
    for (int64_t at = Wait(edits, mean); at < end; at += Wait(edits, mean)) {
      Event e;
      e.at_ms = at;
      e.node = i;
      if (node.collects()) {
        e.community = node.community;
        double r = edits.Unit();
        if (r < 0.58) {
          e.kind = EventKind::kPersonSet;
          double f = edits.Unit();
          e.field = f < 0.4 ? "phone" : f < 0.7 ? "occupation" : "name";
        } else if (node.kind != NodeKind::kTerminal || r < 0.88) {
          e.kind = EventKind::kCards;
          e.count = 1 + static_cast<int>(edits.Below(6));
          e.seed = edits.Next() >> 1;
          if (edits.Chance(0.06)) {  // killed while it writes: a larger batch, killed early
            e.count = 10 + static_cast<int>(edits.Below(30));
            e.kill_editor_ms = 5 + static_cast<int64_t>(edits.Below(60));
          }
        } else {
          e.kind = EventKind::kRecollect;
          e.count = static_cast<int>(edits.Below(1000));
        }
      } else {
        e.kind = EventKind::kPersonSet;
        std::vector<std::string> mine;  // the communities it holds: refused for the grant
        for (const std::string& c : t.communities)
          if (t.Covers(i, c)) mine.push_back(c);
        if (mine.empty()) continue;
        e.community = mine[edits.Below(mine.size())];
        e.field = node.kind == NodeKind::kDepartment
                      ? (edits.Chance(0.7) ? "occupation" : "employment")
                      : "phone";
      }
      if (e.kind == EventKind::kPersonSet) {
        e.person = static_cast<int>(edits.Below(static_cast<uint64_t>(o.persons)));
        e.value = Value(edits, e.field);
      }
      p.events.push_back(e);
    }
  }

  // Conflicting edits: two collectors of one community write one field of one person at once.
  gen::Rng conflicts = gen::Rng::For(o.seed, 4);
  std::vector<std::string> shared;
  for (const std::string& c : t.communities)
    if (t.Collectors(c).size() >= 2) shared.push_back(c);
  if (!shared.empty()) {
    for (int64_t at = Wait(conflicts, 15); at < end; at += Wait(conflicts, 15)) {
      Event e;
      e.at_ms = at;
      e.kind = EventKind::kConflict;
      e.community = shared[conflicts.Below(shared.size())];
      std::vector<int> who = t.Collectors(e.community);
      e.node = who[conflicts.Below(who.size())];
      do {
        e.other = who[conflicts.Below(who.size())];
      } while (e.other == e.node);
      e.person = static_cast<int>(conflicts.Below(static_cast<uint64_t>(o.persons)));
      e.field = conflicts.Chance(0.5) ? "name" : "phone";
      e.value = Value(conflicts, e.field);
      e.value2 = Value(conflicts, e.field, e.value);
      p.events.push_back(e);
    }
  }

  // Partitions: a node cut off from everyone, or one link cut.
  gen::Rng parts = gen::Rng::For(o.seed, 5);
  for (int64_t at = Wait(parts, o.partition_every_s); at < end;
       at += Wait(parts, o.partition_every_s)) {
    Event e;
    e.at_ms = at;
    if (parts.Chance(0.5) || t.links.empty()) {
      e.kind = EventKind::kIsolate;
      do {
        e.node = static_cast<int>(parts.Below(static_cast<uint64_t>(n)));
      } while (e.node == t.village && n > 1);
      e.duration_ms = 3000 + static_cast<int64_t>(parts.Below(22000));
    } else {
      e.kind = EventKind::kCut;
      auto [a, b] = t.links[parts.Below(t.links.size())];
      e.node = a;
      e.other = b;
      e.duration_ms = 5000 + static_cast<int64_t>(parts.Below(25000));
    }
    p.events.push_back(e);
  }
  // The village's link comes and goes.
  if (t.village >= 0) {
    gen::Rng flaps = gen::Rng::For(o.seed, 6);
    for (int64_t at = 2000 + static_cast<int64_t>(flaps.Below(6000)); at < end;) {
      Event e;
      e.at_ms = at;
      e.kind = EventKind::kVillageDown;
      e.node = t.village;
      e.duration_ms = 3000 + static_cast<int64_t>(flaps.Below(12000));
      p.events.push_back(e);
      at += e.duration_ms + 5000 + static_cast<int64_t>(flaps.Below(15000));
    }
  }
  // kill -9 of daemons, some while an editor writes into the same replica, restarted after a
  // while; now and then the node's clock has jumped when it comes back.
  gen::Rng kills = gen::Rng::For(o.seed, 7);
  for (int64_t at = Wait(kills, o.kill_every_s); at < end; at += Wait(kills, o.kill_every_s)) {
    Event k;
    k.at_ms = at;
    k.kind = EventKind::kKill;
    k.node = static_cast<int>(kills.Below(static_cast<uint64_t>(n)));
    k.duration_ms = 1000 + static_cast<int64_t>(kills.Below(11000));
    k.new_offset_ms = t.nodes[static_cast<size_t>(k.node)].clock_offset_ms;
    if (o.clock_offsets && kills.Chance(0.15)) k.new_offset_ms = DrawOffset(kills);
    const NodeSpec& node = t.nodes[static_cast<size_t>(k.node)];
    if (node.collects() && kills.Chance(0.35)) {
      Event e;
      e.at_ms = at;
      e.node = k.node;
      e.community = node.community;
      e.kind = EventKind::kCards;
      e.count = 20 + static_cast<int>(kills.Below(40));
      e.seed = kills.Next() >> 1;
      p.events.push_back(e);
      k.kill_after_ms = static_cast<int64_t>(kills.Below(120));
    }
    p.events.push_back(k);
  }
  std::stable_sort(p.events.begin(), p.events.end(),
                   [](const Event& a, const Event& b) { return a.at_ms < b.at_ms; });
  return p;
}

}  // namespace shequ::chaos
