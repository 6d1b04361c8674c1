#include "replication/session/session.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "node/base/text.h"
#include "node/base/time.h"
#include "replication/crdt/hlc.h"
#include "replication/crdt/keys.h"
#include "replication/reconcile/vector_storage.h"

namespace shequ::session {

using wire::ErrorCode;
using wire::Message;
using Msgs = std::vector<Message>;

std::string_view PhaseName(Session::Phase p) {
  switch (p) {
    case Session::Phase::kHello:
      return "hello";
    case Session::Phase::kReconcile:
      return "reconcile";
    case Session::Phase::kTransfer:
      return "transfer";
    case Session::Phase::kLive:
      return "live";
    case Session::Phase::kClosed:
      return "closed";
  }
  return "?";
}

namespace {

// The intersection of two sets of division-code prefixes: the longer of each pair where one
// contains the other.
std::vector<std::string> Intersect(const std::vector<std::string>& a,
                                   const std::vector<std::string>& b) {
  std::set<std::string> out;
  for (const std::string& x : a)
    for (const std::string& y : b) {
      if (StartsWith(y, x))
        out.insert(y);
      else if (StartsWith(x, y))
        out.insert(x);
    }
  // Drop prefixes covered by a shorter one in the result.
  std::vector<std::string> result;
  for (const std::string& s : out) {
    bool covered = false;
    for (const std::string& t : out) covered |= t != s && StartsWith(s, t);
    if (!covered) result.push_back(s);
  }
  return result;
}

}  // namespace

Session::Session(service::Node& node, Role role, const wire::SessionId& id, Config config)
    : node_(node), role_(role), id_(id), config_(std::move(config)) {}

Session::~Session() { CloseSnapshot(); }

Msgs Session::Fail(ErrorCode code, const std::string& text) {
  std::string t = Utf8Prefix(text, 300);
  error_ = wire::StatusOf(wire::Error{code, t});
  phase_ = Phase::kClosed;
  CloseSnapshot();
  return {Out(wire::Error{code, t})};
}

void Session::Abandon(const std::string& why) {
  if (phase_ == Phase::kClosed) return;
  error_ = Status::Unavailable(why);
  phase_ = Phase::kClosed;
  CloseSnapshot();
}

bool Session::InScope(std::string_view community) const {
  for (const std::string& s : scopes_)
    if (StartsWith(community, s)) return true;
  return false;
}

Status Session::VerifyPeer(const Bytes& cert_bytes, ByteView peer_key) {
  auto cert = trust::DecodeCertificate(cert_bytes);
  if (!cert.ok()) return cert.status();
  if (!std::equal(cert->curve_key.begin(), cert->curve_key.end(), peer_key.begin(), peer_key.end()))
    return Status::Denied(
        "the certificate in the hello is not the one this connection authenticated with");
  if (cert->node_id == node_.cert().node_id)
    return Status::Denied("the peer presents this node's own certificate");
  const trust::Signer* signer = nullptr;
  Status st = node_.store().Write([&](store::Txn& txn) -> Status {
    auto added = node_.trust().Add(txn, node_.store().dbi(store::Db::kTrust), cert_bytes);
    if (!added.ok()) return added.status();
    signer = *added;
    return Status::Ok();
  });
  if (!st.ok()) return st;
  uint64_t now = config_.wall_ms ? config_.wall_ms() : NowMillis();
  if (!signer->cert.ValidAt(now))
    return Status(Code::kPermissionDenied, "the certificate of " + signer->cert.name +
                                               " is not valid now (" +
                                               FormatMillis(signer->cert.not_before) + " .. " +
                                               FormatMillis(signer->cert.not_after) + ")");
  peer_ = signer->cert;
  return Status::Ok();
}

std::vector<std::string> Session::Communities(const store::Txn& txn) const {
  std::set<std::string> out;
  for (const model::Division* d : node_.ref().divisions().ResidentUnits())
    if (InScope(d->code)) out.insert(d->code);
  auto held = node_.replica().Communities(txn);
  if (held.ok())
    for (const std::string& c : *held)
      if (InScope(c)) out.insert(c);
  return std::vector<std::string>(out.begin(), out.end());
}

Status Session::OpenSnapshot() {
  if (snapshot_) return Status::Ok();
  ASSIGN_OR_RETURN(store::ReadTxn r, node_.store().BeginRead());
  snapshot_.emplace(std::move(r));
  return Status::Ok();
}

void Session::CloseSnapshot() {
  reconciling_.clear();
  snapshot_.reset();
}

Result<std::unique_ptr<reconcile::VectorStorage>> Session::TrustItems() const {
  auto v = std::make_unique<reconcile::VectorStorage>();
  for (const trust::Signer* s : node_.trust().All())
    RETURN_IF_ERROR(v->Insert(s->cert.not_before, s->digest));
  // Revocations are items of the trust set too, stamped with the time they take effect.
  for (const trust::Revoked* r : node_.trust().Revocations())
    RETURN_IF_ERROR(v->Insert(crdt::HlcMillis(r->revocation.at), r->digest));
  RETURN_IF_ERROR(v->Seal());
  return v;
}

Result<Session::Reconciling*> Session::Reconciliation(const std::string& community) {
  auto it = reconciling_.find(community);
  if (it != reconciling_.end()) return &it->second;
  RETURN_IF_ERROR(OpenSnapshot());
  Reconciling r;
  reconcile::Storage* storage = nullptr;
  if (community == kTrustSet) {
    ASSIGN_OR_RETURN(r.trust_storage, TrustItems());
    storage = r.trust_storage.get();
  } else {
    ASSIGN_OR_RETURN(r.storage, crdt::CommunityStorage::Open(node_.store(), *snapshot_, community));
    storage = r.storage.get();
  }
  ASSIGN_OR_RETURN(reconcile::Reconciler rec,
                   reconcile::Reconciler::Create(*storage, config_.reconcile_frame_limit));
  r.reconciler.emplace(std::move(rec));
  return &reconciling_.emplace(community, std::move(r)).first->second;
}

// ---------------------------------------------------------------- entry points

Result<Msgs> Session::Start() {
  if (role_ != Role::kDialer || phase_ != Phase::kHello)
    return Status::Internal("Start() is for a new dialer session");
  wire::Hello h;
  ASSIGN_OR_RETURN(h.certificate, node_.cert().Encode());
  h.scopes = node_.cert().scopes;
  h.hlc = node_.clock().Now();
  h.full_sync = config_.full_sync;
  Msgs out{Out(std::move(h))};
  // Knowing the listener's certificate already, both sides compute the same intersection: the
  // first reconciliation messages can travel with the hello.
  if (const trust::Signer* s =
          config_.peer_key.empty() ? nullptr : node_.trust().FindByCurveKey(config_.peer_key)) {
    scopes_ = Intersect(node_.cert().scopes, s->cert.scopes);
    if (!scopes_.empty()) {
      ASSIGN_OR_RETURN(Msgs first, BeginReconciliation());
      out.insert(out.end(), first.begin(), first.end());
      pipelined_ = true;
    }
  }
  return out;
}

Result<Msgs> Session::BeginReconciliation() {
  RETURN_IF_ERROR(OpenSnapshot());
  Msgs out;
  std::vector<std::string> communities = Communities(*snapshot_);
  communities.insert(communities.begin(), kTrustSet);
  for (const std::string& c : communities) {
    ASSIGN_OR_RETURN(Reconciling * r, Reconciliation(c));
    ASSIGN_OR_RETURN(Bytes first, r->reconciler->Initiate());
    out.push_back(Out(wire::Reconcile{c, std::move(first)}));
    ++reconciling_open_;
  }
  stats_.communities = communities.size() - 1;
  stats_.reconcile_rounds = 1;
  return out;
}

Result<Msgs> Session::ReplayEarly(ByteView peer_key) {
  Msgs out;
  std::vector<Message> early = std::move(early_);
  early_.clear();
  for (const Message& m : early) {
    ASSIGN_OR_RETURN(Msgs more, Handle(m, peer_key));
    out.insert(out.end(), more.begin(), more.end());
  }
  return out;
}

std::string Session::RevokedText(const trust::Revoked& r) const {
  return "node " + (peer_ ? peer_->name + " (" + peer_->id_hex() + ")" : r.revocation.node_hex()) +
         " is revoked (its changes from " + FormatMillis(crdt::HlcMillis(r.revocation.at)) +
         " are refused): " + r.revocation.reason;
}

std::optional<Msgs> Session::RefuseIfRevoked() {
  if (!peer_ || phase_ == Phase::kClosed) return std::nullopt;
  const trust::Revoked* r = node_.trust().RevocationOf(peer_->node_id);
  if (!r) return std::nullopt;
  return Fail(ErrorCode::kRevoked, RevokedText(*r));
}

Msgs Session::CheckRevoked() {
  auto refused = RefuseIfRevoked();
  return refused ? std::move(*refused) : Msgs{};
}

Msgs Session::ShareRevocations() {
  if (phase_ == Phase::kHello || phase_ == Phase::kClosed || !peer_) return Msgs{};
  Msgs out;
  wire::Certificates c;
  for (const trust::Revoked* r : node_.trust().Revocations()) {
    c.revocations.push_back(r->encoded);
    if (c.revocations.size() == wire::kMaxRevocations) {
      out.push_back(Out(std::move(c)));
      c = wire::Certificates{};
    }
  }
  if (!c.revocations.empty()) out.push_back(Out(std::move(c)));
  return out;
}

Result<Msgs> Session::Handle(const Message& m, ByteView peer_key) {
  if (phase_ == Phase::kClosed) return Msgs{};
  if (m.session != id_) return Msgs{};  // a stale message of an earlier session
  // A peer revoked while connected (the revocation came through another session, a bundle or
  // `shequ trust import`) is answered no more.
  if (auto refused = RefuseIfRevoked()) return std::move(*refused);
  // Until the handshake is done only the handshake messages are welcome.
  bool handshake =
      std::holds_alternative<wire::Hello>(m.body) || std::holds_alternative<wire::Accept>(m.body) ||
      std::holds_alternative<wire::Busy>(m.body) || std::holds_alternative<wire::Error>(m.body);
  if (!peer_ && !handshake) {
    // The network may deliver a session's later frames before its handshake: keep them.
    if (early_.size() >= 4096) return Fail(ErrorCode::kBadMessage, "hello first");
    early_.push_back(m);
    return Msgs{};
  }
  return std::visit(
      [&](const auto& body) -> Result<Msgs> {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, wire::Hello>) {
          return OnHello(body, peer_key);
        } else if constexpr (std::is_same_v<T, wire::Accept>) {
          return OnAccept(body, peer_key);
        } else if constexpr (std::is_same_v<T, wire::Busy>) {
          error_ = Status::Unavailable("the peer is busy; retry in " +
                                       std::to_string(body.retry_after_ms) + " ms");
          phase_ = Phase::kClosed;
          return Msgs{};
        } else if constexpr (std::is_same_v<T, wire::Error>) {
          error_ = wire::StatusOf(body).With("the peer refused");
          phase_ = Phase::kClosed;
          CloseSnapshot();
          return Msgs{};
        } else if constexpr (std::is_same_v<T, wire::Reconcile>) {
          return OnReconcile(body);
        } else if constexpr (std::is_same_v<T, wire::ChangeRequest>) {
          return OnChangeRequest(body);
        } else if constexpr (std::is_same_v<T, wire::ChangeBatch>) {
          return OnChangeBatch(body);
        } else if constexpr (std::is_same_v<T, wire::Ack>) {
          return OnAck(body);
        } else if constexpr (std::is_same_v<T, wire::Certificates>) {
          return OnCertificates(body);
        } else if constexpr (std::is_same_v<T, wire::Push>) {
          return OnPush(body);
        } else if constexpr (std::is_same_v<T, wire::SyncDone>) {
          return OnSyncDone(body);
        } else if constexpr (std::is_same_v<T, wire::Ping>) {
          return Msgs{Out(wire::Pong{body.token})};
        } else {
          return Msgs{};  // Pong
        }
      },
      m.body);
}

