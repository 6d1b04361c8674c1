// One replication session between two nodes, as a state machine without I/O: messages in,
// messages out (docs/PROTOCOL.md, "Session"). The daemon, `shequ sync` and the deterministic
// simulation all drive the same class; only the way frames travel differs.
//
//   dialer                                   listener
//   Hello(cert, scopes, hlc)         ->
//                                    <-      Accept(cert, intersection, hlc) | Busy | Error
//   Reconcile(community, msg) x N    ->      (one per community in the intersection, pipelined)
//                                    <-      Reconcile(community, reply) ...  until each is done
//   Certificates, ChangeBatch(seq)   ->      the changes the listener lacks, <= 1 MiB a batch
//                                    <-      Ack(seq) each
//   ChangeRequest(ids)               ->      the changes the dialer lacks
//                                    <-      Certificates, ChangeBatch(seq, last) ...
//   Ack(seq) each                    ->
//   SyncDone                         ->
//                                    <-      SyncDone
//   Push(records) <-> Push(records)          new changes, at once, while connected
//
// Every received change is verified (signature, certificate, grants, scope) before it is
// stored; rejected ones are counted and logged and never stop the rest of a batch. Each batch is
// committed before it is acknowledged, so a session cut at any point resumes where it stopped:
// the next session's reconciliation finds only what is still missing.
//
// Thread safety: a session is used by one thread (its node's writer thread).
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "node/service/node.h"
#include "replication/crdt/scope_index.h"
#include "replication/reconcile/reconciler.h"
#include "replication/reconcile/vector_storage.h"
#include "replication/wire/codec.h"

namespace shequ::session {

// The code of the pseudo-community under which certificates are reconciled.
inline constexpr char kTrustSet[] = "000000000000";

struct Config {
  // Reconciliation messages are kept under this size (Negentropy frame size limit).
  uint64_t reconcile_frame_limit = 256 << 10;
  size_t batch_bytes = wire::kMaxBatchBytes;
  bool full_sync = false;
  // Listener: admission of a peer's full sync; returns retry-after milliseconds when busy.
  std::function<std::optional<uint32_t>(const Id16& peer)> busy;
  // Wall clock for certificate validity (tests); null = system clock.
  std::function<uint64_t()> wall_ms;
  // Dialer: the listener's CURVE key. When this node already holds the listener's certificate
  // the reconciliation starts with the hello, saving a round trip.
  Bytes peer_key;
};

struct Stats {
  uint64_t changes_sent = 0, changes_received = 0;
  uint64_t record_bytes_sent = 0, record_bytes_received = 0;  // the changes themselves
  uint64_t applied = 0, duplicates = 0, rejected = 0;
  uint64_t certificates_sent = 0, certificates_received = 0;
  uint64_t revocations_sent = 0, revocations_received = 0;  // new to the receiver
  uint64_t revoked_removed = 0;  // stored changes the received revocations invalidated
  uint64_t batches_sent = 0, batches_acked = 0;
  uint64_t reconcile_rounds = 0;  // the longest chain of reconcile replies (round trips)
  // Round trips the dialer waited for: the hello (unless reconciliation went with it), the
  // reconciliation rounds, and one for the transfer when anything differed.
  uint64_t round_trips = 0;
  uint64_t communities = 0;
  uint64_t have = 0, need = 0;  // differences found by reconciliation (dialer)
  int64_t skew_ms = 0;          // peer's clock minus ours, from its hello
};

class Session {
 public:
  enum class Role { kDialer, kListener };
  enum class Phase { kHello, kReconcile, kTransfer, kLive, kClosed };

