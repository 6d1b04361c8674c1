// Terminal usage reports and the hub's terminal monitor (第十三条): counters in the node's store,
// pending changes, the terminal_report entity written after real syncs (ZeroMQ with CURVE) and
// carried to the hub, and `shequ terminals` on the hub.
#include "node/service/usage.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "node/base/file.h"
#include "node/base/text.h"
#include "node/base/time.h"
#include "node/service/peers.h"
#include "replication/session/daemon.h"
#include "tests/service/service_support.h"

using namespace shequ;
using namespace shequ::testing;
using trust::NodeKind;

namespace {

constexpr char kGongyuan[] = "150302001003";  // 公园社区
constexpr uint64_t kDayMs = 24 * 3600 * 1000;

// Provisioning: `to` learns the certificate of `of`.
void Introduce(service::Node& to, service::Node& of) {
  Status st = to.store().Write([&](store::Txn& txn) {
    return to.trust()
        .Add(txn, to.store().dbi(store::Db::kTrust), of.trust().Find(of.cert().node_id)->encoded)
        .status();
  });
  REQUIRE(st.ok());
}

std::map<std::string, uint64_t> Usage(service::Node& n) {
  auto r = n.store().BeginRead();
  auto u = service::ReadUsage(n, *r);
  REQUIRE(u.ok());
  return *u;
}

uint64_t Pending(service::Node& n) {
  auto r = n.store().BeginRead();
  auto p = service::PendingChanges(n, *r);
  REQUIRE_MESSAGE(p.ok(), p.status().ToString());
  return *p;
}

Result<bool> Report(service::Node& n, service::UsageReportOptions o = {}) {
  Result<bool> written = false;
  Status st = n.store().Write([&](store::Txn& txn) -> Status {
    written = service::ReportUsage(n, txn, o);
    return written.status();
  });
  if (!st.ok()) return st;
  return written;
}

std::map<std::string, std::string, std::less<>> ReportValues(service::Node& reader,
                                                             const trust::Certificate& of) {
  auto r = reader.store().BeginRead();
  auto values = reader.replica().Values(*r, *service::TerminalReportRef(of));
  REQUIRE(values.ok());
  return *values;
}

void SetPeer(service::Node& n, const Id16& peer, uint64_t log_synced) {
  service::PeerRecord p;
  p.name = "peer";
  p.log_synced = log_synced;
  Status st = n.store().Write(
      [&](store::Txn& txn) { return txn.Put(n.store().dbi(store::Db::kPeers), peer, p.Encode()); });
  REQUIRE(st.ok());
}

uint64_t LogEnd(service::Node& n) {
  auto r = n.store().BeginRead();
  return *n.replica().LogEnd(*r);
}

// One edit of a person, as a terminal makes it: one change.
void EditPolitical(service::Node& n, const std::string& id_number, const std::string& value) {
  auto person = PersonById(n, id_number);
  Status st = n.store().Write([&](store::Txn& txn) {
    service::Node::CommitOptions o;
    o.tool = crdt::Tool::kTerminal;
    return n.Commit(txn, person, {service::FieldEdit{"political", value}}, o).status();
  });
  REQUIRE(st.ok());
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  close(fd);
  return ntohs(a.sin_port);
}

// The hub's daemon (`shequ run --listen`) on a loopback port, in a thread of its own.
class HubDaemon {
 public:
  explicit HubDaemon(service::Node& hub)
      : contact_{"tcp://127.0.0.1:" + std::to_string(FreePort()), hub.cert().curve_key} {
    session::DaemonOptions o;
    o.listen = contact_.endpoint;
    thread_ = std::thread([this, &hub, o] {
      session::Daemon d(hub, o);
      status_ = d.Run(stop_);
    });
  }
  ~HubDaemon() { (void)Stop(); }
  Status Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    return status_;
  }
  const session::Contact& contact() const { return contact_; }

 private:
  session::Contact contact_;
  std::atomic<bool> stop_{false};
  Status status_;
  std::thread thread_;
};

