#include "replication/transport/admission.h"

#include <mutex>

namespace shequ::transport {

void KeyAdmission::Enrol(const Bytes& curve_key, const Id16& node) {
  std::unique_lock lock(mu_);
  nodes_[curve_key] = node;
}

void KeyAdmission::Revoke(const Id16& node) {
  std::unique_lock lock(mu_);
  revoked_.insert(node);
}

bool KeyAdmission::Find(const Bytes& curve_key, Id16* node) const {
  std::shared_lock lock(mu_);
  auto it = nodes_.find(curve_key);
  if (it == nodes_.end()) return false;
  if (node) *node = it->second;
  return true;
}

AdmitDecision KeyAdmission::Check(const Bytes& curve_key) const {
  if (curve_key.size() != 32) return AdmitDecision::Refuse("malformed key");
  std::shared_lock lock(mu_);
  auto it = nodes_.find(curve_key);
  if (it == nodes_.end()) return AdmitDecision::Refuse("not enrolled");
  if (revoked_.count(it->second)) return AdmitDecision::Refuse("revoked");
  return AdmitDecision::Admit();
}

}  // namespace shequ::transport