// ---------------------------------------------------------------- handshake

Result<Msgs> Session::OnHello(const wire::Hello& h, ByteView peer_key) {
  if (role_ != Role::kListener || phase_ != Phase::kHello)
    return Fail(ErrorCode::kBadMessage, "unexpected hello");
  if (h.version != wire::kVersion)
    return Fail(ErrorCode::kProtocolVersion,
                "this node speaks protocol version " + std::to_string(wire::kVersion));
  if (Status st = VerifyPeer(h.certificate, peer_key); !st.ok()) {
    if (st.code() != Code::kPermissionDenied && st.code() != Code::kCorruption &&
        st.code() != Code::kInvalidArgument)
      return st;
    bool expired = st.message().find("not valid now") != std::string::npos;
    return Fail(expired ? ErrorCode::kExpired : ErrorCode::kNotEnrolled, st.message());
  }
  if (auto refused = RefuseIfRevoked()) return std::move(*refused);
  stats_.skew_ms = node_.clock().Observe(h.hlc).skew_ms;
  scopes_ = Intersect(node_.cert().scopes, peer_->scopes);
  // The peer asks for what its certificate covers; never more.
  std::vector<std::string> asked = Intersect(scopes_, h.scopes);
  scopes_ = asked;
  if (scopes_.empty())
    return Fail(ErrorCode::kOutOfScope, "no division code is in both " + node_.cert().name +
                                            "'s and " + peer_->name + "'s scope");
  if (config_.busy) {
    if (auto retry = config_.busy(peer_->node_id)) {
      phase_ = Phase::kClosed;
      error_ = Status::Unavailable("refused a full sync: at the limit of simultaneous syncs");
      return Msgs{Out(wire::Busy{*retry})};
    }
  }
  wire::Accept a;
  ASSIGN_OR_RETURN(a.certificate, node_.cert().Encode());
  a.scopes = scopes_;
  a.hlc = node_.clock().Now();
  a.full_sync = h.full_sync;
  phase_ = Phase::kReconcile;
  Msgs out{Out(std::move(a))};
  ASSIGN_OR_RETURN(Msgs early, ReplayEarly(peer_key));
  out.insert(out.end(), early.begin(), early.end());
  return out;
}