// `shequ sync`: one session with the peer, until it has synced.
session::PeerReport SyncOnce(service::Node& n, const session::Contact& peer) {
  session::DaemonOptions o;
  o.peers = {peer};
  o.once = true;
  o.session_timeout = std::chrono::seconds(30);
  session::Daemon d(n, o);
  std::atomic<bool> stop{false};
  Status st = d.Run(stop);
  REQUIRE_MESSAGE(st.ok(), st.ToString());
  REQUIRE(d.reports().size() == 1);
  const session::PeerReport& r = d.reports()[0];
  REQUIRE_MESSAGE(r.synced, r.error.ToString());
  return r;
}

struct City {
  Testbed bed;
  std::unique_ptr<service::Node> terminal, office, hub, gongyuan;
  City() {
    bed.AddNode("t-heping", NodeKind::kTerminal, {kHeping});
    bed.AddNode("heping", NodeKind::kCommunity, {kHeping});
    bed.AddNode("hub", NodeKind::kHub, {"1503"});
    bed.AddNode("gongyuan", NodeKind::kCommunity, {kGongyuan});
    terminal = bed.Open("t-heping");
    office = bed.Open("heping");
    hub = bed.Open("hub");
    gongyuan = bed.Open("gongyuan");
    for (service::Node* a : {terminal.get(), office.get(), hub.get(), gongyuan.get()})
      for (service::Node* b : {terminal.get(), office.get(), hub.get(), gongyuan.get()})
        if (a != b) Introduce(*a, *b);
  }
};

}  // namespace

TEST_CASE(
    "usage counters add up in the node's store, saturate, refuse bad names; syncs are timed") {
  City c;
  service::Node& t = *c.terminal;
  CHECK(Usage(t).empty());
  Status st = t.store().Write([&](store::Txn& txn) -> Status {
    RETURN_IF_ERROR(service::CountUsage(t, txn, service::kUsageLogins));
    RETURN_IF_ERROR(service::CountUsage(t, txn, service::kUsageLogins, 2));
    RETURN_IF_ERROR(service::CountUsage(t, txn, service::kUsageFailedLogins));
    RETURN_IF_ERROR(service::CountUsage(t, txn, service::kUsageOutOfScope, UINT64_MAX - 1));
    return service::CountUsage(t, txn, service::kUsageOutOfScope, 5);
  });
  REQUIRE(st.ok());
  auto u = Usage(t);
  CHECK(u.at("logins") == 3);
  CHECK(u.at("failed_logins") == 1);
  CHECK(u.at("out_of_scope") == UINT64_MAX);
  // Names are checked and the message names the counter.
  st = t.store().Write([&](store::Txn& txn) { return service::CountUsage(t, txn, "Bad/Name"); });
  CHECK(st.code() == Code::kInvalidArgument);
  CHECK(st.message().find("Bad/Name") != std::string::npos);
  st = t.store().Write([&](store::Txn& txn) { return service::CountUsage(t, txn, "last_sync"); });
  CHECK(st.code() == Code::kInvalidArgument);
  // A sync counts and records its time; nothing of it is replicated (no change was written).
  const uint64_t when = 1'795'000'000'000;
  st = t.store().Write([&](store::Txn& txn) { return service::RecordSync(t, txn, when); });
  REQUIRE(st.ok());
  u = Usage(t);
  CHECK(u.at("syncs") == 1);
  CHECK(u.at("last_sync") == when);
  CHECK(Count(t, store::Db::kChanges) == 0);
  // Report times are ISO 8601 in China Standard Time and read back exactly (to the second).
  CHECK(service::IsoMillis(when) == "2026-11-18T19:06:40+08:00");
  CHECK(service::ParseIsoMillis(service::IsoMillis(when)) == when);
  CHECK(service::ParseIsoMillis("2026-11-18T11:06:40.000Z") == when);
  CHECK(service::ParseIsoMillis("2026-11-18T11:06:40.5Z") == when + 500);
  CHECK_FALSE(service::ParseIsoMillis("2026-11-19 16:53"));
  CHECK_FALSE(service::ParseIsoMillis("2026-02-30T00:00:00Z"));
  CHECK_FALSE(service::ParseIsoMillis("2026-11-19T16:53:20+0800"));
}

