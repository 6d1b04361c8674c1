#include "scoring/score.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "node/base/file.h"
#include "node/base/text.h"
#include "node/model/csv.h"
#include "node/model/embedded.h"
#include "node/model/validate.h"
#include "node/service/peers.h"
#include "node/service/policy.h"
#include "node/service/usage.h"
#include "replication/crdt/hlc.h"
#include "replication/crdt/seal.h"
#include "scoring/incremental.h"

namespace shequ::scoring {

using crdt::EntityRef;
using crdt::EntityState;
using crdt::FieldState;
using crdt::Head;
using crdt::ValueKind;
using model::EntityKind;

// --- periods and rules

Result<Period> Period::Parse(std::string_view text) {
  Period p;
  p.label = std::string(text);
  auto bad = [&] {
    return Status::Invalid("period " + Quote(text) +
                           " is not 2026Q4, 2026-11 or 2026-10-01..2026-12-31");
  };
  if (size_t dots = text.find(".."); dots != std::string_view::npos) {
    auto a = Date::Parse(text.substr(0, dots)), b = Date::Parse(text.substr(dots + 2));
    if (!a || !b || *b < *a) return bad();
    p.from = *a;
    p.to = *b;
    return p;
  }
  if (text.size() == 6 && text[4] == 'Q' && AllDigits(text.substr(0, 4)) && text[5] >= '1' &&
      text[5] <= '4') {
    int y = std::stoi(std::string(text.substr(0, 4)));
    int q = text[5] - '0';
    p.from = Date{y, 3 * q - 2, 1};
    Date next = q == 4 ? Date{y + 1, 1, 1} : Date{y, 3 * q + 1, 1};
    p.to = Date::FromDays(next.DaysSinceEpoch() - 1);
    return p;
  }
  if (text.size() == 7 && text[4] == '-' && AllDigits(text.substr(0, 4)) &&
      AllDigits(text.substr(5))) {
    int y = std::stoi(std::string(text.substr(0, 4))), m = std::stoi(std::string(text.substr(5)));
    if (m < 1 || m > 12) return bad();
    p.from = Date{y, m, 1};
    Date next = m == 12 ? Date{y + 1, 1, 1} : Date{y, m + 1, 1};
    p.to = Date::FromDays(next.DaysSinceEpoch() - 1);
    return p;
  }
  return bad();
}

Result<Rules> Rules::Parse(std::string_view csv) {
  ASSIGN_OR_RETURN(model::CsvTable t, model::ParseCsv(csv, "assessment_rules.csv"));
  const char* cols[] = {"key", "group", "label", "points", "target", "floor", "department", "kind"};
  int c[8];
  for (int i = 0; i < 8; ++i) {
    c[i] = t.Column(cols[i]);
    if (c[i] < 0) return Status::Invalid(std::string("assessment_rules.csv: no column ") + cols[i]);
  }
  static const std::set<std::string> kKeys = {
      "fill_accuracy",    "tool_agreement", "profile",         "visit_coverage", "update_frequency",
      "card_consistency", "leaks",          "confidentiality", "media",          "exchange",
      "shared_data",      "innovation"};
  Rules r;
  double sum = 0;
  for (const auto& row : t.rows) {
    Rule rule;
    rule.key = row[c[0]];
    if (!kKeys.count(rule.key))
      return Status::Invalid("assessment_rules.csv: unknown indicator " + Quote(rule.key));
    rule.group = row[c[1]];
    rule.label = row[c[2]];
    rule.points = std::atof(row[c[3]].c_str());
    if (!row[c[4]].empty()) rule.target = std::atof(row[c[4]].c_str());
    if (!row[c[5]].empty()) rule.floor = std::atof(row[c[5]].c_str());
    rule.department = row[c[6]];
    rule.kind = row[c[7]];
    if (rule.points < 0 || rule.points > 100)
      return Status::Invalid("assessment_rules.csv: points of " + rule.key + " out of 0..100");
    if (rule.target.has_value() != rule.floor.has_value() ||
        (rule.target && !(*rule.target > *rule.floor)))
      return Status::Invalid("assessment_rules.csv: " + rule.key +
                             " needs both a target and a floor, target above floor");
    sum += rule.points;
    r.rules.push_back(std::move(rule));
  }
  for (const std::string& k : kKeys)
    if (!r.Find(k)) return Status::Invalid("assessment_rules.csv: no rule for " + k);
  if (std::fabs(sum - 100) > 1e-9)
    return Status::Invalid("assessment_rules.csv: the points add up to " + std::to_string(sum) +
                           ", not 100");
  return r;
}

Result<Rules> Rules::Load() {
  if (const char* dir = std::getenv("SHEQU_DATA_DIR"); dir && *dir) {
    ASSIGN_OR_RETURN(std::string text, ReadFile(std::string(dir) + "/assessment_rules.csv"));
    return Parse(text);
  }
  for (size_t i = 0; i < model::kEmbeddedFileCount; ++i)
    if (model::kEmbeddedFiles[i].name == "assessment_rules.csv")
      return Parse(model::kEmbeddedFiles[i].data);
  return Status::NotFound("assessment_rules.csv is not compiled in");
}

const Rule* Rules::Find(std::string_view key) const {
  for (const Rule& r : rules)
    if (r.key == key) return &r;
  return nullptr;
}

std::string GradeOf(double total) {
  if (total >= 90 - 1e-9) return "优秀";
  if (total >= 60 - 1e-9) return "合格";
  return "不合格";
}

// --- counting

namespace {

constexpr size_t kMaxEvidence = 20;
constexpr int64_t kUpdateWindowDays = 180;
constexpr int64_t kExchangeDays = 7;
constexpr int64_t kRecentDays = 7;

double Round2(double x) { return std::round(x * 100.0) / 100.0; }

// Equal stored values: the same kind and text, or sealed with the same token.
bool SameStored(ValueKind ka, const std::string& a, ValueKind kb, const std::string& b) {
  if (ka != kb) return false;
  if (ka == ValueKind::kSealed) {
    auto ta = crdt::TokenOf(a), tb = crdt::TokenOf(b);
    if (ta && tb) return *ta == *tb;
  }
  return a == b;
}

const Head* Winner(const EntityState& s, std::string_view key) {
  auto it = s.find(key);
  return it == s.end() ? nullptr : it->second.winner();
}
bool Filled(const EntityState& s, std::string_view key) {
  const Head* w = Winner(s, key);
  return w && w->filled() && !(w->kind == ValueKind::kText && w->value.empty());
}
std::string Text(const EntityState& s, std::string_view key) {
  const Head* w = Winner(s, key);
  return w && w->kind == ValueKind::kText ? w->value : std::string();
}
uint64_t LatestHlc(const EntityState& s) {
  uint64_t m = 0;
  for (const auto& [k, f] : s)
    for (const Head& h : f.heads) m = std::max(m, h.hlc);
  return m;
}
Date DateOfHlc(uint64_t hlc) { return DateOfMillis(crdt::HlcMillis(hlc)); }

// Counting fields: card fields, not the scope or references.
bool Counted(const model::FieldDef& f) {
  return f.type != model::FieldType::kCommunity && f.type != model::FieldType::kRef;
}

}  // namespace

Result<RecordCounts> CountRecord(
    const model::Catalog& cat, const EntityRef& e, const EntityState& state,
    const std::function<Result<const crdt::Change*>(const Id32&)>& change_of,
    const std::function<void(std::string_view indicator, std::string what)>& note) {
  RecordCounts rc;
  for (const auto& [key, fs] : state) {
    const model::FieldDef* f = cat.Find(e.kind, key);
    if (!f || !Counted(*f)) continue;
    const Head* w = fs.winner();
    // Fill accuracy: filled, no warning, no conflict, not corrected by the owner or a review.
    if (Filled(state, key)) {
      ++rc.fill_den;
      std::string why;
      if (fs.conflicted()) why = "值有冲突待审核";
      if (why.empty() && w->rank == 1) {
        for (const auto& tv : fs.by_tool)
          if (tv && !SameStored(tv->kind, tv->value, w->kind, w->value))
            why = "经" + std::string(model::DepartmentName(f->owner)) + "更正";
      }
      if (why.empty()) {
        ASSIGN_OR_RETURN(const crdt::Change* ch, change_of(w->id));
        if (ch)
          for (const crdt::Note& n : ch->body.warnings)
            if (n.field == key) why = n.code == "resolved" ? "经冲突审核更正" : "有警告" + n.code;
      }
      if (why.empty()) {
        ++rc.fill_num;
      } else if (note) {
        note("fill_accuracy", f->label + "：" + why);
      }
    }
    // Card/platform consistency: the latest card value against the current one.
    const auto& card = fs.by_tool[static_cast<size_t>(crdt::Tool::kCard)];
    if (card && w) {
      ++rc.card_den;
      if (SameStored(card->kind, card->value, w->kind, w->value)) {
        ++rc.card_num;
      } else if (note) {
        note("card_consistency", f->label + "：登记卡与平台当前值不一致");
      }
    }
    // Three-tool agreement: every pair of tools that recorded the field.
    for (size_t a = 0; a < 3; ++a)
      for (size_t b = a + 1; b < 3; ++b) {
        const auto& va = fs.by_tool[a];
        const auto& vb = fs.by_tool[b];
        if (!va || !vb) continue;
        ++rc.tool_den;
        if (SameStored(va->kind, va->value, vb->kind, vb->value)) {
          ++rc.tool_num;
        } else if (note) {
          note("tool_agreement",
               f->label + "：" + std::string(crdt::ToolLabel(static_cast<crdt::Tool>(a))) + "与" +
                   std::string(crdt::ToolLabel(static_cast<crdt::Tool>(b))) + "不一致");
        }
      }
  }
  return rc;
}

namespace {

struct Entity {
  EntityRef ref;
  EntityState state;
};

struct Community {
  std::string code;
  std::vector<Entity> households, persons, visits, transfers, terminals, profile, inputs, cards;
  std::map<std::string, std::vector<size_t>> members;  // household hex -> person indexes
  std::set<std::string> active_households;             // hex
};

class Scorer {
 public:
  Scorer(service::Node& node, const store::Txn& txn, const Period& p, const Rules& rules,
         const std::map<std::string, RecordCounts>* incremental)
      : node_(node),
        txn_(txn),
        p_(p),
        rules_(rules),
        cat_(node.ref().catalog()),
        incremental_(incremental) {
    Date today = Today();
    ref_date_ = p.to < today ? p.to : today;
  }