  Session(service::Node& node, Role role, const wire::SessionId& id, Config config = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Dialer: the opening Hello.
  Result<std::vector<wire::Message>> Start();
  // A message from the peer, authenticated by the transport with `peer_key` (its CURVE key).
  // A protocol violation or refusal closes the session: the result holds the Error to send and
  // phase() becomes kClosed. Only local failures (the store) are returned as a Status.
  Result<std::vector<wire::Message>> Handle(const wire::Message& message, ByteView peer_key);
  // Changes newly stored on this node (by it or from another peer): pushed at once to the peer
  // when the session is live and the change is in the session's scope.
  Result<std::vector<wire::Message>> OnStored(const std::vector<Id32>& ids);
  // The peer fell silent or the link broke.
  void Abandon(const std::string& why);
  // When the peer has been revoked since the handshake (a revocation that came another way):
  // closes the session and returns the Error{revoked} to send it; else nothing.
  std::vector<wire::Message> CheckRevoked();
  // Every revocation this node holds, for a session past its handshake: a revocation learned
  // while sessions are live (from another session, a bundle, `trust import` or `node revoke`
  // in another process) is passed on at once instead of waiting for the next reconciliation.
  // The receiver ignores the ones it has, so the forwarding stops there.
  std::vector<wire::Message> ShareRevocations();

  Phase phase() const { return phase_; }
  bool synced() const { return synced_; }
  bool closed() const { return phase_ == Phase::kClosed; }
  const Status& error() const { return error_; }
  const Stats& stats() const { return stats_; }
  const wire::SessionId& id() const { return id_; }
  // The peer's certificate once the handshake verified it.
  const trust::Certificate* peer() const { return peer_ ? &*peer_ : nullptr; }
  const std::vector<std::string>& scopes() const { return scopes_; }

 private:
  struct Reconciling {
    std::unique_ptr<crdt::CommunityStorage> storage;
    std::unique_ptr<reconcile::VectorStorage> trust_storage;
    std::optional<reconcile::Reconciler> reconciler;
    Bytes last_reply;  // a duplicated reply is ignored
    uint64_t rounds = 0;
    bool done = false;
  };

  std::vector<wire::Message> Fail(wire::ErrorCode code, const std::string& text);
  std::optional<std::vector<wire::Message>> RefuseIfRevoked();
  std::string RevokedText(const trust::Revoked& r) const;
  wire::Message Out(wire::Body body) const { return wire::Message{id_, std::move(body)}; }
  Status VerifyPeer(const Bytes& cert_bytes, ByteView peer_key);
  bool InScope(std::string_view community) const;
  std::vector<std::string> Communities(const store::Txn& txn) const;
  Status OpenSnapshot();
  Result<std::vector<wire::Message>> BeginReconciliation();
  Result<std::vector<wire::Message>> ReplayEarly(ByteView peer_key);
  void CloseSnapshot();
  Result<Reconciling*> Reconciliation(const std::string& community);
  Result<std::unique_ptr<reconcile::VectorStorage>> TrustItems() const;

  Result<std::vector<wire::Message>> OnHello(const wire::Hello& h, ByteView peer_key);
  Result<std::vector<wire::Message>> OnAccept(const wire::Accept& a, ByteView peer_key);
  Result<std::vector<wire::Message>> OnReconcile(const wire::Reconcile& r);
  Result<std::vector<wire::Message>> OnChangeRequest(const wire::ChangeRequest& r);
  Result<std::vector<wire::Message>> OnChangeBatch(const wire::ChangeBatch& b);
  Result<std::vector<wire::Message>> OnAck(const wire::Ack& a);
  Result<std::vector<wire::Message>> OnCertificates(const wire::Certificates& c);
  Result<std::vector<wire::Message>> OnPush(const wire::Push& p);
  Result<std::vector<wire::Message>> OnSyncDone(const wire::SyncDone& d);

  // Records and the certificates their signers need, cut into batches.
  Status AppendBatches(const std::vector<Id32>& ids, bool push, std::vector<wire::Message>* out);
  Status AppendCertificates(const std::set<Id16>& origins, std::vector<wire::Message>* out);
  // Applies received records in one transaction; records outside the session's scope are
  // rejected without being looked at further.
  Result<wire::Ack> Apply(const std::vector<Bytes>& records, uint64_t seq);
  Result<std::vector<wire::Message>> MaybeFinish();
  Status AppendOutbox(std::vector<wire::Message>* out);
  Status Pump(std::vector<wire::Message>* out);

  service::Node& node_;
  Role role_;
  wire::SessionId id_;
  Config config_;
  Phase phase_ = Phase::kHello;
  Status error_;
  Stats stats_;
  bool synced_ = false;
  std::optional<trust::Certificate> peer_;
  std::vector<std::string> scopes_;  // the intersection of both nodes' scopes

  std::optional<store::ReadTxn> snapshot_;  // what this side reconciles against
  std::map<std::string, Reconciling> reconciling_;
  size_t reconciling_open_ = 0;
  std::vector<Id32> have_, need_;
  size_t have_pos_ = 0, need_pos_ = 0;  // how far the transfer has got through them
  std::vector<Bytes> missing_certs_;    // trust set: the peer lacks these (dialer sends them)
  std::vector<Bytes> missing_revocations_;

  uint64_t next_seq_ = 1;
  std::set<uint64_t> unacked_;           // batches we sent and await acks for
  std::set<uint64_t> received_batches_;  // batch seqs applied (duplicates ignored)
  size_t requests_open_ = 0;             // change requests awaiting their last batch
  std::set<Id16> certs_sent_;
  std::set<Id32> received_;  // changes this peer gave us: not pushed back to it
  bool sent_done_ = false, peer_done_ = false, outbox_sent_ = false;
  bool pipelined_ = false;            // reconciliation went out with the hello
  std::vector<wire::Message> early_;  // arrived before the handshake finished (reordering)
};

std::string_view PhaseName(Session::Phase p);

}  // namespace shequ::session
