#include "replication/session/daemon.h"

#include <algorithm>
#include <map>
#include <thread>

#include "node/base/text.h"
#include "node/base/time.h"
#include "replication/transport/full_sync_limiter.h"

namespace shequ::session {

using transport::Incoming;
using transport::LinkEvent;
using transport::LinkEventKind;
using transport::PeerId;

// ---------------------------------------------------------------- contact

std::string Contact::ToString() const { return endpoint + "#" + Hex(curve_key); }

Result<Contact> Contact::Parse(std::string_view text) {
  text = Trim(text);
  size_t hash = text.rfind('#');
  if (hash == std::string_view::npos)
    return Status::Invalid("a peer is ENDPOINT#CURVEKEY as `shequ node contact` prints it, got " +
                           Quote(text));
  Contact c;
  c.endpoint = std::string(text.substr(0, hash));
  if (!StartsWith(c.endpoint, "tcp://") && !StartsWith(c.endpoint, "ipc://") &&
      !StartsWith(c.endpoint, "inproc://"))
    return Status::Invalid("peer endpoint " + Quote(c.endpoint) + " is not tcp://HOST:PORT");
  auto key = Unhex(text.substr(hash + 1));
  if (!key.ok() || key->size() != 32)
    return Status::Invalid("peer CURVE key must be 64 hex digits");
  c.curve_key = std::move(*key);
  return c;
}

transport::AdmitFn TrustAdmission(const trust::TrustStore& trust,
                                  std::function<uint64_t()> wall_ms) {
  return [&trust, wall_ms = std::move(wall_ms)](const Bytes& key) -> transport::AdmitDecision {
    const trust::Signer* s = trust.FindByCurveKey(key);
    if (!s) return transport::AdmitDecision::Refuse("no certificate of this city has this key");
    if (const trust::Revoked* r = trust.RevocationOf(s->cert.node_id))
      return transport::AdmitDecision::Refuse(
          "the certificate of " + s->cert.name +
          " is revoked: " + Utf8Prefix(r->revocation.reason, 60));
    if (!s->cert.ValidAt(wall_ms ? wall_ms() : NowMillis()))
      return transport::AdmitDecision::Refuse("the certificate of " + s->cert.name +
                                              " is not valid now");
    return transport::AdmitDecision::Admit();
  };
}

// ---------------------------------------------------------------- the daemon

namespace {

uint64_t SteadyMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

std::string KiB(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(bytes) / 1024);
  return buf;
}

}  // namespace

struct Daemon::Impl {
  struct Conn {
    std::unique_ptr<Session> session;
    uint64_t started = 0, last_activity = 0;
    uint64_t bytes_sent = 0, bytes_received = 0, frames_sent = 0, frames_received = 0;
    uint64_t log_at_start = 0;
    uint64_t log_pushed = 0;  // local log position pushed to this peer (live sessions)
    bool reported_sync = false;
    bool usage_reported = false;
    bool holds_slot = false;
    bool periodic = false;  // a dialer's periodic re-reconciliation (DaemonOptions::resync_every)
    // What Remember() has already added to the peer record.
    uint64_t recorded_sent = 0, recorded_received = 0, recorded_rejected = 0;
    uint64_t recorded_bytes_sent = 0, recorded_bytes_received = 0;
    bool recorded_session = false;
  };
  struct DialerState {
    Contact contact;
    std::optional<transport::Dialer> dialer;
    Conn conn;
    bool connected = false;
    uint64_t next_hello = 0;
    uint64_t waiting_since = 0;
    bool finished = false;
    PeerReport report;
  };

  Impl(service::Node& n, DaemonOptions opts)
      : node(n),
        o(std::move(opts)),
        limiter(transport::FullSyncLimiter::Options{o.max_full_syncs}) {}

  service::Node& node;
  DaemonOptions o;
  std::unique_ptr<transport::Network> network;
  std::optional<transport::Listener> listener;
  std::map<PeerId, Conn> accepted;
  // Frames of a session whose Hello has not arrived yet (a network that reorders frames, e.g.
  // the transport's fault injection with jitter, can deliver a pipelined first flight before its
  // Hello): kept, bounded, and handed to the session its Hello starts.
  struct Early {
    std::vector<std::pair<wire::Message, Bytes>> frames;  // message, peer key
    size_t bytes = 0;
    uint64_t since = 0;  // steady ms of the first; dropped after the session timeout
  };
  std::map<PeerId, Early> early;
  static constexpr size_t kMaxEarlyFrames = 1024, kMaxEarlyBytes = 8 << 20;
  std::vector<DialerState> dialers;
  transport::FullSyncLimiter limiter;
  uint64_t log_seen = 0;
  uint64_t revocations_seen = 0, next_revocation_poll = 0;
  std::vector<PeerReport>* reports = nullptr;