Result<Msgs> Session::OnAccept(const wire::Accept& a, ByteView peer_key) {
  if (role_ != Role::kDialer || phase_ != Phase::kHello)
    return Fail(ErrorCode::kBadMessage, "unexpected accept");
  if (a.version != wire::kVersion)
    return Fail(ErrorCode::kProtocolVersion,
                "this node speaks protocol version " + std::to_string(wire::kVersion));
  if (Status st = VerifyPeer(a.certificate, peer_key); !st.ok()) {
    if (st.code() != Code::kPermissionDenied && st.code() != Code::kCorruption &&
        st.code() != Code::kInvalidArgument)
      return st;
    return Fail(ErrorCode::kNotEnrolled, st.message());
  }
  if (auto refused = RefuseIfRevoked()) return std::move(*refused);
  stats_.skew_ms = node_.clock().Observe(a.hlc).skew_ms;
  // The listener's intersection, checked against ours.
  std::vector<std::string> ours = Intersect(node_.cert().scopes, peer_->scopes);
  std::vector<std::string> accepted = Intersect(ours, a.scopes);
  if (accepted.empty()) return Fail(ErrorCode::kOutOfScope, "no scope in common");
  if (pipelined_ && accepted != scopes_)
    return Fail(ErrorCode::kOutOfScope,
                "the listener accepted other scopes than its certificate has");
  Msgs out;
  if (!pipelined_) {
    scopes_ = accepted;
    ASSIGN_OR_RETURN(out, BeginReconciliation());
  }
  phase_ = Phase::kReconcile;
  ASSIGN_OR_RETURN(Msgs early, ReplayEarly(peer_key));
  out.insert(out.end(), early.begin(), early.end());
  return out;
}