  Result<CommunityScore> Score(Community& c, uint64_t denied_events) {
    CommunityScore cs;
    cs.code = c.code;
    const model::Division* d = node_.ref().divisions().Find(c.code);
    cs.name = d ? d->name : c.code;
    cs.district = c.code.substr(0, 6);
    cs.households = c.active_households.size();
    for (const Rule& rule : rules_.rules) {
      IndicatorResult ir;
      ir.rule = &rule;
      RETURN_IF_ERROR(Compute(c, rule, denied_events, ir));
      ir.points = Round2(ir.points);
      cs.total += ir.points;
      cs.indicators.push_back(std::move(ir));
    }
    cs.total = Round2(cs.total);
    cs.grade = GradeOf(cs.total);
    return cs;
  }

 private:
  static double RatePoints(const Rule& r, double rate) {
    if (!r.target) return r.points * std::clamp(rate, 0.0, 1.0);
    double x = (rate - *r.floor) / (*r.target - *r.floor);
    return r.points * std::clamp(x, 0.0, 1.0);
  }

  void Rate(const Rule& r, uint64_t num, uint64_t den, IndicatorResult& ir) {
    ir.numerator = num;
    ir.denominator = den;
    if (den == 0) {
      ir.no_data = true;
      ir.rate = 0;
      ir.points = 0;
      return;
    }
    ir.rate = static_cast<double>(num) / static_cast<double>(den);
    ir.points = RatePoints(r, ir.rate);
  }

