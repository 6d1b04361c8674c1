// libFuzzer target: arbitrary bytes as a Negentropy message to a responder, then to an
// initiator, over a small fixed set. Anything may be refused; nothing may crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "replication/reconcile/blocked_storage.h"
#include "replication/reconcile/reconciler.h"
#include "replication/reconcile/vector_storage.h"

namespace {

using shequ::ByteView;
using shequ::Id32;
namespace rc = shequ::reconcile;

// 300 items over a few timestamps with ids that share prefixes, so bounds need id prefixes.
void Fill(auto&& insert) {
  uint64_t x = 0x9e3779b97f4a7c15;
  for (int i = 0; i < 300; ++i) {
    Id32 id{};
    for (auto& b : id) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      b = static_cast<uint8_t>(x);
    }
    id[0] = static_cast<uint8_t>(i % 3);
    insert(static_cast<uint64_t>(1000 + (i % 7) * 10), id);
  }
}

rc::VectorStorage& Vector() {
  static rc::VectorStorage* s = [] {
    auto* v = new rc::VectorStorage();
    Fill([&](uint64_t ts, const Id32& id) { (void)v->Insert(ts, id); });
    (void)v->Seal();
    return v;
  }();
  return *s;
}

rc::InMemoryBlockedSet& Blocked() {
  static rc::InMemoryBlockedSet* s = [] {
    auto* b = new rc::InMemoryBlockedSet(8);
    Fill([&](uint64_t ts, const Id32& id) { (void)b->Insert(ts, id); });
    return b;
  }();
  return *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView msg(data, size);
  for (uint64_t limit : {uint64_t{0}, uint64_t{4096}}) {
    auto responder = rc::Reconciler::Create(Vector(), limit).value();
    auto reply = responder.Reconcile(msg);
    // The block-indexed storage must give the same answer.
    auto blocked = rc::Reconciler::Create(Blocked().storage(), limit).value();
    auto reply2 = blocked.Reconcile(msg);
    if (reply.ok() != reply2.ok() || (reply.ok() && *reply != *reply2)) __builtin_trap();
    if (reply.ok() && limit != 0 && reply->size() > limit) __builtin_trap();

    auto initiator = rc::Reconciler::Create(Vector(), limit).value();
    initiator.SetInitiator();
    std::vector<Id32> have, need;
    (void)initiator.Reconcile(msg, &have, &need);
  }
  return 0;
}
