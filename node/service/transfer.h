// Transfers of people between communities (迁移, DESIGN section 5): the community the person
// leaves records the move-out — a `transfer` entity written into the destination's scope, carrying
// the person's record — and marks the person 迁出; the destination accepts it, re-issuing the
// person in its own scope. The dates of both feed the data-exchange indicator.
#pragma once

#include <string>
#include <vector>

#include "node/base/time.h"
#include "node/model/card.h"
#include "node/service/node.h"

namespace shequ::service {

struct TransferView {
  crdt::EntityRef ref;
  std::string person;           // entity id in the origin community, hex
  std::string from_community;   // origin
  std::string name, id_number;  // from the carried record, masked
  std::string out_date, accept_date;
  std::string status;      // 1 待接收, 2 已接收, 3 已退回
  std::string new_person;  // entity id in the destination, hex
  std::string reason;
  int days_waiting = 0;  // pending: days since the move-out
};

// Records a move-out of `person` to `to_community`. Returns the transfer's entity id.
Result<Id16> TransferOut(Node& node, const crdt::EntityRef& person, const std::string& to_community,
                         const std::string& reason, Date date, const std::string& op);

// Transfers this node holds, newest first.
Result<std::vector<TransferView>> ListTransfers(Node& node, Date today);

// Accepts a pending transfer into the household with card `card_no` of the destination
// community, as a member with `relationship`. The new person is validated as part of that
// household's card; problems (errors refuse) are returned. Returns the new person's id.
struct AcceptResult {
  std::vector<model::Problem> problems;
  bool accepted = false;
  Id16 person{};
};
Result<AcceptResult> TransferAccept(Node& node, const Id16& transfer, const std::string& card_no,
                                    const std::string& relationship, Date date,
                                    const std::string& op);

}  // namespace shequ::service
