#include "ui/vm/card_form.h"

#include <algorithm>
#include <chrono>
#include <future>

#include "devices/enrol.h"
#include "devices/id_reader.h"
#include "devices/id_text.h"
#include "node/base/text.h"
#include "node/model/validate.h"
#include "node/service/cards.h"
#include "node/service/node.h"

namespace shequ::ui {

namespace {

constexpr std::string_view kCardKeys[] = {"card_no", "community"};
// One row per member: what every card has for every person, in card order. The rest of a
// member's fields (departments' items) are in the detail block under the grid.
constexpr std::string_view kGridKeys[] = {
    "name",         "gender",           "ethnicity", "birth_date", "doc_type",  "id_number",
    "relationship", "residence_status", "marital",   "education",  "employment"};

const std::string kEmpty;

std::string_view BlockName(Block b) {
  switch (b) {
    case Block::kCard:
      return "card";
    case Block::kHousehold:
      return "household";
    case Block::kMember:
      return "m";
    case Block::kVisit:
      return "visit";
  }
  return "";
}

crdt::Tool ToolOf(EntryTool t) {
  switch (t) {
    case EntryTool::kCard:
      return crdt::Tool::kCard;
    case EntryTool::kPlatform:
      return crdt::Tool::kPlatform;
    case EntryTool::kTerminal:
      return crdt::Tool::kTerminal;
  }
  return crdt::Tool::kCard;
}

bool IsCodeType(const model::FieldDef* f) {
  return f && f->codes &&
         (f->type == model::FieldType::kCode || f->type == model::FieldType::kList);
}

// The item of a list field being typed: what follows the last comma.
std::string_view LastItem(std::string_view text) {
  size_t comma = text.rfind(',');
  return comma == std::string_view::npos ? Trim(text) : Trim(text.substr(comma + 1));
}

std::string_view BeforeLastItem(std::string_view text) {
  size_t comma = text.rfind(',');
  return comma == std::string_view::npos ? std::string_view() : text.substr(0, comma + 1);
}

}  // namespace

std::string WidgetName(const FieldKey& k) {
  if (k.block == Block::kMember) return "m" + std::to_string(k.member + 1) + "." + k.key;
  return std::string(BlockName(k.block)) + "." + k.key;
}

std::string_view EntryToolLabel(EntryTool t) { return crdt::ToolLabel(ToolOf(t)); }

// A read of the ID card reader on its own thread (the driver blocks for up to seconds).
struct CardForm::IdRead {
  int member = 0;
  std::future<Result<devices::IdCardRead>> pending;
  // Reads applied to members, kept until the save stores them as terminal data.
  std::map<int, devices::IdCardRead> applied;
};

CardForm::CardForm(Session& session) : session_(session), id_(std::make_unique<IdRead>()) {
  if (session_.node().cert().kind == trust::NodeKind::kTerminal) tool_ = EntryTool::kTerminal;
  Clear();
}

CardForm::~CardForm() = default;

std::span<const std::string_view> CardForm::Keys(Block b) {
  switch (b) {
    case Block::kCard:
      return kCardKeys;
    case Block::kHousehold:
      return model::CardKeys("household");
    case Block::kMember:
      return model::CardKeys("member");
    case Block::kVisit:
      return model::CardKeys("visit");
  }
  return {};
}

std::span<const std::string_view> CardForm::GridKeys() { return kGridKeys; }

std::vector<std::string_view> CardForm::DetailKeys() {
  std::vector<std::string_view> out;
  for (std::string_view k : model::CardKeys("member")) {
    // Fingerprints come from the scanner (person enroll-finger), never from the keyboard.
    if (k == "fingerprint") continue;
    if (std::find(std::begin(kGridKeys), std::end(kGridKeys), k) == std::end(kGridKeys))
      out.push_back(k);
  }
  return out;
}

const model::FieldDef* CardForm::Def(const FieldKey& k) const {
  const model::Catalog& cat = session_.ref().catalog();
  switch (k.block) {
    case Block::kCard:
    case Block::kHousehold:
      return cat.Find(model::EntityKind::kHousehold, k.key);
    case Block::kMember:
      return cat.Find(model::EntityKind::kPerson, k.key);
    case Block::kVisit:
      return cat.Find(model::EntityKind::kVisit, k.key);
  }
  return nullptr;
}

std::string* CardForm::Slot(const FieldKey& k) {
  switch (k.block) {
    case Block::kCard:
      if (k.key == "card_no") return &card_no_;
      if (k.key == "community") return &community_;
      return nullptr;
    case Block::kHousehold:
      return &household_[k.key];
    case Block::kMember:
      if (k.member < 0 || k.member >= members()) return nullptr;
      return &members_[static_cast<size_t>(k.member)][k.key];
    case Block::kVisit:
      return &visit_[k.key];
  }
  return nullptr;
}

const std::string& CardForm::Get(const FieldKey& k) const {
  const model::FieldValues* values = nullptr;
  switch (k.block) {
    case Block::kCard:
      if (k.key == "card_no") return card_no_;
      if (k.key == "community") return community_;
      return kEmpty;
    case Block::kHousehold:
      values = &household_;
      break;
    case Block::kMember:
      if (k.member < 0 || k.member >= members()) return kEmpty;
      values = &members_[static_cast<size_t>(k.member)];
      break;
    case Block::kVisit:
      values = &visit_;
      break;
  }
  auto it = values->find(k.key);
  return it == values->end() ? kEmpty : it->second;
}

void CardForm::Set(const FieldKey& k, std::string value) {
  std::string* slot = Slot(k);
  if (!slot) return;
  if (*slot == value) return;
  *slot = std::move(value);
  touched_.insert(k);
  Revalidate();
}

void CardForm::Left(const FieldKey& k) {
  touched_.insert(k);
  if (IsCode(k)) {
    std::vector<Suggestion> s = Suggest(k, 50);
    if (!s.empty())
      AcceptSuggestion(
          k, std::min<size_t>(static_cast<size_t>(std::max(highlight_, 0)), s.size() - 1));
  }
  highlight_ = 0;
  Revalidate();
}

bool CardForm::IsCode(const FieldKey& k) const { return IsCodeType(Def(k)); }

std::vector<Suggestion> CardForm::Suggest(const FieldKey& k, size_t max) const {
  std::vector<Suggestion> out;
  const model::FieldDef* f = Def(k);
  if (!IsCodeType(f)) return out;
  std::string_view text = Trim(Get(k));
  if (f->type == model::FieldType::kList) text = LastItem(text);
  if (text.empty() || f->codes->Contains(text)) return out;
  for (const model::CodeTable::Entry* e : f->codes->Filter(text)) {
    if (out.size() >= max) break;
    out.push_back({e->code, e->label});
  }
  return out;
}

std::string CardForm::CodeLabel(const FieldKey& k) const {
  const model::FieldDef* f = Def(k);
  if (!IsCodeType(f)) return "";
  std::string_view text = Trim(Get(k));
  if (f->type == model::FieldType::kCode) return std::string(f->codes->Label(text));
  std::string out;
  for (std::string_view item : Split(text, ',')) {
    std::string_view label = f->codes->Label(Trim(item));
    if (label.empty()) return "";
    if (!out.empty()) out += "、";
    out += label;
  }
  return out;
}

void CardForm::MoveHighlight(int delta, size_t count) {
  if (count == 0) {
    highlight_ = 0;
    return;
  }
  int n = static_cast<int>(count);
  highlight_ = ((highlight_ + delta) % n + n) % n;
}

void CardForm::AcceptSuggestion(const FieldKey& k, size_t index) {
  std::vector<Suggestion> s = Suggest(k, index + 1);
  if (index >= s.size()) return;
  const model::FieldDef* f = Def(k);
  std::string value = s[index].code;
  if (f->type == model::FieldType::kList) {
    value = std::string(BeforeLastItem(Get(k))) + value;
  }
  highlight_ = 0;
  Set(k, value);
}

void CardForm::AddMember() {
  members_.emplace_back();
  selected_ = members() - 1;
  Revalidate();
}

void CardForm::ShiftMembers(int removed) {
  std::set<FieldKey> touched;
  for (FieldKey k : touched_) {
    if (k.block == Block::kMember) {
      if (k.member == removed) continue;
      if (k.member > removed) --k.member;
    }
    touched.insert(std::move(k));
  }
  touched_ = std::move(touched);
  std::map<int, devices::IdCardRead> applied;
  for (auto& [m, read] : id_->applied) {
    if (m == removed) continue;
    applied.emplace(m > removed ? m - 1 : m, std::move(read));
  }
  id_->applied = std::move(applied);
}

void CardForm::RemoveMember(int m) {
  if (m < 0 || m >= members()) return;
  members_.erase(members_.begin() + m);
  ShiftMembers(m);
  if (members_.empty()) members_.emplace_back();
  selected_ = std::clamp(selected_, 0, members() - 1);
  Revalidate();
}

void CardForm::Select(int m) {
  if (m >= 0 && m < members()) selected_ = m;
}

model::Card CardForm::ToCard() const {
  model::Card c;
  c.card_no = std::string(Trim(card_no_));
  c.community = std::string(Trim(community_));
  auto copy = [](const model::FieldValues& in) {
    model::FieldValues out;
    for (const auto& [k, v] : in)
      if (!Trim(v).empty()) out[k] = v;
    return out;
  };
  c.household = copy(household_);
  for (const auto& m : members_) {
    model::FieldValues values = copy(m);
    // A row left entirely empty is not a member (the grid always offers one more).
    if (!values.empty() || members_.size() == 1) c.members.push_back(std::move(values));
  }
  c.visit = copy(visit_);
  c.has_visit = true;
  return c;
}

void CardForm::Revalidate() {
  model::Card card = ToCard();
  // Members as the form numbers them: ToCard drops empty rows, so map back.
  std::vector<int> form_index;
  for (int i = 0; i < members(); ++i) {
    bool empty = true;
    for (const auto& [k, v] : members_[static_cast<size_t>(i)])
      if (!Trim(v).empty()) empty = false;
    if (!empty || members() == 1) form_index.push_back(i);
  }
  model::CardCheck check;
  existing_household_.clear();
  {
    auto r = session_.node().store().BeginRead();
    if (!r.ok()) {
      problems_ = {ShownProblem{true, "store", r.status().message(), "", ""}};
      at_field_.clear();
      return;
    }
    if (!card.card_no.empty()) {
      auto found = session_.node().replica().FindByCard(*r, card.card_no);
      if (found.ok())
        for (const crdt::EntityRef& h : *found)
          if (h.community == card.community) existing_household_ = Hex(h.entity);
    }
    model::ValidationContext ctx =
        service::MakeValidationContext(session_.node(), *r, existing_household_, Today());
    check = model::CheckCard(card, ctx);
  }
  problems_.clear();
  at_field_.clear();
  for (const model::Problem& p : check.problems) {
    ShownProblem s;
    s.error = p.severity == model::Severity::kError;
    s.code = p.code;
    s.message = p.message;
    std::optional<FieldKey> key;
    const model::FieldDef* def = nullptr;
    if (!p.field.empty()) {
      if (p.member >= 0 && static_cast<size_t>(p.member) < form_index.size()) {
        key = MemberField(form_index[static_cast<size_t>(p.member)], p.field);
      } else if (p.member < 0 && (p.field == "card_no" || p.field == "community")) {
        key = CardField(p.field);
      } else if (p.member < 0 && p.block == "household") {
        key = HouseholdField(p.field);
      } else if (p.member < 0 && p.block == "visit") {
        key = VisitField(p.field);
      }
      if (key) def = Def(*key);
      if (!def) key.reset();
    }
    if (key) {
      s.field = WidgetName(*key);
      // The block, and the field's label unless the message names it already.
      std::string label = s.message.find(def->label) == std::string::npos ? def->label : "";
      auto join = [](std::string a, const std::string& b) {
        return b.empty() ? a : a.empty() ? b : a + " " + b;
      };
      switch (key->block) {
        case Block::kCard:
          s.where = label;
          break;
        case Block::kHousehold:
          s.where = join("户", label);
          break;
        case Block::kMember:
          s.where = join("第" + std::to_string(key->member + 1) + "位成员", label);
          break;
        case Block::kVisit:
          s.where = join("走访", label);
          break;
      }
      at_field_.emplace_back(*key, problems_.size());
    } else if (p.member >= 0) {
      s.where = "第" + std::to_string(p.member + 1) + "位成员";
    }
    problems_.push_back(std::move(s));
  }
}

std::optional<ShownProblem> CardForm::ProblemAt(const FieldKey& k) const {
  if (!save_attempted_ && !touched(k)) return std::nullopt;
  const ShownProblem* best = nullptr;
  for (const auto& [key, index] : at_field_) {
    if (!(key == k)) continue;
    const ShownProblem& p = problems_[index];
    if (!best || (p.error && !best->error)) best = &p;
  }
  if (!best) return std::nullopt;
  return *best;
}

std::vector<ShownProblem> CardForm::CardProblems() const {
  std::vector<ShownProblem> out;
  // Shown once the card has been tried, or once some member's relationship has been filled in
  // (a household's composition is judged from its relationships).
  bool relationships = false;
  for (int m = 0; m < members(); ++m)
    if (touched(MemberField(m, "relationship"))) relationships = true;
  if (!save_attempted_ && !relationships) return out;
  for (const ShownProblem& p : problems_)
    if (p.field.empty()) out.push_back(p);
  return out;
}

size_t CardForm::errors() const {
  return static_cast<size_t>(
      std::count_if(problems_.begin(), problems_.end(), [](const auto& p) { return p.error; }));
}

size_t CardForm::warnings() const { return problems_.size() - errors(); }

void CardForm::Clear() {
  std::string community = community_;
  model::FieldValues visit = visit_;
  card_no_.clear();
  household_.clear();
  members_.assign(1, model::FieldValues{});
  touched_.clear();
  save_attempted_ = false;
  selected_ = 0;
  highlight_ = 0;
  id_->applied.clear();
  std::vector<std::string> communities = session_.Communities();
  community_ = !community.empty()        ? community
               : communities.size() == 1 ? communities.front()
                                         : std::string();
  visit_.clear();
  visit_["date"] = visit.count("date") ? visit["date"] : Today().ToString();
  visit_["collector"] = visit.count("collector") ? visit["collector"] : session_.op();
  Revalidate();
}

bool CardForm::can_read_id() const { return !session_.options().id_port.empty(); }

bool CardForm::id_reading() const { return id_->pending.valid(); }

void CardForm::StartIdRead(int member) {
  if (id_reading() || member < 0 || member >= members()) return;
  if (!can_read_id()) {
    id_message_ = "未配置身份证阅读器（启动时用 --id-port 指定串口）";
    id_message_error_ = true;
    return;
  }
  id_->member = member;
  id_message_ = "正在读卡，请将身份证放在阅读器上…";
  id_message_error_ = false;
  std::string port = session_.options().id_port;
  const model::Reference* ref = &session_.ref();
  Date today = Today();
  id_->pending =
      std::async(std::launch::async, [port, ref, today]() -> Result<devices::IdCardRead> {
        ASSIGN_OR_RETURN(devices::IdCardReader reader, devices::IdCardReader::Open(port));
        ASSIGN_OR_RETURN(devices::IdCardReader::RawRead raw, reader.ReadCard());
        devices::IdCardRead read =
            devices::InterpretIdCard(std::move(raw.text), std::move(raw.photo), *ref, today);
        read.sam_id = raw.sam_id;
        return read;
      });
}

void CardForm::Poll() {
  if (!id_reading()) return;
  if (id_->pending.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return;
  Result<devices::IdCardRead> r = id_->pending.get();
  int m = id_->member;
  if (!r.ok()) {
    id_message_ = "读卡失败：" + r.status().message();
    id_message_error_ = true;
    return;
  }
  if (m >= members()) return;
  for (const auto& [k, v] : r->fields) {
    FieldKey key = MemberField(m, k);
    if (std::string* slot = Slot(key)) *slot = v;
    touched_.insert(key);
  }
  id_message_ = "已读取" + std::string(devices::IdDocKindLabel(r->text.kind)) + "（阅读器 " +
                r->sam_id + "），填入第" + std::to_string(m + 1) + "位成员";
  id_message_error_ = r->has_errors() || r->expired;
  if (r->expired) id_message_ += "；证件已过期";
  id_->applied[m] = std::move(*r);
  Revalidate();
}

bool CardForm::from_device(const FieldKey& k) const {
  if (k.block != Block::kMember) return false;
  auto it = id_->applied.find(k.member);
  if (it == id_->applied.end()) return false;
  auto f = it->second.fields.find(k.key);
  return f != it->second.fields.end() && f->second == Get(k);
}

const CardForm::SaveResult& CardForm::Save() {
  SaveResult out;
  save_attempted_ = true;
  Revalidate();
  model::Card card = ToCard();
  out.card_no = card.card_no;
  if (Status st = session_.CheckWritable(); !st.ok()) {
    out.message = "未保存：" + st.message();
    return last_save_.emplace(std::move(out));
  }
  if (errors() > 0) {
    out.message = "未保存：登记卡有 " + std::to_string(errors()) + " 处错误，请按红色提示改正";
    out.problems = problems_;
    return last_save_.emplace(std::move(out));
  }
  service::ImportOptions o;
  o.tool = ToolOf(tool_);
  o.op = session_.op();
  o.today = Today();
  std::optional<service::CardResult> result;
  Status st = service::ImportCards(session_.node(), {model::ParsedCard{card, {}, 0}}, o,
                                   [&](const service::CardResult& r) { result = r; });
  if (!st.ok() || !result) {
    out.message = "未保存：" + (st.ok() ? std::string("没有结果") : st.message());
    return last_save_.emplace(std::move(out));
  }
  for (const model::Problem& p : result->problems)
    out.problems.push_back(ShownProblem{
        p.severity == model::Severity::kError, p.code, p.message,
        p.member >= 0 ? "第" + std::to_string(p.member + 1) + "位成员 " + p.field : p.field, ""});
  out.household = result->household;
  out.persons = result->persons;
  out.changes = result->changes;
  switch (result->outcome) {
    case service::CardResult::Outcome::kRefused:
      out.message = "未保存：登记卡被拒绝（见下列原因）";
      return last_save_.emplace(std::move(out));
    case service::CardResult::Outcome::kUnchanged:
      out.stored = true;
      out.message = "登记卡 " + card.card_no + " 与已保存的内容相同，未写入";
      break;
    case service::CardResult::Outcome::kStored:
    case service::CardResult::Outcome::kUpdated:
      out.stored = true;
      out.message =
          std::string(result->outcome == service::CardResult::Outcome::kStored ? "已保存"
                                                                               : "已更新") +
          "登记卡 " + card.card_no + "：" + std::to_string(result->persons) + " 人，" +
          std::to_string(result->changes) + " 条变更";
      break;
  }
  // Members whose identity fields came from the ID card reader, unchanged since: store the read
  // as terminal data too (tool terminal, the reader's SAM id), as `person read-id` does.
  if (!id_->applied.empty()) {
    std::vector<std::pair<crdt::EntityRef, const devices::IdCardRead*>> reads;
    {
      auto r = session_.node().store().BeginRead();
      if (r.ok()) {
        for (const auto& [m, read] : id_->applied) {
          bool unchanged = true;
          for (const auto& [k, v] : read.fields)
            if (Get(MemberField(m, k)) != v) unchanged = false;
          auto id = read.fields.find("id_number");
          if (!unchanged || id == read.fields.end()) continue;
          auto persons = session_.node().replica().FindByIdNumber(*r, id->second);
          if (!persons.ok()) continue;
          for (const crdt::EntityRef& p : *persons)
            if (p.community == card.community) reads.emplace_back(p, &read);
        }
      }
    }
    for (const auto& [person, read] : reads) {
      auto stored =
          devices::StoreIdCardRead(session_.node(), person, *read, session_.op(), Today());
      if (stored.ok() && stored->stored) out.device_fields += stored->fields;
    }
    if (out.device_fields)
      out.message +=
          "；身份证阅读器读取的 " + std::to_string(out.device_fields) + " 项另记为终端数据";
  }
  const SaveResult& saved = last_save_.emplace(std::move(out));
  Clear();
  return saved;
}

}  // namespace shequ::ui
