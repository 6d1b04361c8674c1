// The registration card entry form's view model (CARD.md, docs/UI.md "Card entry"): what is
// typed, validation as you type, code look-ups for drop-downs, the ID card reader, and the save
// intent. No ImGui: the panel draws what this holds and calls the intents.
//
// Validation: every edit re-runs model::CheckCard over the whole card (the same rules an import
// applies, the replica consulted in one short read transaction). A problem is shown at its field
// once the field has been touched (edited, or left by Tab); after a save attempt every problem
// is shown. Errors are red and refuse the save; warnings are amber and are saved.
#pragma once

#include <compare>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "node/model/card.h"
#include "node/model/reference.h"
#include "ui/vm/session.h"

namespace shequ::ui {

enum class Block { kCard, kHousehold, kMember, kVisit };

// One input of the form.
struct FieldKey {
  Block block = Block::kCard;
  int member = -1;  // kMember: 0-based member index; -1 otherwise
  std::string key;  // card key, e.g. "id_number"
  auto operator<=>(const FieldKey&) const = default;
};
inline FieldKey CardField(std::string key) { return {Block::kCard, -1, std::move(key)}; }
inline FieldKey HouseholdField(std::string key) { return {Block::kHousehold, -1, std::move(key)}; }
inline FieldKey MemberField(int m, std::string key) { return {Block::kMember, m, std::move(key)}; }
inline FieldKey VisitField(std::string key) { return {Block::kVisit, -1, std::move(key)}; }
// The widget name scripts click: card.card_no, household.address, m1.name (1-based), visit.date.
std::string WidgetName(const FieldKey& k);

// A problem as the form shows it.
struct ShownProblem {
  bool error = true;    // red; false: an amber warning
  std::string code;     // stable, e.g. id_check
  std::string message;  // Chinese, as validation wrote it
  std::string where;  // 第2位成员 证件号码, 户 现住址, 走访 走访日期, or "" for the card
  std::string field;  // widget name of the field, "" when the problem has no field
  bool operator==(const ShownProblem&) const = default;
};

struct Suggestion {
  std::string code, label;
};

// The tool the card's values are recorded as (the assessment compares the three).
enum class EntryTool { kCard, kPlatform, kTerminal };
std::string_view EntryToolLabel(EntryTool t);  // 登记卡, 平台, 终端

class CardForm {
 public:
  explicit CardForm(Session& session);
  ~CardForm();
  CardForm(const CardForm&) = delete;
  CardForm& operator=(const CardForm&) = delete;

  // Keys of each block in card order, which is the Tab order: card_no, community; the household
  // block; each member's grid row; the selected member's other fields; the visit.
  static std::span<const std::string_view> Keys(Block b);
  // The member keys of the grid (one row per member) and of the detail block below it.
  static std::span<const std::string_view> GridKeys();
  static std::vector<std::string_view> DetailKeys();
  const model::FieldDef* Def(const FieldKey& k) const;

  const std::string& Get(const FieldKey& k) const;
  // Sets what is typed in a field and revalidates.
  void Set(const FieldKey& k, std::string value);
  // The field lost the keyboard focus: it counts as touched; a code field holding a label's
  // text (not a code) takes the highlighted suggestion's code.
  void Left(const FieldKey& k);
  bool touched(const FieldKey& k) const { return touched_.count(k) > 0; }

  // The problem shown at a field (the first one, errors before warnings), if any.
  std::optional<ShownProblem> ProblemAt(const FieldKey& k) const;
  // Problems shown that belong to no input (no head of household, no members, ...).
  std::vector<ShownProblem> CardProblems() const;
  // Every problem validation found, shown or not, in card order.
  const std::vector<ShownProblem>& problems() const { return problems_; }
  size_t errors() const;
  size_t warnings() const;
  bool save_attempted() const { return save_attempted_; }

  // Code and list fields: entries whose code starts with, or whose label contains, what is typed
  // (for a list, its last item); empty when the text already is a code.
  bool IsCode(const FieldKey& k) const;
  std::vector<Suggestion> Suggest(const FieldKey& k, size_t max) const;
  // The label of the code(s) in a field ("男", "高血压、糖尿病"), "" when not a code.
  std::string CodeLabel(const FieldKey& k) const;
  // The highlighted suggestion of the field being typed in (arrow keys move it).
  int highlight() const { return highlight_; }
  void MoveHighlight(int delta, size_t count);
  void set_highlight(int h) { highlight_ = h; }
  // Puts the code of suggestion `index` (of Suggest(k, max)) into the field.
  void AcceptSuggestion(const FieldKey& k, size_t index);

  int members() const { return static_cast<int>(members_.size()); }
  void AddMember();
  void RemoveMember(int m);
  int selected() const { return selected_; }
  void Select(int m);

  EntryTool tool() const { return tool_; }
  void set_tool(EntryTool t) { tool_ = t; }
  // The household this card number already belongs to ("" for a new card): saving updates it.
  const std::string& existing_household() const { return existing_household_; }

  // --- the ID card reader (docs/DEVICES.md)
  bool can_read_id() const;
  // Reads a card on a background thread; Poll() fills the member's identity fields from it.
  void StartIdRead(int member);
  bool id_reading() const;
  void Poll();
  const std::string& id_message() const { return id_message_; }
  bool id_message_error() const { return id_message_error_; }
  // The field holds what the reader read (it is saved as terminal data too).
  bool from_device(const FieldKey& k) const;

  // --- save
  struct SaveResult {
    bool stored = false;
    std::string message;
    std::vector<ShownProblem> problems;  // errors (refused) or warnings (stored)
    std::string card_no, household;      // household entity id, hex
    size_t persons = 0, changes = 0;
    size_t device_fields = 0;  // fields stored again as terminal data from ID card reads
  };
  // Validates; refuses a card with errors (every problem is then shown); otherwise imports it
  // (service::ImportCards, one card) and starts a new card.
  const SaveResult& Save();
  const std::optional<SaveResult>& last_save() const { return last_save_; }
  // A new, empty card (the community, visit date, collector and tool are kept).
  void Clear();

  // The card as typed: empty inputs are absent keys.
  model::Card ToCard() const;

 private:
  struct IdRead;
  std::string* Slot(const FieldKey& k);
  void Revalidate();
  void ShiftMembers(int removed);

  Session& session_;
  std::string card_no_, community_;
  model::FieldValues household_, visit_;
  std::vector<model::FieldValues> members_;
  std::set<FieldKey> touched_;
  std::vector<ShownProblem> problems_;
  std::vector<std::pair<FieldKey, size_t>> at_field_;  // field -> index into problems_
  bool save_attempted_ = false;
  int selected_ = 0;
  int highlight_ = 0;
  EntryTool tool_ = EntryTool::kCard;
  std::string existing_household_;
  std::optional<SaveResult> last_save_;
  std::unique_ptr<IdRead> id_;
  std::string id_message_;
  bool id_message_error_ = false;
};

}  // namespace shequ::ui