// ---------------------------------------------------------------- reconciliation

Result<Msgs> Session::OnReconcile(const wire::Reconcile& rm) {
  if (phase_ != Phase::kReconcile && phase_ != Phase::kTransfer)
    return Fail(ErrorCode::kBadMessage, "reconcile outside the reconciliation phase");
  if (rm.community != kTrustSet && !InScope(rm.community))
    return Fail(ErrorCode::kOutOfScope,
                "community " + rm.community + " is not in this session's scope");
  if (role_ == Role::kListener) {
    auto r = Reconciliation(rm.community);
    if (!r.ok()) return r.status();
    auto reply = (*r)->reconciler->Reconcile(rm.message);
    if (!reply.ok())
      return Fail(ErrorCode::kBadMessage,
                  "reconcile " + rm.community + ": " + reply.status().message());
    return Msgs{Out(wire::Reconcile{rm.community, std::move(*reply)})};
  }
  auto it = reconciling_.find(rm.community);
  if (it == reconciling_.end() || it->second.done) return Msgs{};  // late duplicate
  Reconciling& r = it->second;
  if (rm.message == r.last_reply) return Msgs{};  // duplicated by the network
  r.last_reply = rm.message;
  std::vector<Id32> have, need;
  auto next = r.reconciler->Reconcile(rm.message, &have, &need);
  if (!next.ok())
    return Fail(ErrorCode::kBadMessage,
                "reconcile " + rm.community + ": " + next.status().message());
  ++r.rounds;
  stats_.reconcile_rounds = std::max(stats_.reconcile_rounds, r.rounds + 1);
  if (rm.community == kTrustSet) {
    for (const Id32& d : have) {
      if (const trust::Signer* s = node_.trust().FindByDigest(d))
        missing_certs_.push_back(s->encoded);
      else if (const trust::Revoked* rev = node_.trust().FindRevocationByDigest(d))
        missing_revocations_.push_back(rev->encoded);
    }
    // Certificates we lack are requested like changes; the listener answers with Certificates.
    need_.insert(need_.end(), need.begin(), need.end());
  } else {
    have_.insert(have_.end(), have.begin(), have.end());
    need_.insert(need_.end(), need.begin(), need.end());
  }
  if (*next) return Msgs{Out(wire::Reconcile{rm.community, std::move(**next)})};
  r.done = true;
  if (--reconciling_open_ > 0) return Msgs{};
  // Every community reconciled: move what differs.
  CloseSnapshot();
  std::sort(have_.begin(), have_.end());
  have_.erase(std::unique(have_.begin(), have_.end()), have_.end());
  std::sort(need_.begin(), need_.end());
  need_.erase(std::unique(need_.begin(), need_.end()), need_.end());
  stats_.have = have_.size();
  stats_.need = need_.size();
  phase_ = Phase::kTransfer;
  Msgs out;
  // The trust set first (certificates and revocations the peer lacks), so that the changes
  // after it are judged by the same certificates and revocations on both sides.
  for (size_t i = 0; i < std::max(missing_certs_.size(), missing_revocations_.size());
       i += wire::kMaxCertificates) {
    static_assert(wire::kMaxCertificates == wire::kMaxRevocations);
    wire::Certificates c;
    for (size_t k = i; k < std::min(missing_certs_.size(), i + wire::kMaxCertificates); ++k)
      c.certificates.push_back(missing_certs_[k]);
    for (size_t k = i; k < std::min(missing_revocations_.size(), i + wire::kMaxRevocations); ++k)
      c.revocations.push_back(missing_revocations_[k]);
    stats_.certificates_sent += c.certificates.size();
    stats_.revocations_sent += c.revocations.size();
    out.push_back(Out(std::move(c)));
  }
  RETURN_IF_ERROR(Pump(&out));
  ASSIGN_OR_RETURN(Msgs done, MaybeFinish());
  out.insert(out.end(), done.begin(), done.end());
  return out;
}