  void Note(IndicatorResult& ir, const EntityRef& e, std::string what) {
    if (ir.evidence.size() >= kMaxEvidence) return;
    ir.evidence.push_back(Evidence{
        std::string(model::EntityKindName(e.kind)) + "/" + e.community + "/" + Hex(e.entity),
        std::move(what)});
  }

  // Who a record is, as a person may see it: a household's card number, a person's masked name.
  std::string Who(const Entity& e) {
    if (e.ref.kind == EntityKind::kHousehold) return "登记卡" + Text(e.state, "card_no");
    if (e.ref.kind == EntityKind::kPerson) {
      const Head* w = Winner(e.state, "name");
      if (w) {
        auto v = node_.replica().OpenValue(txn_, e.ref, "name", *w);
        if (v.ok() && *v)
          return "人员" + service::Mask(*cat_.Find(EntityKind::kPerson, "name"), **v);
      }
      return "人员" + Hex(e.ref.entity).substr(0, 8);
    }
    return Hex(e.ref.entity).substr(0, 8);
  }

  Result<const crdt::Change*> ChangeOf(const Id32& id) {
    auto it = changes_.find(id);
    if (it == changes_.end()) {
      ASSIGN_OR_RETURN(auto c, node_.replica().LoadChange(txn_, id));
      it = changes_.emplace(id, std::move(c)).first;
      if (changes_.size() > 100000) changes_.clear(), it = changes_.end();
      if (it == changes_.end()) return nullptr;
    }
    return it->second ? &*it->second : nullptr;
  }

