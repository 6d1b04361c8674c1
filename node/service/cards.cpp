#include "node/service/cards.h"

#include <algorithm>
#include <set>

#include "node/base/text.h"
#include "replication/crdt/seal.h"

namespace shequ::service {

using crdt::EntityRef;
using model::EntityKind;

std::string_view OutcomeName(CardResult::Outcome o) {
  switch (o) {
    case CardResult::Outcome::kStored:
      return "stored";
    case CardResult::Outcome::kUpdated:
      return "updated";
    case CardResult::Outcome::kUnchanged:
      return "unchanged";
    case CardResult::Outcome::kRefused:
      return "refused";
  }
  return "?";
}

namespace {

bool IsActive(const std::map<std::string, std::string, std::less<>>& values) {
  auto it = values.find("status");
  return it == values.end() || it->second == "1";
}

model::Problem Refusal(const model::Card& card, std::string field, std::string code,
                       std::string message) {
  model::Problem p;
  p.severity = model::Severity::kError;
  p.card_no = card.card_no;
  p.block = "card";
  p.field = std::move(field);
  p.code = std::move(code);
  p.message = std::move(message);
  return p;
}

// The fields whose value on this card differs from the replica's current value, or that this
// tool has not yet captured with this value (so the assessment sees what each tool recorded).
void DiffFields(const model::FieldValues& want,
                const std::map<std::string, crdt::FieldState, std::less<>>& have, crdt::Tool tool,
                ByteView token_key, model::EntityKind entity, std::vector<FieldEdit>* edits) {
  for (const auto& [key, value] : want) {
    auto it = have.find(key);
    bool same = false;
    if (it != have.end()) {
      const crdt::Head* w = it->second.winner();
      const auto& tv = it->second.by_tool[static_cast<size_t>(tool)];
      same = w && crdt::StoredEquals(w->kind, w->value, value, token_key, entity, key) && tv &&
             crdt::StoredEquals(tv->kind, tv->value, value, token_key, entity, key);
    }
    if (!same) edits->push_back(FieldEdit{key, value});
  }
}

std::vector<crdt::Note> NotesFor(const std::vector<model::Problem>& problems, int member,
                                 std::string_view block) {
  std::vector<crdt::Note> notes;
  for (const model::Problem& p : problems) {
    if (p.severity != model::Severity::kWarning) continue;
    bool mine = member >= 0 ? p.member == member
                            : (p.member < 0 &&
                               (block == "visit" ? p.block == "visit" : p.block != "visit"));
    // Stored in the clear with the change: the value-free text, not the message (which quotes
    // names, dates and numbers).
    if (mine) notes.push_back({p.field, p.code, std::string(model::WarningText(p.code))});
  }
  return notes;
}

Id16 VisitId(const Id16& household, const std::string& date) {
  Bytes seed = ToBytes("shequ/visit/v1");
  Append(seed, household);
  Append(seed, AsBytes(date));
  Id32 d = crypto::Sha256(seed);
  Id16 id;
  std::copy(d.begin(), d.begin() + 16, id.begin());
  return id;
}

}  // namespace

Result<std::optional<EntityRef>> FindEntity(Node& node, const store::Txn& txn, EntityKind kind,
                                            const Id16& id) {
  ASSIGN_OR_RETURN(std::vector<std::string> communities, node.replica().Communities(txn));
  for (const std::string& c : communities) {
    EntityRef e{c, kind, id};
    ASSIGN_OR_RETURN(bool exists, node.replica().Exists(txn, e));
    if (exists) return std::optional<EntityRef>(e);
  }
  return std::optional<EntityRef>();
}

model::ValidationContext MakeValidationContext(Node& node, const store::Txn& txn,
                                               const std::string& household, Date today) {
  model::ValidationContext ctx;
  ctx.ref = &node.ref();
  ctx.today = today;
  ctx.household = household;
  crdt::Replica* replica = &node.replica();
  const store::Txn* t = &txn;
  ctx.find_person = [replica, t,
                     household](const std::string& id) -> std::optional<model::RegisteredPerson> {
    auto refs = replica->FindByIdNumber(*t, id);
    if (!refs.ok()) return std::nullopt;
    std::optional<model::RegisteredPerson> same_household;
    for (const EntityRef& p : *refs) {
      auto values = replica->Values(*t, p);
      if (!values.ok() || !IsActive(*values)) continue;
      model::RegisteredPerson rp;
      rp.person = Hex(p.entity);
      rp.community = p.community;
      auto hh = values->find("household");
      if (hh != values->end()) rp.household = hh->second;
      auto nm = values->find("name");
      if (nm != values->end()) rp.name = nm->second;
      auto hid = UnhexFixed<16>(rp.household);
      if (hid.ok()) {
        auto hv = replica->Values(*t, EntityRef{p.community, EntityKind::kHousehold, *hid});
        if (hv.ok()) {
          auto cn = hv->find("card_no");
          if (cn != hv->end()) rp.card_no = cn->second;
        }
      }
      // Report someone in another household first: that is what the rule is about.
      if (rp.household != household) return rp;
      same_household = rp;
    }
    return same_household;
  };
  return ctx;
}

Result<model::Card> CurrentCard(Node& node, const store::Txn& txn, const EntityRef& household,
                                std::vector<EntityRef>* member_refs) {
  model::Card card;
  ASSIGN_OR_RETURN(auto hv, node.replica().Values(txn, household));
  card.community = household.community;
  for (auto& [k, v] : hv) {
    if (k == "card_no")
      card.card_no = v;
    else
      card.household[k] = v;
  }
  ASSIGN_OR_RETURN(std::vector<EntityRef> members, node.replica().Members(txn, household));
  for (const EntityRef& m : members) {
    ASSIGN_OR_RETURN(auto pv, node.replica().Values(txn, m));
    model::FieldValues fv;
    for (auto& [k, v] : pv)
      if (k != "household") fv[k] = v;
    card.members.push_back(std::move(fv));
    if (member_refs) member_refs->push_back(m);
  }
  return card;
}

Status ImportCards(Node& node, const std::vector<model::ParsedCard>& cards, const ImportOptions& o,
                   const std::function<void(const CardResult&)>& report) {
  size_t batch = std::max<size_t>(1, o.batch);
  for (size_t start = 0; start < cards.size(); start += batch) {
    size_t end = std::min(cards.size(), start + batch);
    std::vector<CardResult> results;
    Status st = node.store().Write([&](store::Txn& txn) -> Status {
      results.clear();
      node.DiscardPending();
      for (size_t i = start; i < end; ++i) {
        const model::ParsedCard& pc = cards[i];
        CardResult r;
        r.index = pc.index;
        r.card_no = pc.card.card_no;
        r.problems = pc.problems;
        if (!pc.card.community.empty() && !node.cert().InScope(pc.card.community)) {
          r.problems.push_back(Refusal(
              pc.card, "community", "out_of_scope",
              "本节点（" + node.cert().name + "）无权登记社区" + pc.card.community + "的登记卡"));
          r.outcome = CardResult::Outcome::kRefused;
          results.push_back(std::move(r));
          continue;
        }
        // The household this card updates, if its number is known (also to an earlier card of
        // this batch: the transaction sees its own writes).
        std::optional<EntityRef> household;
        ASSIGN_OR_RETURN(std::vector<EntityRef> known,
                         node.replica().FindByCard(txn, pc.card.card_no));
        for (const EntityRef& h : known) {
          if (h.community == pc.card.community) {
            household = h;
          } else {
            r.problems.push_back(
                Refusal(pc.card, "card_no", "card_used_elsewhere",
                        "登记卡编号" + pc.card.card_no + "已用于社区" + h.community));
          }
        }
        std::string household_hex = household ? Hex(household->entity) : "";
        model::ValidationContext ctx = MakeValidationContext(node, txn, household_hex, o.today);
        model::CardCheck check = model::CheckCard(pc.card, ctx);
        // Structural problems were found while reading; CheckCard reports the rest.
        for (model::Problem& p : check.problems) {
          bool dup = false;
          for (const model::Problem& q : r.problems)
            dup |= q.code == p.code && q.member == p.member && q.field == p.field;
          if (!dup) r.problems.push_back(std::move(p));
        }
        bool refused = false;
        for (const model::Problem& p : r.problems) refused |= p.severity == model::Severity::kError;
        if (refused) {
          r.outcome = CardResult::Outcome::kRefused;
          results.push_back(std::move(r));
          continue;
        }
        const model::Card& card = check.normalized;
        Node::CommitOptions co;
        co.tool = o.tool;
        co.op = o.op;
        co.device = o.device;
        co.defer_signature = true;

        // Household.
        EntityRef href{card.community, EntityKind::kHousehold,
                       household ? household->entity : node.NewEntityId()};
        std::map<std::string, crdt::FieldState, std::less<>> have;
        if (household) {
          ASSIGN_OR_RETURN(have, node.replica().Entity(txn, href));
        }
        model::FieldValues hwant = card.household;
        hwant["card_no"] = card.card_no;
        std::vector<FieldEdit> edits;
        Bytes token_key;
        if (const auto* keys = node.replica().keys()) token_key = keys->TokenKey(card.community);
        DiffFields(hwant, have, o.tool, token_key, EntityKind::kHousehold, &edits);
        if (!edits.empty()) {
          co.warnings = NotesFor(r.problems, -1, "household");
          ASSIGN_OR_RETURN(Id32 c, node.Commit(txn, href, edits, co));
          (void)c;
          ++r.changes;
        }
        std::string hhex = Hex(href.entity);

        // Members: match existing ones by ID number, else by name and birth date.
        std::vector<EntityRef> existing_refs;
        std::vector<model::FieldValues> existing;
        if (household) {
          ASSIGN_OR_RETURN(model::Card current, CurrentCard(node, txn, href, &existing_refs));
          existing = std::move(current.members);
        }
        std::vector<bool> taken(existing.size(), false);
        for (size_t m = 0; m < card.members.size(); ++m) {
          const model::FieldValues& want = card.members[m];
          auto get = [](const model::FieldValues& fv, std::string_view k) -> std::string {
            auto it = fv.find(k);
            return it == fv.end() ? std::string() : it->second;
          };
          std::optional<size_t> match;
          for (size_t k = 0; k < existing.size() && !match; ++k) {
            if (taken[k]) continue;
            std::string id = get(want, "id_number");
            if (!id.empty() ? get(existing[k], "id_number") == id
                            : (get(existing[k], "name") == get(want, "name") &&
                               get(existing[k], "birth_date") == get(want, "birth_date")))
              match = k;
          }
          EntityRef pref{card.community, EntityKind::kPerson, {}};
          std::map<std::string, crdt::FieldState, std::less<>> phave;
          if (match) {
            taken[*match] = true;
            pref = existing_refs[*match];
            ASSIGN_OR_RETURN(phave, node.replica().Entity(txn, pref));
          } else {
            pref.entity = node.NewEntityId();
          }
          model::FieldValues pwant = want;
          pwant["household"] = hhex;
          edits.clear();
          DiffFields(pwant, phave, o.tool, token_key, EntityKind::kPerson, &edits);
          if (!edits.empty()) {
            co.warnings = NotesFor(r.problems, static_cast<int>(m), "member");
            ASSIGN_OR_RETURN(Id32 c, node.Commit(txn, pref, edits, co));
            (void)c;
            ++r.changes;
          }
          ++r.persons;
        }

        // The visit: one entity per household and date, so the same card imported twice
        // records one visit.
        if (card.has_visit && card.visit.count("date")) {
          EntityRef vref{card.community, EntityKind::kVisit,
                         VisitId(href.entity, card.visit.at("date"))};
          std::map<std::string, crdt::FieldState, std::less<>> vhave;
          ASSIGN_OR_RETURN(vhave, node.replica().Entity(txn, vref));
          model::FieldValues vwant = card.visit;
          vwant["household"] = hhex;
          edits.clear();
          DiffFields(vwant, vhave, o.tool, token_key, EntityKind::kVisit, &edits);
          if (!edits.empty()) {
            co.warnings = NotesFor(r.problems, -1, "visit");
            ASSIGN_OR_RETURN(Id32 c, node.Commit(txn, vref, edits, co));
            (void)c;
            ++r.changes;
          }
        }
        r.household = hhex;
        r.outcome = !household  ? CardResult::Outcome::kStored
                    : r.changes ? CardResult::Outcome::kUpdated
                                : CardResult::Outcome::kUnchanged;
        results.push_back(std::move(r));
      }
      return node.SignPending(txn);
    });
    if (!st.ok()) {
      node.DiscardPending();
      return st;
    }
    for (const CardResult& r : results) report(r);
  }
  return Status::Ok();
}

Result<EditResult> EditPerson(Node& node, const EntityRef& person,
                              const std::vector<std::pair<std::string, std::string>>& kv,
                              crdt::Tool tool, const std::string& op, Date today) {
  EditResult out;
  Status st = node.store().Write([&](store::Txn& txn) -> Status {
    out = EditResult{};
    ASSIGN_OR_RETURN(auto pv, node.replica().Values(txn, person));
    if (pv.empty()) return Status::NotFound("no person " + Hex(person.entity));
    auto hh = pv.find("household");
    if (hh == pv.end())
      return Status::Corruption("person " + Hex(person.entity) + " has no household");
    ASSIGN_OR_RETURN(Id16 hid, UnhexFixed<16>(hh->second));
    EntityRef href{person.community, EntityKind::kHousehold, hid};
    std::vector<EntityRef> refs;
    ASSIGN_OR_RETURN(model::Card before, CurrentCard(node, txn, href, &refs));
    size_t index = refs.size();
    for (size_t i = 0; i < refs.size(); ++i)
      if (refs[i] == person) index = i;
    if (index == refs.size())
      return Status::Corruption("person is not in its household's member index");
    model::Card after = before;
    for (const auto& [k, v] : kv) {
      if (!node.ref().catalog().Find(EntityKind::kPerson, k) || k == "household")
        return Status::Invalid("unknown person field " + Quote(k));
      if (v.empty())
        after.members[index].erase(k);
      else
        after.members[index][k] = v;
    }
    // Existing records carry no visit on this synthetic card; checks that need one are skipped.
    model::ValidationContext ctx = MakeValidationContext(node, txn, Hex(hid), today);
    model::CardCheck cb = model::CheckCard(before, ctx);
    model::CardCheck ca = model::CheckCard(after, ctx);
    auto seen_before = [&](const model::Problem& p) {
      for (const model::Problem& q : cb.problems)
        if (q.code == p.code && q.member == p.member && q.field == p.field) return true;
      return false;
    };
    for (const model::Problem& p : ca.problems) {
      if (p.code == "missing" && p.block == "visit") continue;
      if (!seen_before(p)) out.problems.push_back(p);
    }
    for (const model::Problem& p : out.problems)
      if (p.severity == model::Severity::kError) return Status::Ok();  // refused, nothing written
    std::vector<FieldEdit> edits;
    for (const auto& [k, v] : kv) {
      auto nv = ca.normalized.members[index].find(k);
      if (v.empty())
        edits.push_back(FieldEdit{k, std::nullopt});
      else
        edits.push_back(FieldEdit{k, nv != ca.normalized.members[index].end() ? nv->second : v});
    }
    Node::CommitOptions co;
    co.tool = tool;
    co.op = op;
    co.warnings = NotesFor(out.problems, static_cast<int>(index), "member");
    ASSIGN_OR_RETURN(Id32 c, node.Commit(txn, person, edits, co));
    out.stored = true;
    out.change = c;
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

}  // namespace shequ::service
