// The hub keeps the assessment's field-by-field counts up to date as changes arrive (issue 6):
// a fold observer recomputes the counts of each household or person record whose state changed
// and stores them in the `assess` database, so `shequ score` sums compact records instead of
// re-reading every field and the change behind it. A full recount (Score with incremental =
// false) must agree; tests/scoring check that it does, whatever order the changes arrived in.
//
// `assess` record: community | kind | entity -> 1 (version) | active (1) | household hex
// (string, persons) | varints fill_num fill_den tool_num tool_den card_num card_den.
// `meta` "assess/complete" marks that every record has one (set by the first rebuild).
#pragma once

#include <map>
#include <optional>
#include <string>

#include "node/service/node.h"
#include "scoring/score.h"

namespace shequ::scoring {

// Starts keeping the counts on this node (idempotent per process): installs the fold observer,
// and on the first use rebuilds the counts of every record already held.
Status KeepCounts(service::Node& node);
// Recomputes every record's counts from the state.
Status RebuildCounts(service::Node& node);
// The kept counts per community under `scope`, active records only; nullopt when the node does
// not keep them.
Result<std::optional<std::map<std::string, RecordCounts>>> KeptCounts(service::Node& node,
                                                                      const store::Txn& txn,
                                                                      std::string_view scope);

}  // namespace shequ::scoring
