// Deterministic simulation of replication: several nodes in one process, real LMDB replicas and
// real signatures, sessions talking through a simulated network that drops, duplicates,
// reorders and delays frames (every frame goes through the wire codec), clocks skewed by up to
// days, links and nodes going down and coming back. After a heal, every two nodes agree on every
// community they share, and no change a node committed is missing anywhere it belongs.
//
// SHEQU_SIM_SEED=<n> replays one seed; SHEQU_SIM_SEEDS=<n> runs that many (the long run).
#include <doctest/doctest.h>

#include <cstdlib>
#include <map>
#include <queue>
#include <set>

#include "node/base/file.h"
#include "node/service/cards.h"
#include "replication/session/session.h"
#include "tests/support/rng.h"
#include "tests/support/testbed.h"
#include "tools/gen/gen.h"

using namespace shequ;
using namespace shequ::testing;
using session::Session;
using trust::NodeKind;

namespace {

constexpr uint64_t kDay = 86'400'000;
const uint64_t kEpoch = NowMillis();

struct Spec {
  const char* name;
  NodeKind kind;
  std::vector<std::string> scopes;
};

const std::vector<Spec>& Specs() {
  static const std::vector<Spec> specs = {
      {"hub", NodeKind::kHub, {"1503"}},
      {"district", NodeKind::kDistrict, {"150302"}},
      {"heping", NodeKind::kCommunity, {"150302001002"}},
      {"heping-village", NodeKind::kCommunity, {"150302001002"}},  // a second office of it
      {"gongyuan", NodeKind::kCommunity, {"150302001003"}},
      {"terminal-heping", NodeKind::kTerminal, {"150302001002"}},
      {"terminal-gongyuan", NodeKind::kTerminal, {"150302001003"}},
  };
  return specs;
}

// Who dials whom: the city's topology (terminals and villages to offices, offices to the
// district, the district to the hub) plus a few shortcuts.
const std::vector<std::pair<int, int>>& Links() {
  static const std::vector<std::pair<int, int>> links = {{5, 2}, {3, 2}, {6, 4}, {2, 1}, {4, 1},
                                                         {1, 0}, {3, 0}, {5, 3}, {2, 0}};
  return links;
}

// The city is enrolled once; each seed gets fresh replicas of the same nodes.
struct City {
  Testbed bed;
  std::vector<Bytes> certs;
  City() {
    for (const Spec& s : Specs())
      bed.AddNode(s.name, s.kind, s.scopes, std::nullopt, kEpoch - 30 * kDay, 365);
    for (const Spec& s : Specs()) {
      auto cert = ReadFile(bed.dir(s.name) + "/node.cert");
      certs.emplace_back(cert->begin(), cert->end());
    }
  }
};

City& TheCity() {
  static City* c = new City();
  return *c;
}

struct SimNode {
  int index = 0;
  std::unique_ptr<service::Node> node;
  int64_t offset_ms = 0;  // clock skew
  bool up = true;
  uint64_t log_seen = 0;
  Bytes curve_key;
};

struct Frame {
  uint64_t at;
  uint64_t order;
  int link;
  int to;  // node index
  Bytes bytes;
  bool operator>(const Frame& o) const { return at != o.at ? at > o.at : order > o.order; }
};

struct LinkState {
  int dialer, listener;
  bool up = true;
  std::unique_ptr<Session> d, l;
  uint64_t started = 0, next_dial = 0;
  uint64_t sessions = 0;
  uint64_t pushed_d = 0, pushed_l = 0;  // log positions pushed by each side (as the daemon does)
};

class Sim {
 public:
  explicit Sim(uint64_t seed) : rng_{seed}, seed_(seed) {
    City& city = TheCity();
    for (size_t i = 0; i < Specs().size(); ++i) {
      SimNode n;
      n.index = static_cast<int>(i);
      // Clocks skewed by up to three days either way.
      n.offset_ms = static_cast<int64_t>(rng_.Below(6 * kDay)) - static_cast<int64_t>(3 * kDay);
      std::string dir = city.bed.dir(Specs()[i].name);
      std::system(("rm -rf '" + dir + "/db'").c_str());
      nodes_.push_back(std::move(n));
      Open(static_cast<int>(i));
    }
    for (auto [d, l] : Links()) {
      LinkState link;
      link.dialer = d;
      link.listener = l;
      links_.push_back(std::move(link));
    }
  }