// ---------------------------------------------------------------- transfer

Status Session::AppendCertificates(const std::set<Id16>& origins, Msgs* out) {
  wire::Certificates c;
  for (const Id16& o : origins) {
    if (certs_sent_.count(o)) continue;
    const trust::Signer* s = node_.trust().Find(o);
    if (!s) continue;
    certs_sent_.insert(o);
    c.certificates.push_back(s->encoded);
    if (c.certificates.size() == wire::kMaxCertificates) {
      stats_.certificates_sent += c.certificates.size();
      out->push_back(Out(std::move(c)));
      c = wire::Certificates{};
    }
  }
  if (!c.certificates.empty()) {
    stats_.certificates_sent += c.certificates.size();
    out->push_back(Out(std::move(c)));
  }
  return Status::Ok();
}

Status Session::AppendBatches(const std::vector<Id32>& ids, bool push, Msgs* out) {
  ASSIGN_OR_RETURN(store::ReadTxn r, node_.store().BeginRead());
  std::vector<Bytes> records;
  std::set<Id16> origins;
  size_t bytes = 0;
  auto flush = [&](bool last) -> Status {
    if (records.empty() && !last) return Status::Ok();
    RETURN_IF_ERROR(AppendCertificates(origins, out));
    origins.clear();
    stats_.changes_sent += records.size();
    if (push) {
      out->push_back(Out(wire::Push{std::move(records)}));
    } else {
      uint64_t seq = next_seq_++;
      unacked_.insert(seq);
      ++stats_.batches_sent;
      out->push_back(Out(wire::ChangeBatch{seq, std::move(records), last}));
    }
    records.clear();
    bytes = 0;
    return Status::Ok();
  };
  for (const Id32& id : ids) {
    ASSIGN_OR_RETURN(auto rec, r.txn().Get(node_.store().dbi(store::Db::kChanges), id));
    if (!rec) continue;  // not a change of ours (a certificate digest, or unknown)
    auto change = crdt::PeekRecord(*rec);
    if (!change.ok()) return change.status().With("a stored change");
    // Outside the session's communities only a move-out travels, to a peer that holds its
    // destination (crdt::IsMoveOut).
    bool move_out = push && change->kind == model::EntityKind::kTransfer && peer_ &&
                    peer_->InScope(change->community);
    if (!InScope(change->community) && !move_out) continue;
    if (bytes + rec->size() > config_.batch_bytes || records.size() == wire::kMaxBatchRecords)
      RETURN_IF_ERROR(flush(false));
    origins.insert(change->origin);
    stats_.record_bytes_sent += rec->size();
    records.emplace_back(rec->begin(), rec->end());
    bytes += rec->size();
  }
  if (!push || !records.empty()) RETURN_IF_ERROR(flush(!push));
  return Status::Ok();
}