  template <typename Fn>
  Status EachRecord(Community& c, Fn fn) {
    for (Entity& h : c.households)
      if (c.active_households.count(Hex(h.ref.entity))) RETURN_IF_ERROR(fn(h));
    for (Entity& p : c.persons)
      if (Active(p)) RETURN_IF_ERROR(fn(p));
    return Status::Ok();
  }

  static bool Active(const Entity& person) {
    std::string s = Text(person.state, "status");
    return s.empty() || s == "1";
  }

  Status Compute(Community& c, const Rule& r, uint64_t denied_events, IndicatorResult& ir) {
    const std::string& k = r.key;
    if (k == "fill_accuracy" || k == "tool_agreement" || k == "card_consistency") {
      uint64_t num = 0, den = 0;
      if (incremental_) {
        const RecordCounts& t = incremental_->at(c.code);
        num = k == "fill_accuracy" ? t.fill_num : k == "tool_agreement" ? t.tool_num : t.card_num;
        den = k == "fill_accuracy" ? t.fill_den : k == "tool_agreement" ? t.tool_den : t.card_den;
      } else {
        RETURN_IF_ERROR(EachRecord(c, [&](Entity& e) -> Status {
          ASSIGN_OR_RETURN(RecordCounts rc,
                           CountRecord(
                               cat_, e.ref, e.state, [&](const Id32& id) { return ChangeOf(id); },
                               [&](std::string_view key, std::string what) {
                                 if (key == k) Note(ir, e.ref, Who(e) + " " + what);
                               }));
          num += k == "fill_accuracy"    ? rc.fill_num
                 : k == "tool_agreement" ? rc.tool_num
                                         : rc.card_num;
          den += k == "fill_accuracy"    ? rc.fill_den
                 : k == "tool_agreement" ? rc.tool_den
                                         : rc.card_den;
          return Status::Ok();
        }));
      }
      Rate(r, num, den, ir);
    } else if (k == "profile") {
      uint64_t num = 0, den = 0;
      model::ValidationContext ctx;
      ctx.ref = &node_.ref();
      ctx.today = ref_date_;
      const EntityState* s = c.profile.empty() ? nullptr : &c.profile.front().state;
      for (const model::FieldDef* f : cat_.OfEntity(EntityKind::kCommunityProfile)) {
        ++den;
        std::string v = s ? Text(*s, f->key) : "";
        bool ok = !v.empty() && !model::CheckField(*f, v, ctx).problem;
        if (ok) {
          ++num;
        } else if (ir.evidence.size() < kMaxEvidence) {
          ir.evidence.push_back(
              {"community/" + c.code, f->label + (v.empty() ? "：未填写" : "：填写有误")});
        }
      }
      Rate(r, num, den, ir);
    } else if (k == "visit_coverage" || k == "update_frequency") {
      std::map<std::string, std::vector<Date>> visits;  // household hex -> dates
      for (const Entity& v : c.visits) {
        auto d = Date::Parse(Text(v.state, "date"));
        if (d) visits[Text(v.state, "household")].push_back(*d);
      }
      Date window = Date::FromDays(p_.to.DaysSinceEpoch() - kUpdateWindowDays);
      uint64_t num = 0, den = 0;
      for (const Entity& h : c.households) {
        std::string hex = Hex(h.ref.entity);
        if (!c.active_households.count(hex)) continue;
        ++den;
        bool hit = false;
        Date from = k == "visit_coverage" ? p_.from : window;
        for (const Date& d : visits[hex]) hit |= d >= from && d <= p_.to;
        if (!hit && k == "update_frequency") {
          uint64_t latest = LatestHlc(h.state);
          for (size_t i : c.members[hex]) latest = std::max(latest, LatestHlc(c.persons[i].state));
          Date last = DateOfHlc(latest);
          hit = latest && last >= window && last <= p_.to;
        }
        if (hit) {
          ++num;
        } else {
          Note(ir, h.ref,
               Who(h) + (k == "visit_coverage" ? "：考核期内无入户走访记录"
                                               : "：180天内无走访或数据更新"));
        }
      }
      Rate(r, num, den, ir);
    } else if (k == "leaks") {
      uint64_t leaks = 0;
      for (const Entity& in : c.inputs) {
        std::string n = Text(in.state, "leaks");
        if (!n.empty() && AllDigits(n)) leaks += std::stoull(n);
        if (!n.empty() && n != "0")
          ir.evidence.push_back({"assessment_input/" + c.code,
                                 "登记的泄露记录" + n + "条 " + Text(in.state, "leak_note")});
      }
      if (denied_events)
        ir.evidence.push_back(
            {"access_event", "违规查看或导出的尝试" + std::to_string(denied_events) + "次"});
      uint64_t count = leaks + denied_events;
      ir.numerator = count;
      ir.denominator = 0;
      ir.rate = 0;
      ir.points = std::max(0.0, r.points - static_cast<double>(count));
    } else if (k == "confidentiality") {
      static const char* kItems[] = {"confidentiality_rules", "terminal_rules", "pledge",
                                     "card_cabinet", "training"};
      if (c.inputs.empty()) {
        Rate(r, 0, 0, ir);
        ir.evidence.push_back({"assessment_input/" + c.code, "本期未录入保密检查"});
      } else {
        uint64_t met = 0;
        for (const char* item : kItems) {
          if (Text(c.inputs.front().state, item) == "1") {
            ++met;
          } else {
            ir.evidence.push_back(
                {"assessment_input/" + c.code,
                 cat_.Find(EntityKind::kAssessmentInput, item)->label + "：未达标"});
          }
        }
        Rate(r, met, 5, ir);
      }
    } else if (k == "media") {
      // One third each: paper cards archived (rated), terminals sealed and recently synced, the
      // community node recently synced with the hub.
      std::map<std::string, Date> archived_on;  // card number -> date archived
      for (const Entity& card : c.cards) {
        auto d = Date::Parse(Text(card.state, "archived"));
        if (d) archived_on[Text(card.state, "card_no")] = *d;
      }
      uint64_t archived = 0, households = 0;
      for (const Entity& h : c.households) {
        if (!c.active_households.count(Hex(h.ref.entity))) continue;
        ++households;
        auto it = archived_on.find(Text(h.state, "card_no"));
        if (it != archived_on.end() && it->second <= p_.to) {
          ++archived;
        } else {
          Note(ir, h.ref, Who(h) + "：登记卡未归档");
        }
      }
      double paper =
          households ? RatePoints(Rule{"", "", "", 1, r.target, r.floor, "", ""},
                                  static_cast<double>(archived) / static_cast<double>(households))
                     : 0;
      uint64_t good_terminals = 0;
      for (const Entity& t : c.terminals) {
        auto last = service::ParseIsoMillis(Text(t.state, "last_sync"));
        bool recent = last && DateOfMillis(*last).DaysSinceEpoch() >=
                                  ref_date_.DaysSinceEpoch() - kRecentDays;
        bool sealed = Text(t.state, "sealed") == "yes";
        if (recent && sealed) {
          ++good_terminals;
        } else {
          Note(ir, t.ref,
               std::string("终端") + (sealed ? "" : "未加密存储 ") + (recent ? "" : "7天内未同步"));
        }
      }
      double terminals = c.terminals.empty() ? 0
                                             : static_cast<double>(good_terminals) /
                                                   static_cast<double>(c.terminals.size());
      ASSIGN_OR_RETURN(bool hub_synced, HubSynced(c.code));
      if (!hub_synced) ir.evidence.push_back({"community/" + c.code, "社区节点7天内未与枢纽同步"});
      ir.numerator = archived;
      ir.denominator = households;
      ir.rate = households ? static_cast<double>(archived) / static_cast<double>(households) : 0;
      ir.no_data = households == 0 && c.terminals.empty();
      ir.points = r.points * (paper + terminals + (hub_synced ? 1.0 : 0.0)) / 3.0;
    } else if (k == "exchange") {
      uint64_t num = 0, den = 0;
      for (const Entity& t : c.transfers) {
        auto out = Date::Parse(Text(t.state, "out_date"));
        if (!out || *out < p_.from || *out > p_.to) continue;
        auto acc = Date::Parse(Text(t.state, "accept_date"));
        bool accepted = Text(t.state, "status") == "2" && acc;
        int64_t waited =
            (accepted ? acc->DaysSinceEpoch() : ref_date_.DaysSinceEpoch()) - out->DaysSinceEpoch();
        if (!accepted && waited <= kExchangeDays) continue;  // not yet due
        ++den;
        if (accepted && waited <= kExchangeDays) {
          ++num;
        } else {
          Note(ir, t.ref,
               "迁移" + (accepted ? "于" + std::to_string(waited) + "天后才接收"
                                  : "已等待" + std::to_string(waited) + "天未接收"));
        }
      }
      ir.numerator = num;
      ir.denominator = den;
      if (den == 0) {
        ir.rate = 1;  // nothing to exchange: full points
        ir.points = r.points;
      } else {
        ir.rate = static_cast<double>(num) / static_cast<double>(den);
        ir.points = RatePoints(r, ir.rate);
      }
    } else if (k == "shared_data") {
      uint64_t num = 0, den = 0;
      RETURN_IF_ERROR(EachRecord(c, [&](Entity& e) -> Status {
        std::optional<Date> birth;
        if (e.ref.kind == EntityKind::kPerson) {
          const Head* w = Winner(e.state, "birth_date");
          if (w) {
            auto v = node_.replica().OpenValue(txn_, e.ref, "birth_date", *w);
            if (v.ok() && *v) birth = Date::Parse(**v);
          }
        }
        for (const model::FieldDef* f : cat_.OfEntity(e.ref.kind)) {
          if (!Counted(*f) || f->required.kind == model::Requirement::kNever) continue;
          if (!Applies(e, *f, birth)) continue;
          ++den;
          if (Filled(e.state, f->key)) {
            ++num;
          } else {
            Note(ir, e.ref, Who(e) + " " + f->label + "：应填未填");
          }
        }
        return Status::Ok();
      }));
      Rate(r, num, den, ir);
    } else if (k == "innovation") {
      std::string v = c.inputs.empty() ? "" : Text(c.inputs.front().state, "innovation");
      if (v.empty() || !AllDigits(v)) {
        Rate(r, 0, 0, ir);
        ir.evidence.push_back({"assessment_input/" + c.code, "本期未录入创新服务得分"});
      } else {
        double score = std::min<double>(std::stoi(v), r.points);
        ir.numerator = static_cast<uint64_t>(score);
        ir.denominator = static_cast<uint64_t>(r.points);
        ir.rate = r.points > 0 ? score / r.points : 0;
        ir.points = score;
        std::string note = Text(c.inputs.front().state, "innovation_note");
        if (!note.empty()) ir.evidence.push_back({"assessment_input/" + c.code, note});
      }
    }
    return Status::Ok();
  }

