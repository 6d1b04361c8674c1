#include "devices/enrol.h"

#include <algorithm>
#include <map>
#include <optional>

#include "node/base/text.h"
#include "node/model/validate.h"
#include "node/service/cards.h"
#include "node/store/lmdb.h"
#include "replication/crdt/keys.h"
#include "replication/crdt/seal.h"

namespace shequ::devices {

namespace {

using crdt::EntityRef;
using model::EntityKind;

constexpr std::string_view kFingerprint = "fingerprint";
constexpr std::string_view kDuplicateOf = "duplicate_of";

std::string Get(const std::map<std::string, std::string, std::less<>>& values,
                std::string_view key) {
  auto it = values.find(key);
  return it == values.end() ? std::string() : it->second;
}

// A person of the replica holding a fingerprint.
struct Holder {
  EntityRef person;
  std::string fingerprint;  // base64
};

// Every person's current fingerprint, from one pass over the replica's person records. A
// fingerprint index is the next step when replicas grow past a few hundred thousand persons.
Result<std::vector<Holder>> FingerprintHolders(service::Node& node, const store::Txn& txn) {
  std::vector<Holder> out;
  RETURN_IF_ERROR(node.replica().ScanEntities(
      txn, "", EntityKind::kPerson, [&](const EntityRef& e, const crdt::EntityState& state) {
        auto it = state.find(kFingerprint);
        if (it == state.end()) return Status::Ok();
        const crdt::Head* w = it->second.winner();
        if (!w) return Status::Ok();
        // Sealed at rest: opened with the node's keys (a node that cannot open one skips it).
        ASSIGN_OR_RETURN(std::optional<std::string> v,
                         node.replica().OpenValue(txn, e, kFingerprint, *w));
        if (v && !v->empty()) out.push_back(Holder{e, std::move(*v)});
        return Status::Ok();
      }));
  return out;
}

std::vector<crdt::Note> NotesOf(const std::vector<model::Problem>& problems) {
  std::vector<crdt::Note> notes;
  for (const model::Problem& p : problems)
    if (p.severity == model::Severity::kWarning) notes.push_back({p.field, p.code, p.message});
  return notes;
}

}  // namespace

Result<EnrolResult> EnrolFingerprint(service::Node& node, const EntityRef& person, ByteView record,
                                     const std::string& scanner_serial,
                                     const EnrolOptions& options) {
  if (person.kind != EntityKind::kPerson) return Status::Invalid("fingerprints belong to persons");
  if (scanner_serial.empty()) return Status::Invalid("a device read needs the device's serial");
  auto parsed = ParseFmr(record);
  if (!parsed.ok()) return Status::Invalid("fingerprint template: " + parsed.status().message());
  const FmrRecord& mine = *parsed;
  size_t minutiae = 0;
  for (const FmrView& v : mine.views) minutiae = std::max(minutiae, v.minutiae.size());
  if (minutiae < options.min_minutiae)
    return Status::Invalid("poor capture: " + std::to_string(minutiae) + " minutiae, at least " +
                           std::to_string(options.min_minutiae) + " needed; capture again");
  // The catalog's own check of the value (base64 of an ISO record).
  const model::FieldDef* fdef = node.ref().catalog().Find(EntityKind::kPerson, "fingerprint");
  if (!fdef) return Status::Internal("the catalog has no person field fingerprint");
  model::ValidationContext vctx;
  vctx.ref = &node.ref();
  vctx.today = options.today;
  model::FieldCheck fc = model::CheckField(*fdef, Base64(record), vctx);
  if (fc.problem) return Status::Invalid("fingerprint: " + fc.problem->message);

  EnrolResult out;
  Status st = node.store().Write([&](store::Txn& txn) -> Status {
    out = EnrolResult{};
    out.scanner_serial = scanner_serial;
    out.fingerprint = fc.value;
    out.minutiae = minutiae;
    ASSIGN_OR_RETURN(auto mine_values, node.replica().Values(txn, person));
    if (mine_values.empty()) return Status::NotFound("no person " + Hex(person.entity));
    std::string my_id = Get(mine_values, "id_number");

    ASSIGN_OR_RETURN(std::vector<Holder> holders, FingerprintHolders(node, txn));
    for (const Holder& h : holders) {
      if (h.person == person) continue;
      auto raw = Unbase64(h.fingerprint);
      if (!raw.ok()) continue;  // validation keeps these out; a bad one is not our business here
      auto theirs = ParseFmr(*raw);
      if (!theirs.ok()) continue;
      ++out.compared;
      MatchResult m = MatchRecords(mine, *theirs, options.match);
      if (!m.match) continue;
      ASSIGN_OR_RETURN(auto values, node.replica().Values(txn, h.person));
      std::string their_id = Get(values, "id_number");
      if (!my_id.empty() && my_id == their_id) continue;  // one person, not a duplicate
      DuplicateHit hit;
      hit.person = h.person;
      hit.name = Get(values, "name");
      hit.id_number = their_id;
      hit.match = m;
      hit.marked =
          Get(values, kDuplicateOf).empty() || Get(values, kDuplicateOf) == Hex(person.entity);
      out.duplicates.push_back(std::move(hit));
    }
    std::sort(out.duplicates.begin(), out.duplicates.end(),
              [](const DuplicateHit& a, const DuplicateHit& b) {
                if (a.match.score != b.match.score) return a.match.score > b.match.score;
                return a.person < b.person;
              });

    service::Node::CommitOptions co;
    co.tool = crdt::Tool::kTerminal;
    co.op = options.op;
    co.device = scanner_serial;
    std::vector<service::FieldEdit> edits = {{std::string(kFingerprint), fc.value}};
    if (!out.duplicates.empty())
      edits.push_back({std::string(kDuplicateOf), Hex(out.duplicates.front().person.entity)});
    ASSIGN_OR_RETURN(Id32 c, node.Commit(txn, person, edits, co));
    out.change = c;
    for (DuplicateHit& hit : out.duplicates) {
      if (!hit.marked) continue;
      ASSIGN_OR_RETURN(auto values, node.replica().Values(txn, hit.person));
      if (Get(values, kDuplicateOf) == Hex(person.entity)) continue;  // already says so
      ASSIGN_OR_RETURN(Id32 dc, node.Commit(txn, hit.person,
                                            {{std::string(kDuplicateOf), Hex(person.entity)}}, co));
      (void)dc;
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

Result<EnrolResult> CaptureAndEnrol(service::Node& node, FingerScanner& scanner,
                                    const EntityRef& person, const EnrolOptions& options) {
  ASSIGN_OR_RETURN(ScannerInfo info, scanner.Info());
  ASSIGN_OR_RETURN(Bytes record,
                   scanner.Capture(options.finger_position, options.capture_timeout_ms));
  return EnrolFingerprint(node, person, record, info.serial, options);
}

Result<IdStoreResult> StoreIdCardRead(service::Node& node, const EntityRef& person,
                                      const IdCardRead& read, const std::string& op, Date today) {
  if (read.sam_id.empty()) return Status::Invalid("an ID card read needs the reader's SAM id");
  IdStoreResult out;
  Status st = node.store().Write([&](store::Txn& txn) -> Status {
    out = IdStoreResult{};
    ASSIGN_OR_RETURN(auto pv, node.replica().Values(txn, person));
    if (pv.empty()) return Status::NotFound("no person " + Hex(person.entity));
    auto hid = UnhexFixed<16>(Get(pv, "household"));
    if (!hid.ok()) return Status::Corruption("person " + Hex(person.entity) + " has no household");
    EntityRef href{person.community, EntityKind::kHousehold, *hid};
    std::vector<EntityRef> refs;
    ASSIGN_OR_RETURN(model::Card before, service::CurrentCard(node, txn, href, &refs));
    auto at = std::find(refs.begin(), refs.end(), person);
    if (at == refs.end()) return Status::Corruption("person is not in its household's members");
    size_t index = static_cast<size_t>(at - refs.begin());
    model::Card after = before;
    for (const auto& [k, v] : read.fields) after.members[index][k] = v;
    model::ValidationContext ctx = service::MakeValidationContext(node, txn, Hex(*hid), today);
    model::CardCheck cb = model::CheckCard(before, ctx), ca = model::CheckCard(after, ctx);
    for (const model::Problem& p : ca.problems) {
      if (p.code == "missing" && p.block == "visit") continue;
      bool seen = std::any_of(cb.problems.begin(), cb.problems.end(), [&](const model::Problem& q) {
        return q.code == p.code && q.member == p.member && q.field == p.field;
      });
      if (!seen) out.problems.push_back(p);
    }
    for (const model::Problem& p : out.problems)
      if (p.severity == model::Severity::kError) return Status::Ok();  // refused
    // Fields whose value, or whose terminal-recorded value, differs from the read.
    ASSIGN_OR_RETURN(auto have, node.replica().Entity(txn, person));
    Bytes token_key;
    if (const auto* keys = node.replica().keys()) token_key = keys->TokenKey(person.community);
    std::vector<service::FieldEdit> edits;
    const model::FieldValues& normalized = ca.normalized.members[index];
    for (const auto& [k, raw] : read.fields) {
      auto nv = normalized.find(k);
      const std::string& v = nv != normalized.end() ? nv->second : raw;
      auto it = have.find(k);
      bool same = false;
      if (it != have.end()) {
        const crdt::Head* w = it->second.winner();
        const auto& tv = it->second.by_tool[static_cast<size_t>(crdt::Tool::kTerminal)];
        same = w && crdt::StoredEquals(w->kind, w->value, v, token_key, EntityKind::kPerson, k) &&
               tv && crdt::StoredEquals(tv->kind, tv->value, v, token_key, EntityKind::kPerson, k);
      }
      if (!same) edits.push_back({k, v});
    }
    out.stored = true;
    if (edits.empty()) return Status::Ok();
    service::Node::CommitOptions co;
    co.tool = crdt::Tool::kTerminal;
    co.op = op;
    co.device = read.sam_id;
    co.warnings = NotesOf(out.problems);
    if (read.expired) {
      co.warnings.push_back({"id_number", "card_expired",
                             "证件已过有效期（有效期至" + read.valid_to->ToString() + "）"});
    }
    ASSIGN_OR_RETURN(Id32 c, node.Commit(txn, person, edits, co));
    out.change = c;
    out.fields = edits.size();
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

}  // namespace shequ::devices