Result<Msgs> Session::OnChangeRequest(const wire::ChangeRequest& req) {
  if (phase_ != Phase::kReconcile && phase_ != Phase::kTransfer && phase_ != Phase::kLive)
    return Fail(ErrorCode::kBadMessage, "change request before the handshake");
  Msgs out;
  // Certificates asked for by digest (the trust set), then changes.
  wire::Certificates certs;
  std::vector<Id32> changes;
  auto flush_certs = [&] {
    stats_.certificates_sent += certs.certificates.size();
    stats_.revocations_sent += certs.revocations.size();
    out.push_back(Out(std::move(certs)));
    certs = wire::Certificates{};
  };
  for (const Id32& id : req.ids) {
    if (const trust::Signer* s = node_.trust().FindByDigest(id)) {
      certs.certificates.push_back(s->encoded);
      certs_sent_.insert(s->cert.node_id);
      if (certs.certificates.size() == wire::kMaxCertificates) flush_certs();
    } else if (const trust::Revoked* r = node_.trust().FindRevocationByDigest(id)) {
      certs.revocations.push_back(r->encoded);
      if (certs.revocations.size() == wire::kMaxRevocations) flush_certs();
    } else {
      changes.push_back(id);
    }
  }
  if (!certs.certificates.empty() || !certs.revocations.empty()) flush_certs();
  RETURN_IF_ERROR(AppendBatches(changes, /*push=*/false, &out));
  if (phase_ == Phase::kReconcile) phase_ = Phase::kTransfer;
  return out;
}

Result<wire::Ack> Session::Apply(const std::vector<Bytes>& records, uint64_t seq) {
  wire::Ack ack;
  ack.seq = seq;
  // Decode, then check the signatures on every core (the costly part of receiving), then fold
  // in one transaction on this thread.
  // Decoding (unpacking, canonical checks, the digest) happens in the workers too.
  std::vector<Result<crdt::Change>> changes(records.size(), Status::Aborted("not decoded"));
  // Signatures are checked by helper threads while this thread folds the changes already
  // checked, and helps checking when it catches up: verification and folding overlap.
  const size_t n = records.size();
  std::unique_ptr<std::atomic<uint8_t>[]> verified(new std::atomic<uint8_t>[n]);
  for (size_t k = 0; k < n; ++k)
    verified[k].store(0, std::memory_order_relaxed);  // 0 pending, 1 good, 2 bad
  std::atomic<size_t> next{0};
  auto verify_one = [&]() -> bool {
    size_t k = next.fetch_add(1);
    if (k >= n) return false;
    changes[k] = crdt::DecodeRecord(records[k], node_.trust().city().suite);
    bool good = changes[k].ok() && node_.replica().VerifySignature(*changes[k]);
    verified[k].store(good ? 1 : 2, std::memory_order_release);
    return true;
  };
  size_t helpers =
      n < 64 ? 0 : std::min<size_t>(3, std::max(1u, std::thread::hardware_concurrency()) - 1);
  std::vector<std::thread> pool;
  struct Joiner {
    std::vector<std::thread>& threads;
    ~Joiner() {
      for (auto& t : threads)
        if (t.joinable()) t.join();
    }
  } joiner{pool};
  for (size_t t = 0; t < helpers; ++t)
    pool.emplace_back([&] {
      while (verify_one()) {
      }
    });
  auto wait_verified = [&](size_t k) -> bool {
    while (verified[k].load(std::memory_order_acquire) == 0)
      if (!verify_one()) std::this_thread::yield();
    return verified[k].load(std::memory_order_acquire) == 1;
  };
  Status st = node_.store().Write([&](store::Txn& txn) -> Status {
    ack.applied = ack.duplicate = ack.rejected = 0;
    for (size_t i = 0; i < records.size(); ++i) {
      const Bytes& rec = records[i];
      const bool good = wait_verified(i);  // decoded and signature checked (by whichever thread)
      const auto& change = changes[i];
      // A move-out travels to the destination through nodes whose scope holds it, outside the
      // community intersection of the session that carries it.
      bool move_out = change.ok() && change->body.kind == model::EntityKind::kTransfer &&
                      node_.cert().InScope(change->body.community);
      if (change.ok() && !InScope(change->body.community) && !move_out) {
        crdt::Rejection why{
            change->id, change->body.origin, "out_of_session_scope",
            "community " + change->body.community + " is outside this session's scope"};
        RETURN_IF_ERROR(node_.replica().LogRejection(txn, why, rec));
        ++ack.rejected;
        continue;
      }
      if (change.ok() && received_.size() < 200000) received_.insert(change->id);
      crdt::Rejection why;
      crdt::Outcome o;
      if (change.ok()) {
        // A bad signature is checked again inside, and rejected with its reason.
        ASSIGN_OR_RETURN(o, node_.replica().ReceiveDecoded(txn, *change, rec, good, &why));
      } else {
        ASSIGN_OR_RETURN(o, node_.replica().Receive(txn, rec, &why));
      }
      if (o == crdt::Outcome::kApplied)
        ++ack.applied;
      else if (o == crdt::Outcome::kDuplicate)
        ++ack.duplicate;
      else
        ++ack.rejected;
    }
    return node_.SaveClock(txn);
  });
  if (!st.ok()) return st;
  stats_.changes_received += records.size();
  for (const Bytes& rec : records) stats_.record_bytes_received += rec.size();
  stats_.applied += ack.applied;
  stats_.duplicates += ack.duplicate;
  stats_.rejected += ack.rejected;
  return ack;
}