  void Log(const std::string& line) {
    if (o.log) o.log(FormatMillis(NowMillis()) + " " + node.cert().name + ": " + line);
  }

  std::string PeerName(const Conn& c, const std::string& fallback) const {
    return c.session && c.session->peer() ? c.session->peer()->name : fallback;
  }

  // The last local log position (changes stored so far by this or any other process).
  uint64_t LogPosition() {
    auto r = node.store().BeginRead();
    if (!r.ok()) return log_seen;
    auto end = node.replica().LogEnd(*r);
    return end.ok() ? *end : log_seen;
  }

  Status Start() {
    ASSIGN_OR_RETURN(network, transport::Network::Create(TrustAdmission(node.trust())));
    transport::CurveKeyPair keys{node.cert().curve_key, node.curve_secret()};
    if (o.listen) {
      ASSIGN_OR_RETURN(transport::Listener l,
                       transport::Listener::Bind(*network, keys, *o.listen, o.socket));
      listener.emplace(std::move(l));
      Log("listening on " + listener->endpoint() + " (contact " +
          Contact{listener->endpoint(), node.cert().curve_key}.ToString() + ")");
    }
    for (const Contact& c : o.peers) {
      DialerState d;
      d.contact = c;
      d.report.peer = c.endpoint;
      ASSIGN_OR_RETURN(transport::Dialer dialer,
                       transport::Dialer::Dial(*network, keys, c.curve_key, c.endpoint, o.socket));
      d.dialer.emplace(std::move(dialer));
      d.waiting_since = SteadyMs();
      dialers.push_back(std::move(d));
    }
    log_seen = LogPosition();
    revocations_seen = node.trust().revocation_generation();
    return Status::Ok();
  }

  // ---- revocations
  static std::string ErrorText(const std::vector<wire::Message>& out) {
    for (const wire::Message& m : out)
      if (const auto* e = std::get_if<wire::Error>(&m.body)) return e->text;
    return "";
  }

  // Revocations stored by another process on this replica (`shequ trust import`, `changes
  // import`) are learned by polling the trust database; the changes they invalidate that this
  // process accepted meanwhile are removed. Whenever a revocation is learned, by whatever way,
  // every session with the revoked node ends with Error{revoked}.
  void WatchRevocations() {
    uint64_t now = SteadyMs();
    if (now >= next_revocation_poll) {
      next_revocation_poll = now + 250;
      std::vector<const trust::Revoked*> fresh;
      {
        auto r = node.store().BeginRead();
        if (r.ok()) {
          auto got = node.trust().RefreshRevocations(*r, node.store().dbi(store::Db::kTrust));
          if (got.ok())
            fresh = std::move(*got);
          else
            Log("cannot read revocations: " + got.status().ToString());
        }
      }
      for (const trust::Revoked* rev : fresh) {
        const Id16& id = rev->revocation.node_id;
        size_t removed = 0;
        Status st = node.store().Write([&](store::Txn& txn) -> Status {
          const trust::Revoked* in_force = node.trust().RevocationOf(id);
          ASSIGN_OR_RETURN(removed, node.replica().RemoveRevoked(txn, id, in_force->revocation.at));
          return Status::Ok();
        });
        if (!st.ok()) {
          Log("cannot apply the revocation of " + rev->revocation.node_hex() + ": " +
              st.ToString());
          continue;
        }
        Log("learned the revocation of node " + rev->revocation.node_hex() + " (" +
            rev->revocation.reason + "); removed " + std::to_string(removed) + " of its changes");
      }
    }
    uint64_t generation = node.trust().revocation_generation();
    if (generation == revocations_seen) return;
    revocations_seen = generation;
    for (auto it = accepted.begin(); it != accepted.end();) {
      Conn& c = it->second;
      PeerId peer = it->first;
      std::vector<wire::Message> out =
          c.session ? c.session->CheckRevoked() : std::vector<wire::Message>{};
      if (out.empty()) {
        if (c.session)
          SendAll(c, c.session->ShareRevocations(),
                  [&](const Bytes& b) { return listener->Send(peer, b); });
        ++it;
        continue;
      }
      Log("closing the session with " + PeerName(c, "a peer") + ": " + ErrorText(out));
      SendAll(c, out, [&](const Bytes& b) { return listener->Send(peer, b); });
      EndSession(c, "a peer");
      it = accepted.erase(it);
    }
    for (DialerState& d : dialers) {
      if (d.finished || !d.conn.session) continue;
      std::vector<wire::Message> out = d.conn.session->CheckRevoked();
      if (out.empty()) {
        SendAll(d.conn, d.conn.session->ShareRevocations(),
                [&](const Bytes& b) { return d.dialer->Send(b); });
        continue;
      }
      Log("closing the session with " + PeerName(d.conn, d.contact.endpoint) + ": " +
          ErrorText(out));
      SendAll(d.conn, out, [&](const Bytes& b) { return d.dialer->Send(b); });
      EndSession(d.conn, d.contact.endpoint);
      if (o.once) {
        FinishDialer(d, d.conn.session->error());
      } else {
        d.next_hello = now + 60000;  // a new session would be refused at its Accept
      }
    }
  }

