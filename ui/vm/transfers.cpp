#include "ui/vm/transfers.h"

#include <algorithm>

#include "node/base/text.h"
#include "node/service/cards.h"
#include "node/service/transfer.h"
#include "ui/vm/records_internal.h"

namespace shequ::ui {

Status Transfers::Load() {
  rows_.clear();
  ASSIGN_OR_RETURN(auto list, service::ListTransfers(session_.node(), session_.today()));
  const model::CodeTable* status = session_.ref().table("transfer_status");
  for (const service::TransferView& t : list) {
    TransferRow row;
    row.entity = Hex(t.ref.entity);
    row.to_community = t.ref.community;
    row.to_name = session_.CommunityName(t.ref.community);
    row.from_community = t.from_community;
    row.from_name = session_.CommunityName(t.from_community);
    row.name = t.name;
    row.id_number = t.id_number;
    row.out_date = t.out_date;
    row.accept_date = t.accept_date;
    std::string_view label = status ? status->Label(t.status) : std::string_view();
    row.status = label.empty() ? t.status : std::string(label);
    row.reason = t.reason;
    row.days_waiting = t.days_waiting;
    row.pending = t.status == "1";
    row.overdue = row.pending && t.days_waiting > kTransferOverdueDays;
    row.incoming = row.pending && session_.node().cert().InScope(t.ref.community);
    rows_.push_back(std::move(row));
  }
  return Status::Ok();
}

size_t Transfers::overdue() const {
  return static_cast<size_t>(
      std::count_if(rows_.begin(), rows_.end(), [](const TransferRow& r) { return r.overdue; }));
}

Status Transfers::Send(const std::string& person_hex, const std::string& to,
                       const std::string& reason) {
  Status st = [&]() -> Status {
    RETURN_IF_ERROR(session_.CheckWritable());
    std::string dest(Trim(to));
    if (!session_.ref().divisions().IsResidentUnit(dest))
      return Status::Invalid("迁入社区应为12位社区或村的区划代码：" + dest);
    crdt::EntityRef person;
    {
      auto r = session_.node().store().BeginRead();
      if (!r.ok()) return r.status();
      ASSIGN_OR_RETURN(person, internal::FindAny(session_, *r, std::string(Trim(person_hex))));
    }
    if (person.kind != model::EntityKind::kPerson) return Status::Invalid("所选的不是人员");
    ASSIGN_OR_RETURN(Id16 id, service::TransferOut(session_.node(), person, dest, reason,
                                                   session_.today(), session_.op()));
    message_ = "已办理迁出（迁移单 " + Hex(id).substr(0, 12) + "），迁往 " +
               session_.CommunityName(dest) + "，同步后对方可接收";
    return Status::Ok();
  }();
  message_error_ = !st.ok();
  if (!st.ok()) message_ = "未办理：" + st.message();
  if (st.ok()) return Load();
  return st;
}

Status Transfers::Accept(const std::string& entity_hex, const std::string& card_no,
                         const std::string& relationship) {
  Status st = [&]() -> Status {
    RETURN_IF_ERROR(session_.CheckWritable());
    auto id = UnhexFixed<16>(entity_hex);
    if (!id.ok()) return Status::Invalid("迁移单编号无效");
    ASSIGN_OR_RETURN(
        service::AcceptResult r,
        service::TransferAccept(session_.node(), *id, std::string(Trim(card_no)),
                                std::string(Trim(relationship)), session_.today(), session_.op()));
    std::vector<std::string> problems;
    for (const model::Problem& p : r.problems)
      problems.push_back((p.severity == model::Severity::kError ? "错误：" : "警告：") + p.message);
    if (!r.accepted) return Status::Invalid("未接收：" + Join(problems, "；"));
    message_ = "已接收，新人员 " + Hex(r.person).substr(0, 12) + " 已落户登记卡 " +
               std::string(Trim(card_no));
    if (!problems.empty()) message_ += "（" + Join(problems, "；") + "）";
    return Status::Ok();
  }();
  message_error_ = !st.ok();
  if (!st.ok()) message_ = st.message();
  if (st.ok()) return Load();
  return st;
}

}  // namespace shequ::ui