Result<Msgs> Session::OnChangeBatch(const wire::ChangeBatch& b) {
  if (phase_ != Phase::kReconcile && phase_ != Phase::kTransfer && phase_ != Phase::kLive)
    return Fail(ErrorCode::kBadMessage, "change batch before the handshake");
  if (phase_ == Phase::kReconcile && role_ == Role::kListener) phase_ = Phase::kTransfer;
  Msgs out;
  if (!received_batches_.insert(b.seq).second) {
    // Applied already (the network duplicated it): acknowledge again, apply nothing.
    out.push_back(Out(wire::Ack{b.seq, 0, static_cast<uint32_t>(b.records.size()), 0}));
  } else {
    ASSIGN_OR_RETURN(wire::Ack ack, Apply(b.records, b.seq));
    out.push_back(Out(ack));
    if (b.last && role_ == Role::kDialer && requests_open_ > 0) {
      --requests_open_;
      if (phase_ == Phase::kTransfer) RETURN_IF_ERROR(Pump(&out));
    }
  }
  ASSIGN_OR_RETURN(Msgs done, MaybeFinish());
  out.insert(out.end(), done.begin(), done.end());
  return out;
}

// Flow control of the transfer: at most kWindowBatches of our batches unacknowledged and
// kWindowRequests requests unanswered, so neither side queues more than a few MiB however much
// differs; each Ack and each last batch of a request lets the next go.
Status Session::Pump(Msgs* out) {
  constexpr size_t kWindowBatches = 4, kWindowRequests = 2, kRequestIds = 2048, kBatchIds = 1024;
  while (unacked_.size() < kWindowBatches && have_pos_ < have_.size()) {
    size_t end = std::min(have_.size(), have_pos_ + kBatchIds);
    std::vector<Id32> chunk(have_.begin() + static_cast<long>(have_pos_),
                            have_.begin() + static_cast<long>(end));
    have_pos_ = end;
    RETURN_IF_ERROR(AppendBatches(chunk, /*push=*/false, out));
  }
  while (requests_open_ < kWindowRequests && need_pos_ < need_.size()) {
    size_t end = std::min(need_.size(), need_pos_ + kRequestIds);
    wire::ChangeRequest req;
    req.ids.assign(need_.begin() + static_cast<long>(need_pos_),
                   need_.begin() + static_cast<long>(end));
    need_pos_ = end;
    out->push_back(Out(std::move(req)));
    ++requests_open_;
  }
  return Status::Ok();
}

Result<Msgs> Session::OnAck(const wire::Ack& a) {
  if (unacked_.erase(a.seq)) ++stats_.batches_acked;
  Msgs out;
  if (role_ == Role::kDialer && phase_ == Phase::kTransfer) RETURN_IF_ERROR(Pump(&out));
  ASSIGN_OR_RETURN(Msgs done, MaybeFinish());
  out.insert(out.end(), done.begin(), done.end());
  return out;
}