  // Peer record bookkeeping at the end of a session or when it syncs.
  void Remember(Conn& c, bool synced) {
    if (!c.session || !c.session->peer()) return;
    const trust::Certificate& peer = *c.session->peer();
    Status st = node.store().Write([&](store::Txn& txn) -> Status {
      PeerRecord p;
      ASSIGN_OR_RETURN(auto raw, txn.Get(node.store().dbi(store::Db::kPeers), peer.node_id));
      if (raw) {
        auto decoded = PeerRecord::Decode(*raw);
        if (decoded.ok()) p = std::move(*decoded);
      }
      p.name = peer.name;
      p.last_contact = NowMillis();
      const Stats& s = c.session->stats();
      p.changes_sent += s.changes_sent - c.recorded_sent;
      p.changes_received += s.changes_received - c.recorded_received;
      p.rejected += s.rejected - c.recorded_rejected;
      p.bytes_sent += c.bytes_sent - c.recorded_bytes_sent;
      p.bytes_received += c.bytes_received - c.recorded_bytes_received;
      if (!c.recorded_session) ++p.sessions;
      if (synced) {
        p.last_sync = NowMillis();
        ++p.syncs;
        p.log_synced = std::max(p.log_synced, c.log_at_start);
        p.last_error.clear();
      } else if (!c.session->error().ok()) {
        p.last_error = c.session->error().message();
      }
      return txn.Put(node.store().dbi(store::Db::kPeers), peer.node_id, p.Encode());
    });
    if (!st.ok()) {
      Log("cannot record peer progress: " + st.ToString());
      return;
    }
    const Stats& s = c.session->stats();
    c.recorded_sent = s.changes_sent;
    c.recorded_received = s.changes_received;
    c.recorded_rejected = s.rejected;
    c.recorded_bytes_sent = c.bytes_sent;
    c.recorded_bytes_received = c.bytes_received;
    c.recorded_session = true;
  }

  // A completed sync: counted in the node's usage; a terminal then writes its usage report.
  void AfterSync(Conn& c) {
    Status st = node.store().Write(
        [&](store::Txn& txn) { return service::RecordSync(node, txn, node.clock().WallMs()); });
    if (!st.ok()) Log("cannot count the sync in the usage counters: " + st.ToString());
    if (!o.usage_report || node.cert().kind != trust::NodeKind::kTerminal) return;
    bool written = false;
    st = node.store().Write([&](store::Txn& txn) -> Status {
      ASSIGN_OR_RETURN(written, service::ReportUsage(node, txn, *o.usage_report));
      return Status::Ok();
    });
    if (!st.ok()) {
      Log("cannot write the usage report: " + st.ToString());
      return;
    }
    c.usage_reported = written;
    if (written) Log("wrote the usage report");
  }

