// Transfers between communities (迁移, DESIGN section 5; docs/UI.md "Transfers"): the list this
// node holds (incoming ones to accept, outgoing ones waiting), the overdue ones (pending more
// than 7 days, as `shequ transfer list` flags them), and the send and accept intents.
#pragma once

#include <string>
#include <vector>

#include "node/base/status.h"
#include "ui/vm/session.h"

namespace shequ::ui {

// Pending longer than this many days is overdue (the data-exchange timeliness indicator).
inline constexpr int kTransferOverdueDays = 7;

struct TransferRow {
  std::string entity;  // transfer id, hex
  std::string to_community, to_name, from_community, from_name;
  std::string name, id_number;  // masked
  std::string out_date, accept_date, status, reason;
  int days_waiting = 0;
  bool pending = false, overdue = false;
  bool incoming = false;  // pending, to a community of this node: it can be accepted here
};

class Transfers {
 public:
  explicit Transfers(Session& session) : session_(session) {}
  Status Load();
  const std::vector<TransferRow>& rows() const { return rows_; }
  size_t overdue() const;

  // Records the move-out of person `person_hex` to community `to` (12 digits).
  Status Send(const std::string& person_hex, const std::string& to, const std::string& reason);
  // Accepts transfer `entity_hex` into the household with card `card_no` of the destination,
  // as a member with `relationship`. Problems of the new member are in message().
  Status Accept(const std::string& entity_hex, const std::string& card_no,
                const std::string& relationship);
  const std::string& message() const { return message_; }
  bool message_error() const { return message_error_; }

 private:
  Session& session_;
  std::vector<TransferRow> rows_;
  std::string message_;
  bool message_error_ = false;
};

}  // namespace shequ::ui
