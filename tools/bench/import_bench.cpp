// Import throughput of generated cards into one community-scope node, beside OpenSSL's own
// Ed25519 signing rate measured in the same run (the physical bound: every change is signed),
// and the size of the replica per person.
//
//   build/tools/bench/bench_import [--persons N] [--seed S] [--batch B]
#include <lmdb.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "node/base/file.h"
#include "node/crypto/crypto.h"
#include "node/service/cards.h"
#include "tools/gen/gen.h"

using namespace shequ;
using Clock = std::chrono::steady_clock;

namespace {

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Signatures per second over 48-byte messages (a domain tag and a 32-byte id), one core.
double SignRate(crypto::Suite suite, size_t n) {
  auto key = crypto::SigningKey::Generate(suite);
  Bytes msg(48, 7);
  auto t0 = Clock::now();
  for (size_t i = 0; i < n; ++i) {
    msg[0] = static_cast<uint8_t>(i);
    auto sig = key->Sign(msg);
    if (!sig.ok()) std::abort();
  }
  return static_cast<double>(n) / Seconds(t0, Clock::now());
}

std::string Arg(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  size_t persons = std::stoul(Arg(argc, argv, "--persons", "50000"));
  uint64_t seed = std::stoull(Arg(argc, argv, "--seed", "1"));
  size_t batch = std::stoul(Arg(argc, argv, "--batch", "256"));
  auto ref = model::Reference::Load();
  if (!ref.ok()) return 1;

  char tmpl[] = "/tmp/shequ-bench-XXXXXX";
  if (!mkdtemp(tmpl)) return 1;
  std::string dir = tmpl;
  service::CityInitOptions co;
  if (!service::InitCity(dir + "/city", co).ok()) return 1;
  // A node whose scope is the whole of 海勃湾区 so that the generated city's cards there import.
  service::NodeInitOptions no;
  no.kind = trust::NodeKind::kCommunity;
  for (const auto* d : ref->divisions().ResidentUnits())
    if (d->code.rfind("150302", 0) == 0) no.scopes.push_back(d->code);
  no.name = "bench";
  if (!service::InitNode(dir + "/node", dir + "/city", no, *ref).ok()) return 1;
  auto node = service::Node::Open(dir + "/node", *ref);
  if (!node.ok()) return 1;

  gen::GenOptions go;
  go.persons = persons;
  go.seed = seed;
  go.today = Date{2026, 11, 26};
  go.communities = no.scopes;
  std::vector<model::ParsedCard> cards;
  gen::GenStats gs;
  auto st = gen::GenerateCards(
      *ref, go,
      [&](const model::Card& c) {
        model::ParsedCard pc;
        pc.card = c;
        pc.index = cards.size();
        cards.push_back(std::move(pc));
        return Status::Ok();
      },
      &gs);
  if (!st.ok()) return 1;

  double sign_rate = SignRate(crypto::Suite::kEd25519, 20000);
  service::ImportOptions io;
  io.today = go.today;
  io.batch = batch;
  size_t stored_persons = 0, changes = 0;
  auto t0 = Clock::now();
  st = service::ImportCards(**node, cards, io, [&](const service::CardResult& r) {
    if (r.outcome != service::CardResult::Outcome::kRefused) {
      stored_persons += r.persons;
      changes += r.changes;
    }
  });
  double secs = Seconds(t0, Clock::now());
  if (!st.ok()) {
    std::fprintf(stderr, "%s\n", st.ToString().c_str());
    return 1;
  }
  double sign_rate_after = SignRate(crypto::Suite::kEd25519, 20000);
  double sign = (sign_rate + sign_rate_after) / 2;
  double per_person = static_cast<double>(changes) / static_cast<double>(stored_persons);
  double bound = sign / per_person;
  double rate = static_cast<double>(stored_persons) / secs;
  auto size = (*node)->store().FileSize();
  std::printf("persons imported      %zu (%zu cards, batch %zu)\n", stored_persons, cards.size(),
              batch);
  std::printf("changes               %zu (%.2f per person)\n", changes, per_person);
  std::printf("import time           %.2f s\n", secs);
  std::printf("throughput            %.0f persons/s, %.0f changes/s\n", rate,
              static_cast<double>(changes) / secs);
  std::printf("OpenSSL Ed25519 sign  %.0f signs/s (one core, before %.0f / after %.0f)\n", sign,
              sign_rate, sign_rate_after);
  std::printf("signing bound         %.0f persons/s (signs/s / changes per person)\n", bound);
  std::printf("ratio to bound        %.2f (goal >= 0.50)\n", rate / bound);
  if (size.ok())
    std::printf("replica size          %.1f MiB, %.0f bytes per person\n",
                static_cast<double>(*size) / (1 << 20),
                static_cast<double>(*size) / static_cast<double>(stored_persons));
  // Where the bytes are: pages per database.
  {
    auto r = (*node)->store().BeginRead();
    const char* names[] = {"changes",    "by_scope",      "by_entity",    "state",
                           "superseded", "idx_id_number", "idx_members",  "idx_card",
                           "review",     "trust",         "peers",        "audit",
                           "meta",       "rejected",      "scope_blocks", "log"};
    for (int i = 0; i < static_cast<int>(store::Db::kCount); ++i) {
      MDB_stat ms;
      mdb_stat(r->txn().raw(), (*node)->store().dbi(static_cast<store::Db>(i)), &ms);
      size_t pages = ms.ms_branch_pages + ms.ms_leaf_pages + ms.ms_overflow_pages;
      if (pages > 1)
        std::printf("  %-14s %9zu entries %8.1f MiB  %5.0f B/person\n", names[i],
                    static_cast<size_t>(ms.ms_entries),
                    static_cast<double>(pages * ms.ms_psize) / (1 << 20),
                    static_cast<double>(pages * ms.ms_psize) / static_cast<double>(stored_persons));
    }
  }
  std::system(("rm -rf " + dir).c_str());
  return 0;
}