  void Summarize(Conn& c, const std::string& name) {
    const Stats& s = c.session->stats();
    double secs = static_cast<double>(SteadyMs() - c.started) / 1000;
    char buf[320];
    std::snprintf(buf, sizeof buf,
                  "synced with %s in %.2f s: sent %llu changes, received %llu (%llu new, %llu "
                  "rejected), %s out, %s in, %llu round trips, %llu communities",
                  name.c_str(), secs, static_cast<unsigned long long>(s.changes_sent),
                  static_cast<unsigned long long>(s.changes_received),
                  static_cast<unsigned long long>(s.applied),
                  static_cast<unsigned long long>(s.rejected), KiB(c.bytes_sent).c_str(),
                  KiB(c.bytes_received).c_str(), static_cast<unsigned long long>(s.round_trips),
                  static_cast<unsigned long long>(s.communities));
    Log(buf);
    if (s.skew_ms > 15 * 60 * 1000 || s.skew_ms < -15 * 60 * 1000)
      Log("clock of " + name + " differs from ours by " + std::to_string(s.skew_ms / 60000) +
          " minutes");
  }

  Session::Phase Before(const Conn& c) {
    return c.session ? c.session->phase() : Session::Phase::kClosed;
  }

  // Sends a session's output; false if the link refused it.
  template <typename SendFn>
  bool SendAll(Conn& c, const Result<std::vector<wire::Message>>& out, SendFn&& send) {
    if (!out.ok()) {
      Log("session failed: " + out.status().ToString());
      c.session->Abandon(out.status().message());
      return false;
    }
    for (const wire::Message& m : *out) {
      auto bytes = wire::Encode(m);
      if (!bytes.ok()) {
        Log("cannot encode " + std::string(wire::MessageName(m.body)) + ": " +
            bytes.status().ToString());
        c.session->Abandon(bytes.status().message());
        // Tell the peer rather than leave it waiting for its timeout.
        auto err = wire::Encode(wire::Message{
            c.session->id(),
            wire::Error{wire::ErrorCode::kInternal, Utf8Prefix(bytes.status().message(), 200)}});
        if (err.ok()) (void)send(*err);
        return false;
      }
      Status st = send(*bytes);
      if (!st.ok()) {
        c.session->Abandon("send failed: " + st.message());
        return false;
      }
      c.bytes_sent += bytes->size();
      ++c.frames_sent;
    }
    return true;
  }

  // After a session handled something: note syncs and ends.
  void AfterHandle(Conn& c, const std::string& fallback_name) {
    if (!c.session) return;
    std::string name = PeerName(c, fallback_name);
    if (c.session->synced() && !c.reported_sync) {
      c.reported_sync = true;
      const Stats& s = c.session->stats();
      // A periodic re-reconciliation is worth a line only when it found something, and it is
      // not a sync of the node's own: no usage count, no terminal report.
      const bool found =
          s.changes_sent + s.changes_received + s.certificates_received + s.revocations_received >
          0;
      if (!c.periodic || found)
        Summarize(c, c.periodic ? name + " (periodic re-reconciliation)" : name);
      Remember(c, true);
      if (!c.periodic) AfterSync(c);
      if (c.holds_slot && c.session->peer()) limiter.Release(c.session->peer()->node_id);
      c.holds_slot = false;
    }
  }

  void EndSession(Conn& c, const std::string& fallback_name) {
    if (!c.session) return;
    std::string name = PeerName(c, fallback_name);
    // A live session ends quietly when the link goes; a refusal (a revocation) is worth a line.
    if (!c.session->synced() || c.session->error().code() == Code::kPermissionDenied)
      Log("session with " + name + " ended: " + c.session->error().ToString());
    Remember(c, false);
    if (c.holds_slot && c.session->peer()) limiter.Release(c.session->peer()->node_id);
  }