  void Open(int i) {
    SimNode& n = nodes_[i];
    service::Node::Options o;
    o.store.initial_map_size = 16 << 20;
    o.store.no_sync_for_tests = true;
    o.wall_ms = [this, i] {
      return static_cast<uint64_t>(static_cast<int64_t>(kEpoch + now_) + nodes_[i].offset_ms);
    };
    uint64_t* counter = &entity_counter_;
    uint64_t seed = seed_;
    int idx = i;
    o.entity_ids = [counter, seed, idx] {
      Id16 id{};
      uint64_t v = ++*counter;
      for (int k = 0; k < 8; ++k) id[k] = static_cast<uint8_t>(seed >> (8 * k));
      for (int k = 0; k < 7; ++k) id[8 + k] = static_cast<uint8_t>(v >> (8 * k));
      id[15] = static_cast<uint8_t>(idx);
      return id;
    };
    n.node = TheCity().bed.Open(Specs()[i].name, o);
    // Provisioning: every node holds the city's certificates (ZAP admission needs them).
    Status st = n.node->store().Write([&](store::Txn& txn) -> Status {
      for (const Bytes& c : TheCity().certs)
        RETURN_IF_ERROR(
            n.node->trust().Add(txn, n.node->store().dbi(store::Db::kTrust), c).status());
      return Status::Ok();
    });
    REQUIRE_MESSAGE(st.ok(), st.ToString());
    n.curve_key = n.node->cert().curve_key;
    n.up = true;
    n.log_seen = LastLog(i);
  }

  uint64_t LastLog(int i) {
    auto r = nodes_[i].node->store().BeginRead();
    return *nodes_[i].node->replica().LogEnd(*r);
  }

  void Crash(int i) {
    for (LinkState& l : links_)
      if (l.dialer == i || l.listener == i) DropSessions(l, "node restarted");
    nodes_[i].node.reset();
    nodes_[i].up = false;
  }

  void DropSessions(LinkState& l, const std::string& why) {
    if (l.d) l.d->Abandon(why);
    if (l.l) l.l->Abandon(why);
    l.d.reset();
    l.l.reset();
    l.next_dial = now_ + 200 + rng_.Below(800);
  }

  // ---- faults
  double drop = 0, dup = 0;
  uint64_t max_delay = 50;

  void Send(int link, int to, const wire::Message& m) {
    auto bytes = wire::Encode(m);
    REQUIRE_MESSAGE(bytes.ok(), bytes.status().ToString());
    bytes_ += bytes->size();
    if (rng_.Chance(drop)) return;
    int copies = rng_.Chance(dup) ? 2 : 1;
    for (int c = 0; c < copies; ++c)
      queue_.push(Frame{now_ + 1 + rng_.Below(max_delay), order_++, link, to, *bytes});
  }

  void SendAll(int link, int to, const Result<std::vector<wire::Message>>& msgs) {
    REQUIRE_MESSAGE(msgs.ok(), msgs.status().ToString());
    for (const auto& m : *msgs) Send(link, to, m);
  }

