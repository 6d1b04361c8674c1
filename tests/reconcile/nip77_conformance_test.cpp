// Conformance with an independent implementation of Negentropy V1: nostr-tools' NIP-77 module
// (JavaScript), driven through tests/conformance/nip77_peer.mjs over stdin/stdout pipes.
//
// Needs node and npm; the first run installs the pinned nostr-tools (tests/conformance/
// package-lock.json) with `npm ci` into <build dir>/tests/conformance-nip77. Without node or npm
// the test fails and says so. Seeds replay with SHEQU_CONFORMANCE_SEED=<n>.
//
// nostr-tools implements only the client (initiator) side: given an IdList range it records
// have/need and skips, where a responder answers with its own ids. So our responder is compared
// byte for byte wherever nostr-tools defines the answer, and modulo those answers elsewhere.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <set>
#include <sstream>

#include "replication/reconcile/reconciler.h"
#include "replication/reconcile/vector_storage.h"
#include "tests/reconcile/test_sets.h"

extern char** environ;

namespace shequ::reconcile {
namespace {

namespace fs = std::filesystem;
using testing::MakeSetPair;
using testing::SetPair;
using testing::SetSpec;
using testing::Timestamps;

// nostr-tools has no "unlimited" frame size; this limit is never reached.
constexpr uint64_t kHugeLimit = uint64_t{1} << 40;

std::string SourceDir() {
  if (const char* s = std::getenv("SHEQU_SOURCE")) return s;
  return SHEQU_SOURCE_DIR;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Copies the peer script and the pinned package files into the work directory and runs `npm ci`
// there when nostr-tools is missing or the lock file changed. Returns the script's path.
Result<std::string> SetUpNode() {
  if (std::system("node --version > /dev/null 2>&1") != 0) {
    return Status::Unavailable(
        "node is not installed or not on PATH: the NIP-77 conformance test needs Node.js >= 20 "
        "and npm (Debian: apt-get install nodejs npm)");
  }
  const fs::path src = fs::path(SourceDir()) / "tests" / "conformance";
  const char* dir_env = std::getenv("SHEQU_CONFORMANCE_DIR");
  std::error_code ec;
  // Beside the test binary, so it stays in the build tree wherever the test is run from.
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  const fs::path dir = dir_env
                           ? fs::path(dir_env)
                           : (ec ? fs::current_path() : exe.parent_path()) / "conformance-nip77";
  fs::create_directories(dir, ec);
  for (const char* name : {"package.json", "package-lock.json", "nip77_peer.mjs"}) {
    if (!fs::exists(src / name)) return Status::NotFound("missing " + (src / name).string());
  }
  const fs::path stamp = dir / "installed-package-lock.json";
  const bool installed = fs::exists(dir / "node_modules" / "nostr-tools" / "package.json") &&
                         fs::exists(stamp) &&
                         ReadFile(stamp) == ReadFile(src / "package-lock.json");
  for (const char* name : {"package.json", "package-lock.json", "nip77_peer.mjs"}) {
    fs::copy_file(src / name, dir / name, fs::copy_options::overwrite_existing, ec);
    if (ec) return Status::Unavailable("copying " + std::string(name) + ": " + ec.message());
  }
  if (!installed) {
    if (std::system("npm --version > /dev/null 2>&1") != 0) {
      return Status::Unavailable(
          "npm is not installed or not on PATH (Debian: apt-get install npm)");
    }
    const fs::path log = dir / "npm-ci.log";
    const std::string cmd =
        "cd '" + dir.string() + "' && npm ci --no-audit --no-fund > '" + log.string() + "' 2>&1";
    MESSAGE("installing nostr-tools: ", cmd);
    if (std::system(cmd.c_str()) != 0) {
      return Status::Unavailable("`npm ci` failed in " + dir.string() + ":\n" + ReadFile(log));
    }
    fs::copy_file(src / "package-lock.json", stamp, fs::copy_options::overwrite_existing, ec);
  }
  return (dir / "nip77_peer.mjs").string();
}

// A long-lived `node nip77_peer.mjs`, one request line in, one reply line out.
class NodePeer {
 public:
  static Result<std::unique_ptr<NodePeer>> Start(const std::string& script) {
    int to_child[2], from_child[2];
    if (pipe2(to_child, O_CLOEXEC) != 0 || pipe2(from_child, O_CLOEXEC) != 0) {
      return Status::Internal("pipe failed");
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, to_child[0], 0);
    posix_spawn_file_actions_adddup2(&actions, from_child[1], 1);
    std::string node = "node";
    char* argv[] = {node.data(), const_cast<char*>(script.c_str()), nullptr};
    pid_t pid;
    int rc = posix_spawnp(&pid, "node", &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(to_child[0]);
    close(from_child[1]);
    if (rc != 0) {
      close(to_child[1]);
      close(from_child[0]);
      return Status::Unavailable("cannot start node: " + std::string(strerror(rc)));
    }
    return std::unique_ptr<NodePeer>(new NodePeer(pid, to_child[1], from_child[0]));
  }

  ~NodePeer() {
    close(in_);
    close(out_);
    int status;
    waitpid(pid_, &status, 0);
  }

  // The reply after "ok " (possibly empty); "err ..." becomes a Status.
  Result<std::string> Call(const std::string& request) {
    std::string line = request + "\n";
    for (size_t done = 0; done < line.size();) {
      ssize_t n = write(in_, line.data() + done, line.size() - done);
      if (n <= 0) return Status::Unavailable("node peer went away (write)");
      done += static_cast<size_t>(n);
    }
    size_t nl;
    while ((nl = buf_.find('\n')) == std::string::npos) {
      char chunk[1 << 16];
      ssize_t n = read(out_, chunk, sizeof(chunk));
      if (n <= 0) return Status::Unavailable("node peer went away (read)");
      buf_.append(chunk, static_cast<size_t>(n));
    }
    std::string reply = buf_.substr(0, nl);
    buf_.erase(0, nl + 1);
    if (reply == "ok") return std::string();
    if (reply.rfind("ok ", 0) == 0) return reply.substr(3);
    return Status::Aborted("nostr-tools: " + reply);
  }

 private:
  NodePeer(pid_t pid, int in, int out) : pid_(pid), in_(in), out_(out) {}
  pid_t pid_;
  int in_, out_;
  std::string buf_;
};

// The single peer shared by all test cases; nullptr (with a failed check) if it cannot start.
NodePeer* Peer() {
  static std::unique_ptr<NodePeer> peer;
  static std::string error;
  if (!peer && error.empty()) {
    signal(SIGPIPE, SIG_IGN);
    auto script = SetUpNode();
    if (!script.ok()) {
      error = script.status().ToString();
    } else if (auto started = NodePeer::Start(*script); !started.ok()) {
      error = started.status().ToString();
    } else {
      peer = std::move(started).value();
      auto version = peer->Call("version");
      if (!version.ok()) {
        error = "the node peer does not answer: " + version.status().ToString();
        peer.reset();
      } else {
        MESSAGE("nostr-tools ", *version);
      }
    }
  }
  if (!peer) FAIL_CHECK("NIP-77 conformance cannot run: ", error);
  return peer.get();
}

std::vector<Id32> IdsFromHex(const std::string& hex) {
  std::vector<Id32> out;
  if (hex == "-") return out;
  for (size_t i = 0; i + 64 <= hex.size(); i += 64)
    out.push_back(UnhexFixed<32>(hex.substr(i, 64)).value());
  return out;
}

// A nostr-tools Negentropy over a NegentropyStorageVector holding `items`.
class JsSession {
 public:
  JsSession(NodePeer& peer, const std::vector<Item>& items, uint64_t frame_size_limit)
      : peer_(peer), sid_("s" + std::to_string(next_id_++)) {
    REQUIRE(peer_.Call("new " + sid_ + " " + std::to_string(frame_size_limit)).ok());
    for (size_t i = 0; i < items.size(); i += 4096) {
      Bytes records;
      for (size_t j = i; j < std::min(items.size(), i + 4096); ++j) {
        PutBE64(records, items[j].timestamp);
        Append(records, items[j].id);
      }
      REQUIRE(peer_.Call("add " + sid_ + " " + Hex(records)).ok());
    }
    auto sealed = peer_.Call("seal " + sid_);
    REQUIRE_MESSAGE(sealed.ok(), sealed.status().ToString());
  }
  ~JsSession() { (void)peer_.Call("free " + sid_); }

  Bytes Initiate() {
    auto r = peer_.Call("init " + sid_);
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    return Unhex(*r).value();
  }

  struct Reply {
    std::optional<Bytes> message;
    std::vector<Id32> have, need;
  };
  Reply Reconcile(const Bytes& message) {
    auto r = peer_.Call("rec " + sid_ + " " + Hex(message));
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    std::istringstream words(*r);
    std::string out, have, need;
    words >> out >> have >> need;
    Reply reply;
    if (out != "-") reply.message = Unhex(out).value();
    reply.have = IdsFromHex(have);
    reply.need = IdsFromHex(need);
    return reply;
  }

 private:
  NodePeer& peer_;
  std::string sid_;
  static inline int next_id_ = 0;
};

VectorStorage Sealed(const std::vector<Item>& items) {
  VectorStorage s;
  for (const Item& item : items) REQUIRE(s.Insert(item.timestamp, item.id).ok());
  REQUIRE(s.Seal().ok());
  return s;
}

uint64_t BaseSeed() {
  const char* s = std::getenv("SHEQU_CONFORMANCE_SEED");
  return s ? std::strtoull(s, nullptr, 10) : 77;
}

// Both messages as text, for a failure report.
std::string Diff(const Bytes& ours, const Bytes& theirs) {
  size_t i = 0;
  while (i < ours.size() && i < theirs.size() && ours[i] == theirs[i]) ++i;
  return "first difference at byte " + std::to_string(i) + " of " + std::to_string(ours.size()) +
         "/" + std::to_string(theirs.size()) + "\nours:\n" + DescribeMessage(ours).substr(0, 2000) +
         "\nnostr-tools:\n" + DescribeMessage(theirs).substr(0, 2000);
}

struct Case {
  SetSpec spec;
  uint64_t limit = kHugeLimit;  // the side compared with nostr-tools
  uint64_t peer_limit = 0;      // the other side (ours only)
};

// Sizes from 0 to 100,000 (once), differences from none to all, several frame limits.
std::vector<Case> MakeCases(uint64_t seed, bool with_largest) {
  std::mt19937_64 rng(seed);
  std::vector<Case> cases;
  const uint64_t limits[] = {4096, 5000, 10000, 60000, kHugeLimit};
  const uint64_t peer_limits[] = {0, 4096, 60000};
  auto add = [&](size_t total, size_t diff) {
    Case c;
    c.spec.seed = rng();
    c.spec.shared = total - diff;
    c.spec.only_a = diff == 0 ? 0 : rng() % (diff + 1);
    c.spec.only_b = diff - c.spec.only_a;
    c.spec.timestamps = rng() % 2 ? Timestamps::kSpread : Timestamps::kClustered;
    c.spec.differences_at_tail = rng() % 2;
    c.limit = limits[rng() % 5];
    c.peer_limit = peer_limits[rng() % 3];
    cases.push_back(c);
  };
  for (size_t total : {0, 1, 2, 16, 31, 32, 33, 63, 64, 200, 1000, 4000, 15000}) {
    add(total, 0);
    add(total, total);
    add(total, total == 0 ? 0 : rng() % (total + 1));
    add(total, std::min<size_t>(total, 1 + rng() % 8));
  }
  if (with_largest) {
    add(100'000, 6'000);
    cases.back().limit = 60000;  // nostr-tools' default
    cases.back().spec.differences_at_tail = true;
  }
  return cases;
}

TEST_CASE("conformance: nostr-tools as initiator says exactly what ours says, round by round") {
  NodePeer* peer = Peer();
  if (!peer) return;
  const uint64_t seed = BaseSeed();
  auto start = std::chrono::steady_clock::now();
  size_t rounds = 0, cases = 0;
  for (const Case& c : MakeCases(seed, true)) {
    CAPTURE(seed);
    CAPTURE(c.spec.ToString());
    CAPTURE(c.limit);
    CAPTURE(c.peer_limit);
    SetPair sets = MakeSetPair(c.spec);
    VectorStorage a = Sealed(sets.a), b = Sealed(sets.b);
    JsSession js(*peer, sets.a, c.limit);
    // nostr-tools cannot say "unlimited"; ours does, and must behave the same.
    auto initiator = Reconciler::Create(a, c.limit == kHugeLimit ? 0 : c.limit).value();
    auto responder = Reconciler::Create(b, c.peer_limit).value();

    Bytes msg = initiator.Initiate().value();
    Bytes js_msg = js.Initiate();
    REQUIRE_MESSAGE(msg == js_msg, "initiate: ", Diff(msg, js_msg));
    std::set<Id32> have, need;
    for (int round = 0;; ++round) {
      REQUIRE(round < 1000);
      CAPTURE(round);
      Bytes reply = responder.Reconcile(msg).value();
      JsSession::Reply theirs = js.Reconcile(reply);
      std::vector<Id32> our_have, our_need;
      auto next = initiator.Reconcile(reply, &our_have, &our_need);
      REQUIRE_MESSAGE(next.ok(), next.status().ToString());
      ++rounds;
      REQUIRE(next->has_value() == theirs.message.has_value());
      if (next->has_value()) {
        REQUIRE_MESSAGE(**next == *theirs.message, Diff(**next, *theirs.message));
      }
      REQUIRE(our_have == theirs.have);  // same ids, same order
      REQUIRE(our_need == theirs.need);
      have.insert(our_have.begin(), our_have.end());
      need.insert(our_need.begin(), our_need.end());
      if (!next->has_value()) break;
      msg = std::move(**next);
    }
    CHECK(have == sets.only_a);
    CHECK(need == sets.only_b);
    ++cases;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  MESSAGE(cases, " sessions, ", rounds, " rounds compared byte for byte in ", secs, " s (seed ",
          seed, ")");
}

// Turns our responder's answers to IdList ranges of `query` into skips, merges adjacent skips and
// drops a trailing one: what a client-only implementation sends in its place.
Bytes WithoutIdListAnswers(const Bytes& query, const Bytes& reply) {
  WireMessage q = ParseMessage(query).value();
  WireMessage r = ParseMessage(reply).value();
  auto same = [](const Bound& x, const Bound& y) {
    return x.point == y.point && x.prefix_len == y.prefix_len;
  };
  for (WireRange& range : r.ranges) {
    if (range.mode != Mode::kIdList) continue;
    for (const WireRange& asked : q.ranges) {
      if (asked.mode == Mode::kIdList && same(asked.upper, range.upper)) {
        range.mode = Mode::kSkip;
        range.ids.clear();
      }
    }
  }
  WireMessage canonical;
  for (size_t i = 0; i < r.ranges.size(); ++i) {
    bool skip_before_skip = r.ranges[i].mode == Mode::kSkip &&
                            (i + 1 == r.ranges.size() || r.ranges[i + 1].mode == Mode::kSkip);
    if (!skip_before_skip) canonical.ranges.push_back(r.ranges[i]);
  }
  return SerializeMessage(canonical);
}

TEST_CASE("conformance: our responder answers as nostr-tools does wherever it defines the answer") {
  NodePeer* peer = Peer();
  if (!peer) return;
  const uint64_t seed = BaseSeed() + 1;
  size_t exact = 0, modulo_id_lists = 0, uncompared = 0;
  for (const Case& c : MakeCases(seed, false)) {
    CAPTURE(seed);
    CAPTURE(c.spec.ToString());
    CAPTURE(c.limit);
    SetPair sets = MakeSetPair(c.spec);
    VectorStorage a = Sealed(sets.a), b = Sealed(sets.b);
    JsSession js(*peer, sets.b, c.limit);
    auto initiator = Reconciler::Create(a, c.peer_limit).value();
    auto responder = Reconciler::Create(b, c.limit == kHugeLimit ? 0 : c.limit).value();
    Bytes msg = initiator.Initiate().value();
    std::set<Id32> have, need;
    for (int round = 0;; ++round) {
      REQUIRE(round < 1000);
      CAPTURE(round);
      Bytes reply = responder.Reconcile(msg).value();
      JsSession::Reply theirs = js.Reconcile(msg);
      Bytes js_reply = theirs.message.value_or(Bytes{kProtocolVersion});
      bool has_id_lists = false;
      const WireMessage query = ParseMessage(msg).value();
      for (const WireRange& r : query.ranges) {
        has_id_lists |= r.mode == Mode::kIdList;
      }
      if (!has_id_lists) {
        REQUIRE_MESSAGE(reply == js_reply, Diff(reply, js_reply));
        ++exact;
      } else if (reply.size() + 1500 < c.limit && js_reply.size() + 1500 < c.limit) {
        // Neither side came near its frame limit, so only the IdList answers differ.
        Bytes expected = WithoutIdListAnswers(msg, reply);
        REQUIRE_MESSAGE(expected == js_reply, Diff(expected, js_reply));
        ++modulo_id_lists;
      } else {
        ++uncompared;
      }
      // Acting as a client, nostr-tools reports what it has (b) and lacks (a) in those ranges.
      for (const Id32& id : theirs.have) CHECK(sets.only_b.count(id) == 1);
      for (const Id32& id : theirs.need) CHECK(sets.only_a.count(id) == 1);

      std::vector<Id32> our_have, our_need;
      auto next = initiator.Reconcile(reply, &our_have, &our_need).value();
      have.insert(our_have.begin(), our_have.end());
      need.insert(our_need.begin(), our_need.end());
      if (!next) break;
      msg = std::move(*next);
    }
    CHECK(have == sets.only_a);
    CHECK(need == sets.only_b);
  }
  MESSAGE(exact, " replies equal byte for byte, ", modulo_id_lists,
          " equal but for the id lists nostr-tools does not send, ", uncompared,
          " near a frame limit not compared (seed ", seed, ")");
  CHECK(exact > 0);
  CHECK(modulo_id_lists > 0);
}

TEST_CASE("conformance: nostr-tools mis-encodes timestamps of 2^32 and more") {
  // Its varints use JavaScript's 32-bit bit operators. If this starts to fail, nostr-tools has
  // learnt 64-bit timestamps: update docs/RECONCILE.md (HLC timestamps) and this test.
  NodePeer* peer = Peer();
  if (!peer) return;
  SetSpec spec;
  spec.seed = 3;
  spec.shared = 40;
  spec.timestamps = Timestamps::kHlc;  // about 2^56
  SetPair sets = MakeSetPair(spec);
  VectorStorage a = Sealed(sets.a);
  JsSession js(*peer, sets.a, kHugeLimit);
  auto ours = Reconciler::Create(a).value();
  CHECK(ours.Initiate().value() != js.Initiate());

  // Below 2^31 - 1 (the largest varint nostr-tools decodes correctly) they agree.
  spec.timestamps = Timestamps::kSpread;
  spec.max_timestamp = (uint64_t{1} << 31) - 2;
  SetPair low = MakeSetPair(spec);
  VectorStorage b = Sealed(low.a);
  JsSession js_low(*peer, low.a, kHugeLimit);
  auto ours_low = Reconciler::Create(b).value();
  CHECK(ours_low.Initiate().value() == js_low.Initiate());
}

}  // namespace
}  // namespace shequ::reconcile