TEST_CASE("pending: the node's own changes no peer that holds their community has confirmed") {
  City c;
  service::Node& t = *c.terminal;
  Import(t, FamilyCard());  // 5 changes: household, 3 persons, visit
  REQUIRE(LogEnd(t) == 5);
  CHECK(Pending(t) == 5);  // no peer yet
  // A peer of another community confirms nothing of heping's.
  SetPeer(t, c.gongyuan->cert().node_id, 5);
  CHECK(Pending(t) == 5);
  // The hub has everything up to log position 3.
  SetPeer(t, c.hub->cert().node_id, 3);
  CHECK(Pending(t) == 2);
  // The report itself is never pending (it cannot count itself), and says 2.
  REQUIRE(*Report(t));
  CHECK(LogEnd(t) == 6);
  CHECK(Pending(t) == 2);
  CHECK(ReportValues(t, t.cert()).at("pending") == "2");
  // Changes received from other nodes are not this node's to send.
  auto stored =
      Import(*c.office, FamilyCard("HBW-2026-000124", "150302198001010031", "和平社区5栋"));
  REQUIRE(stored.size() == 1);
  REQUIRE(stored[0].outcome == service::CardResult::Outcome::kStored);
  Carry(*c.office, t, c.bed.dir("office.bundle"));
  CHECK(LogEnd(t) > 6);
  CHECK(Pending(t) == 2);
  // A sync with the hub that began after everything was stored confirms it all.
  SetPeer(t, c.hub->cert().node_id, LogEnd(t));
  CHECK(Pending(t) == 0);
  EditPolitical(t, "150302198001010015", "13");
  CHECK(Pending(t) == 1);
}

TEST_CASE("a usage report is written only when something changed, by the terminal, in its scope") {
  City c;
  service::Node& t = *c.terminal;
  auto first = Report(t);
  REQUIRE(first.ok());
  CHECK(*first);
  auto v = ReportValues(t, t.cert());
  CHECK(v.at("app_version") == std::string(service::AppVersion()));
  CHECK(v.at("app_version") != "unknown");
  CHECK(v.at("logins") == "0");
  CHECK(v.at("failed_logins") == "0");
  CHECK(v.at("out_of_scope") == "0");
  CHECK(v.at("syncs") == "0");
  CHECK(v.at("pending") == "0");
  CHECK(v.at("sealed") == "no");
  CHECK(v.count("last_sync") == 0);  // never synced
  REQUIRE(service::ParseIsoMillis(v.at("reported_at")));
  CHECK(*service::ParseIsoMillis(v.at("reported_at")) + 5000 > NowMillis());
  // The entity: the terminal's node id, in its community, one change by the terminal tool.
  auto ref = *service::TerminalReportRef(t.cert());
  CHECK(ref.community == kHeping);
  CHECK(ref.kind == model::EntityKind::kTerminalReport);
  CHECK(ref.entity == t.cert().node_id);
  auto history = [&] {
    auto r = t.store().BeginRead();
    return *t.replica().History(*r, ref);
  };
  REQUIRE(history().size() == 1);
  CHECK(history()[0].body.tool == crdt::Tool::kTerminal);
  CHECK(history()[0].body.origin == t.cert().node_id);
  // Nothing changed: nothing written.
  CHECK_FALSE(*Report(t));
  CHECK(history().size() == 1);
  // A login: one change with the count that changed and the time of the report.
  Status st = t.store().Write(
      [&](store::Txn& txn) { return service::CountUsage(t, txn, service::kUsageLogins); });
  REQUIRE(st.ok());
  CHECK(*Report(t));
  REQUIRE(history().size() == 2);
  std::vector<std::string> fields;
  auto changes = history();
  for (const auto& w : changes[1].body.writes) fields.push_back(w.field);
  CHECK(fields == std::vector<std::string>{"logins", "reported_at"});
  service::UsageReportOptions sealed;
  sealed.sealed = true;
  sealed.app_version = "9.9.9";
  CHECK(*Report(t, sealed));
  CHECK(ReportValues(t, t.cert()).at("sealed") == "yes");
  CHECK(ReportValues(t, t.cert()).at("app_version") == "9.9.9");
  // A node not scoped to one community has no terminal report.
  auto hub = Report(*c.hub);
  CHECK(hub.status().code() == Code::kInvalidArgument);
  CHECK(hub.status().message().find("not to one community") != std::string::npos);
}