  void Dial(int li) {
    LinkState& l = links_[li];
    if (!l.up || !nodes_[l.dialer].up || !nodes_[l.listener].up) return;
    wire::SessionId sid{};
    uint64_t v = rng_.Next();
    for (int k = 0; k < 8; ++k) sid[k] = static_cast<uint8_t>(v >> (8 * k));
    sid[8] = static_cast<uint8_t>(li);
    session::Config cd, cl;
    cd.wall_ms = [this, d = l.dialer] {
      return static_cast<uint64_t>(static_cast<int64_t>(kEpoch + now_) + nodes_[d].offset_ms);
    };
    cl.wall_ms = [this, d = l.listener] {
      return static_cast<uint64_t>(static_cast<int64_t>(kEpoch + now_) + nodes_[d].offset_ms);
    };
    cd.reconcile_frame_limit = 4096 + rng_.Below(8192);  // small frames: more rounds to get wrong
    cl.reconcile_frame_limit = cd.reconcile_frame_limit;
    cd.batch_bytes = 2048 + rng_.Below(64 << 10);  // many small batches
    cl.batch_bytes = cd.batch_bytes;
    if (rng_.Chance(0.7))
      cd.peer_key = nodes_[l.listener].curve_key;  // hello and reconcile together
    l.d = std::make_unique<Session>(*nodes_[l.dialer].node, Session::Role::kDialer, sid, cd);
    l.l = std::make_unique<Session>(*nodes_[l.listener].node, Session::Role::kListener, sid, cl);
    l.started = now_;
    ++l.sessions;
    l.pushed_d = LastLog(l.dialer);
    l.pushed_l = LastLog(l.listener);
    SendAll(li, l.listener, l.d->Start());
  }

  void Deliver(const Frame& f) {
    LinkState& l = links_[f.link];
    if (!nodes_[f.to].up || !l.up) return;
    Session* s = f.to == l.dialer ? l.d.get() : l.l.get();
    if (!s) return;
    auto m = wire::Decode(f.bytes);
    REQUIRE_MESSAGE(m.ok(), m.status().ToString());
    int from = f.to == l.dialer ? l.listener : l.dialer;
    auto out = s->Handle(*m, nodes_[from].curve_key);
    SendAll(f.link, from, out);
    Pump(f.to);
  }

  // New changes of a node go to its live sessions at once; each session pushes the log past
  // the position where it began (the daemon's rule), so nothing stored during a sync is missed.
  void Pump(int i) {
    if (!nodes_[i].up) return;
    for (size_t li = 0; li < links_.size(); ++li) {
      LinkState& l = links_[li];
      bool dialer = l.dialer == i;
      if (!dialer && l.listener != i) continue;
      Session* s = dialer ? l.d.get() : l.l.get();
      if (!s || s->phase() != Session::Phase::kLive) continue;
      uint64_t& pos = dialer ? l.pushed_d : l.pushed_l;
      uint64_t last = pos;
      std::vector<Id32> ids;
      {
        auto r = nodes_[i].node->store().BeginRead();
        auto got = nodes_[i].node->replica().LogSince(*r, pos, 100000, &last);
        REQUIRE(got.ok());
        ids = std::move(*got);
      }
      if (ids.empty()) continue;
      pos = last;
      SendAll(static_cast<int>(li), dialer ? l.listener : l.dialer, s->OnStored(ids));
    }
  }

  // ---- local work
  std::vector<std::string> pool_;  // generated card JSON per community, consumed in order

