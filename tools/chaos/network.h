// The network the chaos city runs on, and the partitions the harness makes in it.
//
// NetnsNetwork: each node in its own network namespace (`<prefix>-<node name>`), joined by a veth
// pair to a bridge in the harness's namespace that carries no address (nothing outside the city's
// namespaces can be reached from them, nor they from outside). Node i is 10.231.0.(10+i); every
// daemon listens on port 7000 of its own address.
//   isolate a node: its veth goes down (`ip link set <prefix>v<i> down`): every connection of
//     it stalls, ZeroMQ's heartbeats close them after 15 s, and reconnects fail until it is up;
//   cut two nodes: a blackhole route to the other in each of the two namespaces.
// Names are run-unique (<prefix> = shqc<harness pid>); Teardown removes them, and
// CleanLeftovers removes those of earlier runs whose harness is gone (crashed, killed -9).
//
// LoopbackNetwork (when namespaces cannot be made: not root, a container without CAP_SYS_ADMIN,
// or --loopback): every daemon listens on 127.0.0.1, and every dialled link goes through a TCP
// relay in the harness, which a partition closes and then refuses.
//
// Thread safety: the harness's main thread; the relay has its own thread inside.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "node/base/status.h"

namespace shequ::chaos {

class Network {
 public:
  virtual ~Network() = default;
  // "network namespaces (bridge shqc123br, 10.231.0.0/24)" or "loopback with a relay".
  virtual std::string Describe() const = 0;
  virtual bool namespaces() const = 0;
  // Prepares the nodes (named, for the namespaces' names) and the links between dialler and
  // listener pairs.
  virtual Status Setup(const std::vector<std::string>& names,
                       const std::vector<std::pair<int, int>>& links) = 0;
  virtual std::string ListenEndpoint(int node) const = 0;
  virtual std::string DialEndpoint(int dialer, int listener) const = 0;
  // /run/netns/NAME for the node's processes; empty: the harness's namespace.
  virtual std::string NamespacePath(int node) const = 0;
  virtual Status SetIsolated(int node, bool isolated) = 0;
  virtual Status SetCut(int a, int b, bool cut) = 0;
  // Removes everything Setup made; safe to call twice.
  virtual void Teardown() = 0;
};

// The prefix of this run's names: "shqc" + the harness's pid.
std::string RunPrefix();
// Removes namespaces and interfaces named shqc<pid>... whose harness process is gone. Returns
// how many it removed.
int CleanLeftovers();
// Whether namespaces can be made here (tries one); `why` says why not.
bool CanMakeNamespaces(std::string* why);

std::unique_ptr<Network> MakeNetnsNetwork(const std::string& prefix);
std::unique_ptr<Network> MakeLoopbackNetwork();

}  // namespace shequ::chaos