TEST_CASE("a terminal reports after each real sync; the next sync carries the report to the hub") {
  City c;
  service::Node& t = *c.terminal;
  Import(t, FamilyCard());
  Status st = t.store().Write([&](store::Txn& txn) -> Status {
    RETURN_IF_ERROR(service::CountUsage(t, txn, service::kUsageLogins, 3));
    return service::CountUsage(t, txn, service::kUsageFailedLogins);
  });
  REQUIRE(st.ok());
  HubDaemon hub_daemon(*c.hub);

  // First sync: the card reaches the hub; afterwards the terminal writes its report.
  auto r1 = SyncOnce(t, hub_daemon.contact());
  CHECK(r1.stats.changes_sent == 5);
  CHECK(r1.usage_reported);
  CHECK(Usage(t).at("syncs") == 1);
  CHECK(Pending(t) == 0);
  auto v = ReportValues(t, t.cert());
  CHECK(v.at("syncs") == "1");
  CHECK(v.at("logins") == "3");
  CHECK(v.at("failed_logins") == "1");
  CHECK(v.at("pending") == "0");
  REQUIRE(v.count("last_sync"));
  CHECK(*service::ParseIsoMillis(v.at("last_sync")) + 60000 > NowMillis());
  CHECK(ReportValues(*c.hub, t.cert()).empty());  // still on the terminal

  // An edit after the sync is pending; the second sync carries it and the report.
  EditPolitical(t, "150302198001010015", "13");
  CHECK(Pending(t) == 1);
  auto r2 = SyncOnce(t, hub_daemon.contact());
  CHECK(r2.stats.changes_sent == 2);  // the report and the edit
  CHECK(r2.usage_reported);
  CHECK(Pending(t) == 0);
  v = ReportValues(*c.hub, t.cert());
  CHECK(v.at("syncs") == "1");  // the report written after the first sync
  CHECK(v.at("logins") == "3");
  CHECK(ReportValues(t, t.cert()).at("syncs") == "2");  // the next one waits for the next sync

  // Offline work shows as pending in a report; the next sync brings it to the hub.
  EditPolitical(t, "150302198205030026", "13");
  REQUIRE(*Report(t));
  CHECK(ReportValues(t, t.cert()).at("pending") == "1");
  SyncOnce(t, hub_daemon.contact());
  // The hub counts its side of a sync when the terminal's last message arrives.
  for (int i = 0; i < 500 && Usage(*c.hub)["syncs"] < 3; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(hub_daemon.Stop().ok());
  v = ReportValues(*c.hub, t.cert());
  CHECK(v.at("pending") == "1");
  CHECK(v.at("syncs") == "2");
  CHECK(Digest(*c.hub, kHeping) != Digest(t, kHeping));  // the latest report is still local
  // The hub counted its side of the syncs too (and wrote no report: it is not a terminal).
  CHECK(Usage(*c.hub).at("syncs") == 3);
  auto hub_status = service::TerminalMonitor(*c.hub, NowMillis());
  REQUIRE(hub_status.ok());
  REQUIRE(hub_status->size() == 1);
  const service::TerminalStatus& ts = (*hub_status)[0];
  CHECK(ts.reported);
  CHECK(ts.last_contact_ms + 60000 > NowMillis());
  CHECK_FALSE(ts.stale);
  CHECK(ts.pending == 1);
  CHECK(ts.failed_logins == 1);
}

TEST_CASE("shequ terminals on the hub: counts, pending, violations, terminals unseen for 7 days") {
  City c;
  service::Node& t = *c.terminal;
  const uint64_t now = NowMillis();
  // A second terminal whose clock says nine days ago, and a third never seen at all.
  c.bed.AddNode("t-old", NodeKind::kTerminal, {kHeping}, std::nullopt, now - 30 * kDayMs);
  c.bed.AddNode("t-silent", NodeKind::kTerminal, {kGongyuan});
  service::Node::Options past;
  past.wall_ms = [now] { return now - 9 * kDayMs; };
  auto old = c.bed.Open("t-old", past);
  auto silent = c.bed.Open("t-silent");
  for (service::Node* n : {old.get(), silent.get()}) {
    Introduce(*c.hub, *n);
    Introduce(*n, *c.hub);
  }

  // The heping terminal: a card, logins, a refused card of another community (counted by
  // `shequ card import`), then two real syncs with the hub.
  Import(t, FamilyCard());
  Status st = t.store().Write([&](store::Txn& txn) -> Status {
    RETURN_IF_ERROR(service::CountUsage(t, txn, service::kUsageLogins, 4));
    return service::CountUsage(t, txn, service::kUsageFailedLogins, 2);
  });
  REQUIRE(st.ok());
  std::string card = FamilyCard("HBW-2026-000999");
  size_t at = card.find(kHeping);
  REQUIRE(at != std::string::npos);
  card.replace(at, 12, kGongyuan);
  REQUIRE(WriteFileAtomic(c.bed.dir("other.json"), card).ok());
  std::string out;
  CHECK(Run(ShequBin() + " card import --dir " + t.dir() + " " + c.bed.dir("other.json"), &out) ==
        2);
  CHECK(out.find("out_of_scope") != std::string::npos);
  CHECK(Usage(t).at("out_of_scope") == 1);
  {
    HubDaemon hub_daemon(*c.hub);
    SyncOnce(t, hub_daemon.contact());
    EditPolitical(t, "150302198001010015", "13");
    REQUIRE(*Report(t));  // pending 1
    SyncOnce(t, hub_daemon.contact());
    REQUIRE(hub_daemon.Stop().ok());
  }

  // A change the heping terminal signed for another community reaches the hub on a bundle: the
  // hub rejects it and logs the rejection with its origin.
  crdt::ChangeBody body;
  body.community = kGongyuan;
  body.entity = t.NewEntityId();
  body.kind = model::EntityKind::kPerson;
  body.hlc = t.clock().Now();
  body.origin = t.cert().node_id;
  body.op = "forger";
  body.tool = crdt::Tool::kTerminal;
  body.writes.push_back(crdt::Write{"political", crdt::ValueKind::kText, "13", {}});
  auto forged = crdt::SignChange(std::move(body), t.key());
  REQUIRE(forged.ok());
  service::BundleChunk chunk;
  chunk.certificates.push_back(t.trust().Find(t.cert().node_id)->encoded);
  chunk.changes.push_back(crdt::EncodeRecord(*forged));
  auto encoded = service::EncodeBundleChunk(chunk);
  REQUIRE(encoded.ok());
  std::string file(service::kBundleMagic);
  for (int i = 0; i < 4; ++i) file.push_back(static_cast<char>(encoded->size() >> (8 * i)));
  file.append(encoded->begin(), encoded->end());
  REQUIRE(WriteFileAtomic(c.bed.dir("forged.bundle"), file).ok());
  auto imported = service::ImportBundle(*c.hub, c.bed.dir("forged.bundle"));
  REQUIRE(imported.ok());
  REQUIRE(imported->rejected == 1);
  CHECK(imported->rejections[0].code == "out_of_scope");

  // The old terminal last synced and reported nine days ago (by its clock); a USB stick brings
  // the report to the hub.
  st = old->store().Write([&](store::Txn& txn) -> Status {
    RETURN_IF_ERROR(service::RecordSync(*old, txn, now - 9 * kDayMs));
    return service::ReportUsage(*old, txn, {}).status();
  });
  REQUIRE(st.ok());
  Carry(*old, *c.hub, c.bed.dir("old.bundle"));

  // Another node writing into the heping terminal's report entity is refused at merge (a
  // terminal report's entity id is its signer's node id), here already at commit.
  st = c.office->store().Write([&](store::Txn& txn) {
    service::Node::CommitOptions o;
    return c.office
        ->Commit(txn, *service::TerminalReportRef(t.cert()),
                 {service::FieldEdit{"failed_logins", "0"}, service::FieldEdit{"pending", "0"}}, o)
        .status();
  });
  CHECK(st.code() == Code::kPermissionDenied);
  CHECK(st.message().find("not its own") != std::string::npos);

  // The city revokes the silent terminal (a lost device); the hub holds the revocation.
  std::string root_key = *ReadFile(c.bed.city_dir() + "/root.key");
  size_t priv = root_key.find("private ");
  REQUIRE(priv != std::string::npos);
  auto root = crypto::SigningKey::FromPrivate(
      c.hub->trust().city().suite,
      *Unhex(Trim(root_key.substr(priv + 8, root_key.find('\n', priv) - priv - 8))));
  REQUIRE(root.ok());
  trust::Revocation rev;
  rev.node_id = silent->cert().node_id;
  rev.at = c.hub->clock().Now();
  rev.reason = "设备遗失";
  REQUIRE(trust::IssueRevocation(rev, *root).ok());
  auto rev_bytes = rev.Encode();
  REQUIRE(rev_bytes.ok());
  st = c.hub->store().Write([&](store::Txn& txn) {
    return c.hub->trust()
        .AddRevocation(txn, c.hub->store().dbi(store::Db::kTrust), *rev_bytes)
        .status();
  });
  REQUIRE(st.ok());

  out.clear();
  REQUIRE(Run(ShequBin() + " terminals --dir " + c.hub->dir() + " --json", &out) == 0);
  auto j = nlohmann::json::parse(out);
  REQUIRE(j["terminals"].size() == 3);
  std::map<std::string, nlohmann::json> by_name;
  for (const auto& e : j["terminals"]) by_name[e["name"].get<std::string>()] = e;
  const auto& th = by_name.at("t-heping");
  CHECK(th["node"] == t.cert().id_hex());
  CHECK(th["community"] == kHeping);
  CHECK(th["revoked"] == false);
  CHECK(th["valid_now"] == true);
  CHECK(th["reported"] == true);
  CHECK(th["logins"] == 4);
  CHECK(th["failed_logins"] == 2);
  CHECK(th["out_of_scope"] == 1);
  CHECK(th["syncs"] == 1);
  CHECK(th["pending"] == 1);
  CHECK(th["rejected"] == 1);
  CHECK(th["rejected_by_code"]["out_of_scope"] == 1);
  CHECK(th["last_rejection"].get<std::string>().find(kGongyuan) != std::string::npos);
  CHECK(th["violations"] == 4);  // 1 out of scope + 2 failed logins + 1 rejected
  CHECK(th["app_version"] == std::string(service::AppVersion()));
  CHECK(th["sealed"] == false);
  CHECK(th["stale"] == false);
  CHECK(th["days_unseen"] == 0);
  CHECK(!th["last_contact"].is_null());
  const auto& to = by_name.at("t-old");
  CHECK(to["reported"] == true);
  CHECK(to["stale"] == true);
  CHECK(to["days_unseen"] == 9);
  CHECK(to["syncs"] == 1);
  CHECK(to["violations"] == 0);
  CHECK(to["last_contact"].is_null());
  const auto& ts = by_name.at("t-silent");
  CHECK(ts["community"] == kGongyuan);
  CHECK(ts["reported"] == false);
  CHECK(ts["stale"] == true);
  CHECK(ts["last_seen"].is_null());
  CHECK(ts["sealed"].is_null());
  CHECK(ts["revoked"] == true);
  CHECK(ts["revoked_reason"] == "设备遗失");

  // The table says the same.
  out.clear();
  REQUIRE(Run(ShequBin() + " terminals --dir " + c.hub->dir(), &out) == 0);
  CHECK(out.find("t-heping (150302001002)") != std::string::npos);
  CHECK(out.find("pending 1; violations 4: out of scope 1, failed logins 2, rejected here 1") !=
        std::string::npos);
  CHECK(out.find("! not seen for 9 days") != std::string::npos);
  CHECK(out.find("! never seen") != std::string::npos);
  CHECK(out.find("REVOKED") != std::string::npos);
  CHECK(out.find("3 terminals, 2 not seen for more than 7 days, 1 with violations") !=
        std::string::npos);

  // Eight days on (the hub's clock), the heping terminal is flagged too.
  auto later = service::TerminalMonitor(*c.hub, NowMillis() + 8 * kDayMs);
  REQUIRE(later.ok());
  for (const auto& s : *later) CHECK(s.stale);
}