  void Edit(int i) {
    service::Node& node = *nodes_[i].node;
    const std::string& community = node.cert().scopes[0];
    if (community.size() != 12) return;  // hub and district do not collect
    auto& next = next_card_[community];
    if (rng_.Chance(0.6) || committed_.empty()) {
      gen::GenOptions go;
      go.persons = 1 + rng_.Below(4);
      go.seed = seed_ * 1000 + (++cards_made_);
      go.today = Date{2026, 11, 26};
      go.communities = {community};
      std::vector<model::ParsedCard> cards;
      REQUIRE(gen::GenerateCards(
                  Ref(), go,
                  [&](const model::Card& c) {
                    model::ParsedCard pc;
                    pc.card = c;
                    pc.card.card_no = community.substr(6) + "-" + std::to_string(seed_) + "-" +
                                      std::to_string(++next);
                    cards.push_back(std::move(pc));
                    return Status::Ok();
                  },
                  nullptr)
                  .ok());
      service::ImportOptions io;
      io.today = Date{2026, 11, 26};
      io.tool = rng_.Chance(0.5) ? crdt::Tool::kCard : crdt::Tool::kTerminal;
      REQUIRE(service::ImportCards(node, cards, io, [](const service::CardResult&) {}).ok());
    } else {
      // Edit someone this node already holds: concurrent edits of the same person happen.
      auto r = node.store().BeginRead();
      std::vector<crdt::EntityRef> persons;
      REQUIRE(node.replica()
                  .ScanEntities(*r, community, model::EntityKind::kPerson,
                                [&](const crdt::EntityRef& e, const crdt::EntityState&) {
                                  persons.push_back(e);
                                  return Status::Ok();
                                })
                  .ok());
      r = Result<store::ReadTxn>(Status::Aborted("closed"));
      if (persons.empty()) return;
      crdt::EntityRef p = persons[rng_.Below(persons.size())];
      static const char* kNames[] = {"张伟", "王芳", "李娜", "刘洋", "巴特尔"};
      std::vector<service::FieldEdit> edits;
      if (rng_.Chance(0.5))
        edits.push_back({"name", std::string(kNames[rng_.Below(5)])});
      else
        edits.push_back({"phone", "1390473" + std::to_string(1000 + rng_.Below(9000))});
      Status st = node.store().Write(
          [&](store::Txn& txn) { return node.Commit(txn, p, edits, {}).status(); });
      REQUIRE_MESSAGE(st.ok(), st.ToString());
    }
    // What this node committed: every change in its log since last time that it signed.
    auto r = node.store().BeginRead();
    uint64_t last = 0;
    auto ids = node.replica().LogSince(*r, committed_seen_[i], 100000, &last);
    REQUIRE(ids.ok());
    committed_seen_[i] = last;
    for (const Id32& id : *ids) {
      auto c = node.replica().LoadChange(*r, id);
      REQUIRE(c.ok());
      if ((*c)->body.origin == node.cert().node_id)
        committed_.push_back({id, (*c)->body.community});
    }
  }

  // ---- the run
  void Step() {
    now_ += 20;
    while (!queue_.empty() && queue_.top().at <= now_) {
      Frame f = queue_.top();
      queue_.pop();
      Deliver(f);
    }
    for (size_t li = 0; li < links_.size(); ++li) {
      LinkState& l = links_[li];
      bool live = l.d && l.l;
      if (live && (l.d->closed() || l.l->closed())) {
        DropSessions(l, "closed");
        live = false;
      }
      // A session that makes no progress is given up (lost frames), as the daemon's timeout does.
      if (live && !l.d->synced() && now_ - l.started > 8000) DropSessions(l, "timeout");
      if (!l.d && now_ >= l.next_dial) Dial(static_cast<int>(li));
    }
  }

  void Chaos(int steps) {
    drop = 0.02;
    dup = 0.02;
    max_delay = 120;
    for (int s = 0; s < steps; ++s) {
      if (rng_.Chance(0.08)) {
        int i = static_cast<int>(rng_.Below(nodes_.size()));
        if (nodes_[i].up) {
          Edit(i);
          Pump(i);
        }
      }
      if (rng_.Chance(0.01)) {  // a link goes down or comes back
        LinkState& l = links_[rng_.Below(links_.size())];
        l.up = !l.up;
        if (!l.up) DropSessions(l, "link down");
      }
      if (rng_.Chance(0.004)) {  // a node restarts (or comes back)
        int i = static_cast<int>(rng_.Below(nodes_.size()));
        if (nodes_[i].up)
          Crash(i);
        else
          Open(i);
      }
      if (rng_.Chance(0.002)) {  // a clock jumps
        int i = static_cast<int>(rng_.Below(nodes_.size()));
        nodes_[i].offset_ms +=
            static_cast<int64_t>(rng_.Below(kDay)) - static_cast<int64_t>(kDay / 2);
      }
      Step();
    }
  }