  // ---- listener side
  void OnListenerFrame(transport::Frame& f) {
    auto m = wire::Decode(f.payload);
    if (!m.ok()) {
      Log("bad frame from a peer: " + m.status().message());
      auto err = wire::Encode(wire::Message{
          wire::SessionId{},
          wire::Error{wire::ErrorCode::kBadMessage, Utf8Prefix(m.status().message(), 200)}});
      if (err.ok()) (void)listener->Send(f.peer, *err);
      return;
    }
    Conn* c = nullptr;
    if (std::holds_alternative<wire::Hello>(m->body)) {
      auto it = accepted.find(f.peer);
      if (it != accepted.end()) {
        EndSession(it->second, "a peer");
        accepted.erase(it);
      }
      Conn fresh;
      session::Config cfg = o.session;
      cfg.busy = [this, c_ptr = &fresh](const Id16& peer) -> std::optional<uint32_t> {
        (void)c_ptr;
        auto g = limiter.Acquire(peer, std::chrono::steady_clock::now());
        if (g.granted) return std::nullopt;
        return static_cast<uint32_t>(g.retry_after.count());
      };
      fresh.session = std::make_unique<Session>(node, Session::Role::kListener, m->session, cfg);
      fresh.started = SteadyMs();
      fresh.log_at_start = log_seen;
      c = &accepted.emplace(f.peer, std::move(fresh)).first->second;
    } else {
      auto it = accepted.find(f.peer);
      if (it == accepted.end() || it->second.session->id() != m->session) {
        // No session of this id yet: a frame that overtook its Hello, or a stale one (dropped
        // when the next Hello comes).
        Early& e = early[f.peer];
        if (e.frames.empty()) e.since = SteadyMs();
        if (e.frames.size() < kMaxEarlyFrames && e.bytes + f.payload.size() <= kMaxEarlyBytes) {
          e.bytes += f.payload.size();
          e.frames.emplace_back(std::move(*m), f.peer_key);
        }
        return;
      }
      c = &it->second;
    }
    c->bytes_received += f.payload.size();
    ++c->frames_received;
    c->last_activity = SteadyMs();
    auto out = c->session->Handle(*m, f.peer_key);
    if (c->session->peer() && !c->holds_slot && std::holds_alternative<wire::Hello>(m->body) &&
        !c->session->closed())
      c->holds_slot = true;  // Accept was sent: the limiter granted a slot
    PeerId peer = f.peer;
    SendAll(*c, out, [&](const Bytes& b) { return listener->Send(peer, b); });
    AfterHandle(*c, "a peer");
    if (std::holds_alternative<wire::Hello>(m->body)) {
      // The frames of this session that arrived before its Hello, in their order.
      auto kept = early.find(peer);
      if (kept != early.end()) {
        std::vector<std::pair<wire::Message, Bytes>> frames = std::move(kept->second.frames);
        early.erase(kept);
        for (auto& [msg, key] : frames) {
          if (msg.session != c->session->id() || c->session->closed()) continue;
          auto more = c->session->Handle(msg, key);
          SendAll(*c, more, [&](const Bytes& b) { return listener->Send(peer, b); });
          AfterHandle(*c, "a peer");
        }
      }
    }
    if (c->session->closed()) {
      EndSession(*c, "a peer");
      accepted.erase(peer);
    }
  }

  // ---- dialer side
  void StartDialSession(DialerState& d, bool periodic = false) {
    wire::SessionId sid = crypto::RandomArray<16>();
    d.conn = Conn{};
    d.conn.periodic = periodic;
    session::Config cfg = o.session;
    cfg.peer_key = d.contact.curve_key;
    d.conn.session = std::make_unique<Session>(node, Session::Role::kDialer, sid, cfg);
    d.conn.started = d.conn.last_activity = SteadyMs();
    d.conn.log_at_start = log_seen;
    auto out = d.conn.session->Start();
    SendAll(d.conn, out, [&](const Bytes& b) { return d.dialer->Send(b); });
  }

  void FinishDialer(DialerState& d, Status why) {
    d.report.synced = d.conn.session && d.conn.session->synced();
    d.report.error = std::move(why);
    if (d.conn.session) {
      d.report.stats = d.conn.session->stats();
      d.report.peer = PeerName(d.conn, d.contact.endpoint);
    }
    d.report.bytes_sent = d.conn.bytes_sent;
    d.report.bytes_received = d.conn.bytes_received;
    d.report.frames_sent = d.conn.frames_sent;
    d.report.frames_received = d.conn.frames_received;
    d.report.seconds = static_cast<double>(SteadyMs() - d.conn.started) / 1000;
    d.report.usage_reported = d.conn.usage_reported;
    d.finished = true;
  }