  bool Applies(const Entity& e, const model::FieldDef& f, const std::optional<Date>& birth) {
    const model::Requirement& q = f.required;
    auto other = [&]() -> std::optional<std::string> {
      const Head* w = Winner(e.state, q.other);
      if (!w || !w->filled()) return std::nullopt;
      auto v = node_.replica().OpenValue(txn_, e.ref, q.other, *w);
      return v.ok() ? *v : std::nullopt;
    };
    switch (q.kind) {
      case model::Requirement::kNever:
        return false;
      case model::Requirement::kAlways:
        return true;
      case model::Requirement::kMinAge:
        return birth && birth->AgeOn(p_.to) >= q.min_age;
      case model::Requirement::kUnlessEquals: {
        auto v = other();
        return !v || *v != q.value;
      }
      case model::Requirement::kIfFilled:
        return Filled(e.state, q.other);
      case model::Requirement::kIfEquals: {
        auto v = other();
        return v && *v == q.value;
      }
    }
    return false;
  }

  // Whether the community's own node and the hub completed a sync within the last 7 days, as
  // this node knows it: the hub from its peer record of the community node, the community node
  // from its peer record of a hub.
  Result<bool> HubSynced(const std::string& community) {
    ASSIGN_OR_RETURN(auto peers, service::ReadPeers(node_, txn_));
    int64_t since = ref_date_.DaysSinceEpoch() - kRecentDays;
    bool self_community =
        node_.cert().kind == trust::NodeKind::kCommunity && node_.cert().InScope(community);
    for (const auto& [id, rec] : peers) {
      const trust::Signer* s = node_.trust().Find(id);
      if (!s || rec.last_sync == 0) continue;
      bool pair = self_community
                      ? s->cert.kind == trust::NodeKind::kHub
                      : (node_.cert().kind == trust::NodeKind::kHub &&
                         s->cert.kind == trust::NodeKind::kCommunity && s->cert.InScope(community));
      if (pair && DateOfMillis(rec.last_sync).DaysSinceEpoch() >= since) return true;
    }
    return false;
  }

