// What the assessment needs recorded besides cards and visits (issue 6): the community profile
// (社区概况/社区服务), the assessors' inputs per community and period (the confidentiality
// checklist, the innovation score, leak incidents), and the paper card's archive state.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "node/service/node.h"
#include "scoring/score.h"

namespace shequ::scoring {

using KeyValues = std::vector<std::pair<std::string, std::string>>;

// Stable entity ids, so that every node writing them updates the same entity.
Id16 ProfileId(std::string_view community);
Id16 InputId(std::string_view community, std::string_view period_label);
Id16 CardId(std::string_view community, std::string_view card_no);

// Each KEY must be a field of the entity (catalog), each value valid for it; written through the
// access policy (a refusal is an access event).
Status SetProfile(service::Node& node, const std::string& community, const KeyValues& kv);
Status SetInput(service::Node& node, const std::string& community, const Period& period,
                const KeyValues& kv);
// Records a paper card archived (date, location): a `card` entity of the card's household's
// community, whose id derives from the card number.
Status ArchiveCard(service::Node& node, const std::string& card_no, const std::string& location,
                   const Date& date);

}  // namespace shequ::scoring