  void OnDialerIncoming(DialerState& d, Incoming& in) {
    if (auto* ev = std::get_if<LinkEvent>(&in)) {
      switch (ev->kind) {
        case LinkEventKind::kConnected:
          d.connected = true;
          if (!d.conn.session || d.conn.session->closed()) StartDialSession(d);
          break;
        case LinkEventKind::kDisconnected:
          d.connected = false;
          if (d.conn.session && !d.conn.session->closed()) {
            d.conn.session->Abandon("the connection to " + d.contact.endpoint + " was lost");
            EndSession(d.conn, d.contact.endpoint);
          }
          break;
        case LinkEventKind::kRefused:
          Log("refused by " + d.contact.endpoint + ": our key is not admitted there (" +
              ev->detail + ")");
          if (o.once)
            FinishDialer(
                d, Status::Denied(
                       d.contact.endpoint +
                       " refused this node: its certificate is not known or not valid there"));
          break;
        case LinkEventKind::kHandshakeFailed:
          Log("handshake with " + d.contact.endpoint + " failed: " + ev->detail);
          if (o.once)
            FinishDialer(d, Status::Denied("the CURVE handshake with " + d.contact.endpoint +
                                           " failed (wrong peer key?): " + ev->detail));
          break;
        case LinkEventKind::kPeerGone:
          break;
      }
      return;
    }
    auto& f = std::get<transport::Frame>(in);
    auto m = wire::Decode(f.payload);
    if (!m.ok()) {
      Log("bad frame from " + d.contact.endpoint + ": " + m.status().message());
      return;
    }
    if (!d.conn.session) return;
    d.conn.bytes_received += f.payload.size();
    ++d.conn.frames_received;
    d.conn.last_activity = SteadyMs();
    auto out = d.conn.session->Handle(*m, d.contact.curve_key);
    SendAll(d.conn, out, [&](const Bytes& b) { return d.dialer->Send(b); });
    AfterHandle(d.conn, d.contact.endpoint);
    if (o.once && d.conn.session->synced()) {
      FinishDialer(d, Status::Ok());
      return;
    }
    if (d.conn.session->closed()) {
      Status why = d.conn.session->error();
      EndSession(d.conn, d.contact.endpoint);
      if (o.once) {
        FinishDialer(d, why);
        return;
      }
      // Busy or refused: try again later with a fresh session.
      d.next_hello = SteadyMs() + (why.code() == Code::kUnavailable ? 5000 : 30000);
    }
  }

  // ---- live push
  // Each live session pushes what the log holds past its own position: from where its
  // reconciliation snapshot began, so nothing stored during the sync itself is missed.
  template <typename SendFn>
  void PushTo(Conn& c, SendFn&& send) {
    if (!c.session || c.session->phase() != Session::Phase::kLive) return;
    if (c.log_pushed < c.log_at_start) c.log_pushed = c.log_at_start;
    if (c.log_pushed >= log_seen) return;
    for (;;) {
      uint64_t last = c.log_pushed;
      std::vector<Id32> ids;
      {
        auto r = node.store().BeginRead();
        if (!r.ok()) return;
        auto got = node.replica().LogSince(*r, c.log_pushed, 4096, &last);
        if (!got.ok() || got->empty()) return;
        ids = std::move(*got);
      }
      c.log_pushed = last;
      if (!SendAll(c, c.session->OnStored(ids), send)) return;
    }
  }

  void PushNew() {
    log_seen = LogPosition();
    for (auto& [peer, c] : accepted) {
      PeerId p = peer;
      PushTo(c, [&](const Bytes& b) { return listener->Send(p, b); });
    }
    for (DialerState& d : dialers) {
      // A finished dialer (once) pushes nothing more: its socket is about to close, and what
      // was stored after its sync (the usage report) goes with the next sync.
      if (d.finished) continue;
      PushTo(d.conn, [&](const Bytes& b) { return d.dialer->Send(b); });
    }
  }