  // Everything up, no faults, until every link has a fresh session that completed.
  void Heal() {
    drop = dup = 0;
    max_delay = 10;
    for (size_t i = 0; i < nodes_.size(); ++i)
      if (!nodes_[i].up) Open(static_cast<int>(i));
    for (LinkState& l : links_) {
      l.up = true;
      DropSessions(l, "heal");
      l.next_dial = now_;
    }
    // Two rounds of fresh sessions on every link carry changes across the whole topology.
    for (int round = 0; round < 3; ++round) {
      for (int s = 0; s < 600; ++s) Step();
      for (LinkState& l : links_) {
        CAPTURE(Specs()[l.dialer].name);
        CAPTURE(Specs()[l.listener].name);
        REQUIRE(l.d);
        REQUIRE_MESSAGE(l.d->synced(), l.d->error().ToString());
        DropSessions(l, "next round");
        l.next_dial = now_;
      }
    }
  }

  void CheckConverged() {
    // Pairs of nodes agree on every community both cover.
    std::set<std::string> communities;
    for (const auto& [id, c] : committed_) communities.insert(c);
    for (const std::string& c : communities) {
      std::optional<std::string> digest;
      std::string first;
      for (const SimNode& n : nodes_) {
        if (!n.node->cert().InScope(c)) continue;
        auto r = n.node->store().BeginRead();
        std::string d = Hex(*n.node->replica().StateDigest(*r, c));
        if (!digest) {
          digest = d;
          first = n.node->cert().name;
        } else {
          CAPTURE(c);
          CAPTURE(first);
          CAPTURE(n.node->cert().name);
          REQUIRE(d == *digest);
        }
      }
    }
    // No committed change is missing where it belongs.
    for (const auto& [id, c] : committed_) {
      for (const SimNode& n : nodes_) {
        if (!n.node->cert().InScope(c)) continue;
        auto r = n.node->store().BeginRead();
        auto rec = r->txn().Get(n.node->store().dbi(store::Db::kChanges), id);
        CAPTURE(n.node->cert().name);
        REQUIRE(rec.ok());
        REQUIRE(rec->has_value());
      }
    }
    // Nothing was rejected: every node's changes were authorized.
    for (const SimNode& n : nodes_) CHECK(*n.node->store().Count(store::Db::kRejected) == 0);
  }

  size_t committed() const { return committed_.size(); }
  uint64_t bytes() const { return bytes_; }

 private:
  Rng rng_;
  uint64_t seed_;
  uint64_t now_ = 0, order_ = 0, bytes_ = 0;
  uint64_t entity_counter_ = 0, cards_made_ = 0;
  std::vector<SimNode> nodes_;
  std::vector<LinkState> links_;
  std::priority_queue<Frame, std::vector<Frame>, std::greater<Frame>> queue_;
  std::map<std::string, size_t> next_card_;
  std::map<int, uint64_t> committed_seen_;
  std::vector<std::pair<Id32, std::string>> committed_;
};

}  // namespace

TEST_CASE(
    "simulated city: drops, duplicates, reordering, skew, partitions, restarts; then all "
    "converge") {
  uint64_t first = 1, count = 500;
  if (const char* s = std::getenv("SHEQU_SIM_SEED")) {
    first = std::strtoull(s, nullptr, 10);
    count = 1;
  } else if (const char* n = std::getenv("SHEQU_SIM_SEEDS")) {
    count = std::strtoull(n, nullptr, 10);
  }
  size_t writes = 0;
  for (uint64_t seed = first; seed < first + count; ++seed) {
    CAPTURE(seed);  // replay: SHEQU_SIM_SEED=<seed> tests/test_session
    Sim sim(seed);
    sim.Chaos(400);
    sim.Heal();
    sim.CheckConverged();
    writes += sim.committed();
  }
  MESSAGE(count << " seeds, " << writes << " committed changes checked");
}
