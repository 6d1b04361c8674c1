// Who may connect: the ZAP handler asks an AdmitFn about every client CURVE key that completes a
// CURVE handshake with one of our listeners. The production lookup is backed by the trust store
// (an enrolled certificate with this CURVE key, not revoked); KeyAdmission is a small in-memory
// table with the same rules, for tests and for nodes that build their table from certificates.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <shared_mutex>
#include <string>

#include "node/base/bytes.h"

namespace shequ::transport {

struct AdmitDecision {
  bool admitted = false;
  std::string reason;  // why not (sent as the ZAP status text; logged by the caller)

  static AdmitDecision Admit() { return {true, ""}; }
  static AdmitDecision Refuse(std::string why) { return {false, std::move(why)}; }
};

// Called on the network's ZAP thread with a 32-byte client CURVE public key: must be thread-safe
// and quick (it holds up that client's handshake, and the others queue behind it).
using AdmitFn = std::function<AdmitDecision(const Bytes& client_curve_key)>;

// CURVE keys of enrolled nodes and the nodes revoked since.
//
// Thread safety: all methods may be called from any thread.
class KeyAdmission {
 public:
  void Enrol(const Bytes& curve_key, const Id16& node);
  void Revoke(const Id16& node);
  AdmitDecision Check(const Bytes& curve_key) const;
  // The node enrolled with this key, if any.
  bool Find(const Bytes& curve_key, Id16* node) const;
  // An AdmitFn that consults this table. REQUIRES: *this outlives every Network using it.
  AdmitFn AsAdmitFn() const {
    return [this](const Bytes& key) { return Check(key); };
  }

 private:
  mutable std::shared_mutex mu_;
  std::map<Bytes, Id16> nodes_;
  std::set<Id16> revoked_;
};

}  // namespace shequ::transport