  service::Node& node_;
  const store::Txn& txn_;
  const Period& p_;
  const Rules& rules_;
  const model::Catalog& cat_;
  Date ref_date_;
  std::map<Id32, std::optional<crdt::Change>> changes_;
  const std::map<std::string, RecordCounts>* incremental_;
};

}  // namespace

Report::Report(const Report& o)
    : period(o.period), rules(o.rules), communities(o.communities), districts(o.districts) {
  Repoint();
}

Report& Report::operator=(const Report& o) {
  if (this != &o) {
    period = o.period;
    rules = o.rules;
    communities = o.communities;
    districts = o.districts;
    Repoint();
  }
  return *this;
}

void Report::Repoint() {
  for (CommunityScore& c : communities)
    for (size_t i = 0; i < c.indicators.size() && i < rules.rules.size(); ++i)
      c.indicators[i].rule = &rules.rules[i];
}

RecordCounts& RecordCounts::operator+=(const RecordCounts& o) {
  fill_num += o.fill_num;
  fill_den += o.fill_den;
  tool_num += o.tool_num;
  tool_den += o.tool_den;
  card_num += o.card_num;
  card_den += o.card_den;
  return *this;
}

Result<Report> Score(service::Node& node, const Period& period, std::string_view scope,
                     const Rules& rules, const ScoreOptions& options) {
  Report rep;
  rep.period = period;
  rep.rules = rules;
  ASSIGN_OR_RETURN(store::ReadTxn r, node.store().BeginRead());
  const model::Divisions& div = node.ref().divisions();
  std::map<std::string, Community> communities;
  auto community = [&](const std::string& code) -> Community* {
    if (!StartsWith(code, scope) || !div.IsResidentUnit(code)) return nullptr;
    Community& c = communities[code];
    c.code = code;
    return &c;
  };
  ASSIGN_OR_RETURN(std::vector<std::string> held, node.replica().Communities(r));
  for (const std::string& code : held) community(code);
  struct Kind {
    EntityKind kind;
    std::vector<Entity> Community::*list;
  };
  const Kind kKinds[] = {{EntityKind::kHousehold, &Community::households},
                         {EntityKind::kPerson, &Community::persons},
                         {EntityKind::kVisit, &Community::visits},
                         {EntityKind::kTransfer, &Community::transfers},
                         {EntityKind::kTerminalReport, &Community::terminals},
                         {EntityKind::kCommunityProfile, &Community::profile},
                         {EntityKind::kAssessmentInput, &Community::inputs},
                         {EntityKind::kCard, &Community::cards}};
  for (const Kind& k : kKinds) {
    RETURN_IF_ERROR(node.replica().ScanEntities(
        r, scope, k.kind, [&](const EntityRef& e, const EntityState& s) -> Status {
          Community* c = community(e.community);
          if (!c) return Status::Ok();
          if (k.kind == EntityKind::kAssessmentInput && Text(s, "period") != period.label)
            return Status::Ok();
          (c->*k.list).push_back(Entity{e, s});
          return Status::Ok();
        }));
  }
  for (auto& [code, c] : communities) {
    for (size_t i = 0; i < c.persons.size(); ++i) {
      std::string hh = Text(c.persons[i].state, "household");
      c.members[hh].push_back(i);
      std::string status = Text(c.persons[i].state, "status");
      if (status.empty() || status == "1") c.active_households.insert(hh);
    }
  }
  // Attempted violations (refused reveals and exports) in the period, by the community named.
  std::map<std::string, uint64_t> denied;
  RETURN_IF_ERROR(node.replica().ScanEntities(
      r, "", EntityKind::kAccessEvent, [&](const EntityRef&, const EntityState& s) -> Status {
        std::string action = Text(s, "action");
        if ((action != "reveal" && action != "export") || Text(s, "outcome") != "denied")
          return Status::Ok();
        const Head* w = Winner(s, "action");
        Date d = DateOfHlc(w ? w->hlc : 0);
        if (d < period.from || d > period.to) return Status::Ok();
        std::string target = Text(s, "target");
        for (auto& [code, c] : communities)
          if (target.find(code) != std::string::npos) ++denied[code];
        return Status::Ok();
      }));
  std::optional<std::map<std::string, RecordCounts>> kept;
  if (options.incremental) {
    ASSIGN_OR_RETURN(kept, KeptCounts(node, r, scope));
    if (kept)
      for (const auto& [code, c] : communities) (*kept)[code];  // zero for those with no record
  }
  // The indicators point at the report's own copy of the rules.
  Scorer scorer(node, r, period, rep.rules, kept ? &*kept : nullptr);
  for (auto& [code, c] : communities) {
    ASSIGN_OR_RETURN(CommunityScore cs, scorer.Score(c, denied[code]));
    rep.communities.push_back(std::move(cs));
  }
  auto by_total = [](const auto& a, const auto& b) {
    return a.total != b.total ? a.total > b.total : a.code < b.code;
  };
  std::sort(rep.communities.begin(), rep.communities.end(), by_total);
  for (size_t i = 0; i < rep.communities.size(); ++i)
    rep.communities[i].rank = static_cast<int>(i) + 1;
  // Districts: household-weighted means of their communities.
  std::map<std::string, std::vector<const CommunityScore*>> by_district;
  for (const CommunityScore& c : rep.communities) by_district[c.district].push_back(&c);
  for (const auto& [code, list] : by_district) {
    DistrictScore d;
    d.code = code;
    const model::Division* dv = div.Find(code + "000000");
    d.name = dv ? dv->name : code;
    double weight = 0;
    for (const CommunityScore* c : list) weight += static_cast<double>(c->households);
    d.indicator_points.assign(rules.rules.size(), 0);
    for (const CommunityScore* c : list) {
      double w = weight > 0 ? static_cast<double>(c->households) / weight
                            : 1.0 / static_cast<double>(list.size());
      d.households += c->households;
      for (size_t i = 0; i < rules.rules.size(); ++i)
        d.indicator_points[i] += w * c->indicators[i].points;
      d.total += w * c->total;
    }
    for (double& x : d.indicator_points) x = Round2(x);
    d.total = Round2(d.total);
    d.grade = GradeOf(d.total);
    rep.districts.push_back(std::move(d));
  }
  std::sort(rep.districts.begin(), rep.districts.end(), by_total);
  for (size_t i = 0; i < rep.districts.size(); ++i) rep.districts[i].rank = static_cast<int>(i) + 1;
  return rep;
}

}  // namespace shequ::scoring