  void Timeouts() {
    uint64_t now = SteadyMs();
    uint64_t limit = static_cast<uint64_t>(o.session_timeout.count());
    for (auto it = early.begin(); it != early.end();)
      it = now - it->second.since > limit ? early.erase(it) : std::next(it);
    for (auto it = accepted.begin(); it != accepted.end();) {
      Conn& c = it->second;
      if (c.session && !c.session->synced() && now - c.last_activity > limit) {
        c.session->Abandon("no answer for " + std::to_string(limit / 1000) + " s");
        EndSession(c, "a peer");
        it = accepted.erase(it);
      } else {
        ++it;
      }
    }
    for (DialerState& d : dialers) {
      if (d.finished) continue;
      if (d.conn.session && !d.conn.session->synced() && !d.conn.session->closed() &&
          now - d.conn.last_activity > limit) {
        d.conn.session->Abandon("no answer from " + d.contact.endpoint + " for " +
                                std::to_string(limit / 1000) + " s");
        EndSession(d.conn, d.contact.endpoint);
        if (o.once) FinishDialer(d, d.conn.session->error());
        d.next_hello = now + 1000;
      }
      if (!d.conn.session && o.once && now - d.waiting_since > limit)
        FinishDialer(d, Status::Unavailable("no connection to " + d.contact.endpoint + " within " +
                                            std::to_string(limit / 1000) + " s"));
      if (!o.once && d.connected && (!d.conn.session || d.conn.session->closed()) &&
          now >= d.next_hello)
        StartDialSession(d);
      const uint64_t resync = static_cast<uint64_t>(o.resync_every.count());
      if (!o.once && resync > 0 && d.connected && d.conn.session && d.conn.session->synced() &&
          !d.conn.session->closed() && now - d.conn.started >= resync) {
        // What the live session pushed since its sync goes into the peer record first.
        Remember(d.conn, false);
        StartDialSession(d, /*periodic=*/true);
      }
    }
  }

  Status Loop(const std::atomic<bool>& stop) {
    while (!stop.load()) {
      bool busy = false;
      if (listener) {
        for (int i = 0; i < 64; ++i) {
          auto in = listener->Receive(std::chrono::milliseconds(0));
          if (!in.ok()) return in.status();
          if (!*in) break;
          busy = true;
          if (auto* f = std::get_if<transport::Frame>(&**in)) {
            OnListenerFrame(*f);
          } else {
            auto& ev = std::get<LinkEvent>(**in);
            if (ev.kind == LinkEventKind::kPeerGone) {
              early.erase(ev.peer);
              auto it = accepted.find(ev.peer);
              if (it != accepted.end()) {
                if (it->second.session) it->second.session->Abandon("the peer went away");
                EndSession(it->second, "a peer");
                accepted.erase(it);
              }
            } else if (ev.kind == LinkEventKind::kRefused) {
              Log("refused a connection: " + ev.detail);
            }
          }
        }
      }
      for (DialerState& d : dialers) {
        if (d.finished) continue;
        for (int i = 0; i < 64; ++i) {
          auto in = d.dialer->Receive(std::chrono::milliseconds(0));
          if (!in.ok()) return in.status();
          if (!*in) break;
          busy = true;
          OnDialerIncoming(d, **in);
          if (d.finished) break;
        }
      }
      WatchRevocations();
      PushNew();
      Timeouts();
      if (o.once && !dialers.empty() &&
          std::all_of(dialers.begin(), dialers.end(),
                      [](const DialerState& d) { return d.finished; }))
        break;
      if (!busy) {
        // Idle: wait a little on the listener (or just sleep) rather than spin.
        if (listener) {
          auto in = listener->Receive(std::chrono::milliseconds(2));
          if (!in.ok()) return in.status();
          if (*in) {
            if (auto* f = std::get_if<transport::Frame>(&**in)) OnListenerFrame(*f);
          }
        } else {
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
      }
    }
    // Remember live sessions on the way out.
    for (auto& [peer, c] : accepted) EndSession(c, "a peer");
    for (DialerState& d : dialers) {
      if (!d.finished && d.conn.session) {
        if (o.once)
          FinishDialer(d, d.conn.session->synced() ? Status::Ok() : Status::Aborted("stopped"));
        EndSession(d.conn, d.contact.endpoint);
      }
    }
    reports->clear();
    for (DialerState& d : dialers) reports->push_back(d.report);
    return Status::Ok();
  }
};

Daemon::Daemon(service::Node& node, DaemonOptions options)
    : impl_(std::make_unique<Impl>(node, std::move(options))) {
  impl_->reports = &reports_;
}

Daemon::~Daemon() = default;

Status Daemon::Run(const std::atomic<bool>& stop) {
  RETURN_IF_ERROR(impl_->Start());
  return impl_->Loop(stop);
}

std::string Daemon::endpoint() const { return impl_->listener ? impl_->listener->endpoint() : ""; }

}  // namespace shequ::session