Result<Msgs> Session::OnCertificates(const wire::Certificates& c) {
  uint64_t certificates = 0, revocations = 0, removed = 0;
  Status st = node_.store().Write([&](store::Txn& txn) -> Status {
    certificates = revocations = removed = 0;
    for (const Bytes& cert : c.certificates) {
      auto added = node_.trust().Add(txn, node_.store().dbi(store::Db::kTrust), cert);
      if (added.ok()) ++certificates;
      // A refused certificate is not fatal: the changes it signs will be rejected and logged.
    }
    for (const Bytes& rev : c.revocations) {
      auto added = node_.replica().AddRevocation(txn, rev);
      if (!added.ok()) {
        // A revocation the root did not sign (or a damaged one) changes nothing but the
        // security log.
        if (added.status().code() != Code::kPermissionDenied &&
            added.status().code() != Code::kCorruption)
          return added.status();
        crdt::Rejection why{crypto::Sha256(rev), peer_ ? peer_->node_id : Id16{}, "bad_revocation",
                            added.status().message()};
        RETURN_IF_ERROR(node_.replica().LogRejection(txn, why, rev));
        continue;
      }
      if (added->fresh) ++revocations;
      removed += added->removed;
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  stats_.certificates_received += certificates;
  stats_.revocations_received += revocations;
  stats_.revoked_removed += removed;
  // The peer itself may be what was just revoked.
  if (auto refused = RefuseIfRevoked()) return std::move(*refused);
  return Msgs{};
}

Result<Msgs> Session::OnPush(const wire::Push& p) {
  if (phase_ == Phase::kHello || phase_ == Phase::kClosed) return Msgs{};
  ASSIGN_OR_RETURN(wire::Ack ack, Apply(p.records, 0));
  (void)ack;
  return Msgs{};
}

Result<Msgs> Session::OnSyncDone(const wire::SyncDone&) {
  peer_done_ = true;
  if (role_ != Role::kListener || synced_) return Msgs{};
  // The dialer has all it asked for and we have all it sent: the reconciliation snapshot goes,
  // and from now on new changes are pushed.
  Msgs out;
  RETURN_IF_ERROR(AppendOutbox(&out));
  CloseSnapshot();
  phase_ = Phase::kLive;
  synced_ = true;
  return out;
}

Status Session::AppendOutbox(Msgs* out) {
  // Move-outs this node wrote into communities outside its own scope (see crdt::IsMoveOut):
  // no reconciliation carries them, so each session offers them to a peer that holds them.
  if (!peer_ || outbox_sent_) return Status::Ok();
  outbox_sent_ = true;
  ASSIGN_OR_RETURN(store::ReadTxn r, node_.store().BeginRead());
  ASSIGN_OR_RETURN(std::vector<std::string> communities, node_.replica().Communities(r));
  std::vector<Bytes> records;
  for (const std::string& c : communities) {
    if (node_.cert().InScope(c) || !peer_->InScope(c)) continue;
    ASSIGN_OR_RETURN(store::Cursor cur,
                     store::Cursor::Open(r, node_.store().dbi(store::Db::kByScope)));
    Bytes prefix = ToBytes(c);
    for (bool ok = cur.Seek(prefix); ok && cur.key().size() == 52 &&
                                     std::equal(prefix.begin(), prefix.end(), cur.key().begin());
         ok = cur.Next()) {
      ASSIGN_OR_RETURN(auto rec,
                       r.txn().Get(node_.store().dbi(store::Db::kChanges), cur.key().subspan(20)));
      if (!rec) continue;
      auto change = crdt::PeekRecord(*rec);
      if (!change.ok() || change->origin != node_.cert().node_id ||
          change->kind != model::EntityKind::kTransfer)
        continue;
      records.emplace_back(rec->begin(), rec->end());
    }
    RETURN_IF_ERROR(cur.status());
  }
  if (records.empty()) return Status::Ok();
  stats_.changes_sent += records.size();
  out->push_back(Out(wire::Push{std::move(records)}));
  return Status::Ok();
}

Result<Msgs> Session::MaybeFinish() {
  // The dialer is done when every batch it sent is acknowledged and every change it asked for
  // has arrived: it tells the listener and goes live without waiting for an answer.
  if (role_ != Role::kDialer || phase_ != Phase::kTransfer) return Msgs{};
  if (!unacked_.empty() || requests_open_ > 0) return Msgs{};
  if (have_pos_ < have_.size() || need_pos_ < need_.size()) return Msgs{};
  Msgs out;
  RETURN_IF_ERROR(AppendOutbox(&out));
  if (!sent_done_) {
    sent_done_ = true;
    out.push_back(Out(wire::SyncDone{stats_.changes_sent, stats_.changes_received}));
  }
  stats_.round_trips =
      stats_.reconcile_rounds + (pipelined_ ? 0 : 1) + (stats_.have || stats_.need ? 1 : 0);
  phase_ = Phase::kLive;
  synced_ = true;
  return out;
}

Result<Msgs> Session::OnStored(const std::vector<Id32>& ids) {
  if (phase_ != Phase::kLive) return Msgs{};
  Msgs out;
  std::vector<Id32> fresh;
  for (const Id32& id : ids)
    if (!received_.count(id)) fresh.push_back(id);
  RETURN_IF_ERROR(AppendBatches(fresh, /*push=*/true, &out));
  return out;
}

}  // namespace shequ::session
