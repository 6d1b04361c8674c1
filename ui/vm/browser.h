// Household and person browsing (docs/UI.md "Browsing"): the households of one community as a
// list of rows for a virtualised table, a search by name, ID number, card number or address,
// the selected household with its members, the selected person with its history, and the
// audited reveal.
//
// Loading reads every household of the community once (one read transaction); drawing a frame
// reads nothing. A search runs through the service layer when asked (Enter), not per frame: the
// rows keep masked values only, so matching names and addresses needs the store.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "node/base/status.h"
#include "ui/vm/records.h"
#include "ui/vm/session.h"

namespace shequ::ui {

struct HouseholdRow {
  std::string entity;  // hex
  std::string card_no;
  std::string address;  // masked
  std::string household_type;
  size_t members = 0;
  bool conflicted = false;  // a member or the household is in the review queue
};

struct MemberRow {
  std::string entity;
  std::string name, gender, birth_date, id_number, relationship, status;  // masked
  bool active = true;
};

class Browser {
 public:
  explicit Browser(Session& session);

  const std::string& community() const { return community_; }
  // Loads the households of `community` (12 digits).
  Status Load(const std::string& community);
  Status Reload() { return Load(community_); }
  double load_seconds() const { return load_seconds_; }

  // Rows shown: every household, or the matches of the last search.
  size_t shown() const { return filtered_ ? matches_.size() : rows_.size(); }
  const HouseholdRow& row(size_t i) const { return rows_[filtered_ ? matches_[i] : i]; }
  size_t total() const { return rows_.size(); }

  // Searches the loaded community: an 18- or 15-character ID number exactly, else card numbers,
  // names and addresses containing `query`. An empty query shows every household again.
  Status Search(const std::string& query);
  const std::string& query() const { return query_; }
  bool searching() const { return filtered_; }

  // The household of shown row `i`, with its members.
  Status SelectRow(size_t i);
  Status SelectHousehold(const std::string& entity_hex);
  const std::optional<RecordView>& household() const { return household_; }
  const std::vector<MemberRow>& members() const { return members_; }

  Status SelectPerson(const std::string& entity_hex);
  const std::optional<RecordView>& person() const { return person_; }
  const std::vector<HistoryEntry>& history() const { return history_; }

  // Shows the selected person's personal and sensitive fields in full: an access event names
  // the operator, the fields and the purpose (refused without the reveal grant or a purpose).
  Status RevealPerson(const std::string& purpose);

 private:
  Status LoadPerson(const std::string& entity_hex, bool reveal, const std::string& purpose);

  Session& session_;
  std::string community_;
  std::vector<HouseholdRow> rows_;
  std::vector<size_t> matches_;
  bool filtered_ = false;
  std::string query_;
  double load_seconds_ = 0;
  std::optional<RecordView> household_;
  std::vector<MemberRow> members_;
  std::optional<RecordView> person_;
  std::vector<HistoryEntry> history_;
};

}  // namespace shequ::ui
