// Conversions from the service layer's read models to the plain records of records.h. Private to
// the view models' .cpp files (it names service and store types); panels never include it.
#pragma once

#include <string>
#include <vector>

#include "node/service/node.h"
#include "node/service/views.h"
#include "ui/vm/records.h"
#include "ui/vm/session.h"

namespace shequ::ui::internal {

// 登记卡 · 和平社区 · 王芳 · 2026-11-20 14:03
std::string SourceText(const service::ValueView& v);
RecordView ToRecord(Session& session, const service::EntityView& v,
                    const std::vector<std::string>& revealed);
// Every change of `e`, oldest first, values masked as the policy says (fields in `revealed`
// in full), each write marked with what became of it.
Result<std::vector<HistoryEntry>> LoadHistory(Session& session, const store::Txn& txn,
                                              const crdt::EntityRef& e,
                                              const std::vector<std::string>& revealed);
// A value as this node may show it: masked, in full, or （无权查看）.
std::string ShownValue(Session& session, const model::FieldDef& def, const std::string& plain,
                       const std::string& community, bool revealed);
// Finds an entity of any kind by hex id.
Result<crdt::EntityRef> FindAny(Session& session, const store::Txn& txn, const std::string& hex);

}  // namespace shequ::ui::internal
