// 迁移: transfers between communities — the list this node holds (overdue ones flagged), the
// move-out of a person chosen in the browser, and the acceptance of an incoming transfer into a
// household of this community.
#include "imgui.h"
#include "imgui_stdlib.h"
#include "ui/panels/panels.h"

namespace shequ::ui {

TransfersPanel::TransfersPanel(Session& session)
    : Panel("transfers", "迁移"), session_(session), transfers_(session) {}

void TransfersPanel::OnShow() {
  Status st = transfers_.Load();
  error_ = st.ok() ? std::string() : st.message();
}

void TransfersPanel::PrepareSend(const std::string& person, const std::string& name) {
  person_ = person;
  person_name_ = name;
}

void TransfersPanel::DrawContents(Widgets& w) {
  float em = ImGui::GetFontSize();
  if (NamedButton(w, "transfers.reload", "刷新")) OnShow();
  ImGui::SameLine();
  std::string count = "共 " + std::to_string(transfers_.rows().size()) + " 件，超期 " +
                      std::to_string(transfers_.overdue()) + " 件（待接收超过 " +
                      std::to_string(kTransferOverdueDays) + " 天）";
  ImGui::TextUnformatted(count.c_str());
  w.Mark("transfers.count", count);
  if (!error_.empty()) ColouredText(kErrorRed, error_);
  if (!transfers_.message().empty()) {
    ColouredText(transfers_.message_error() ? kErrorRed : kGoodGreen, transfers_.message());
    w.Mark("transfers.message", transfers_.message());
  }

  ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_Borders |
                          ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_ScrollY;
  float table_h = std::max(8 * em, ImGui::GetContentRegionAvail().y - 13 * em);
  if (ImGui::BeginTable("##transfers", 8, flags, ImVec2(0, table_h))) {
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("迁出日期");
    ImGui::TableSetupColumn("姓名");
    ImGui::TableSetupColumn("证件号码");
    ImGui::TableSetupColumn("迁出社区");
    ImGui::TableSetupColumn("迁入社区");
    ImGui::TableSetupColumn("状态");
    ImGui::TableSetupColumn("原因");
    ImGui::TableSetupColumn("操作", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableHeadersRow();
    int i = 0;
    for (const TransferRow& t : transfers_.rows()) {
      ImGui::TableNextRow();
      ImGui::PushID(i);
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(t.out_date.c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(t.name.c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(t.id_number.c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(t.from_name.c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(t.to_name.c_str());
      ImGui::TableNextColumn();
      if (t.overdue)
        ImGui::TextColored(ToImVec4(kErrorRed), "%s，已等 %d 天", t.status.c_str(), t.days_waiting);
      else if (t.pending)
        ImGui::TextColored(ToImVec4(kWarningAmber), "%s，%d 天", t.status.c_str(), t.days_waiting);
      else
        ImGui::TextUnformatted((t.status + " " + t.accept_date).c_str());
      w.Mark("transfers.row." + std::to_string(i), t.status);
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(t.reason.c_str());
      ImGui::TableNextColumn();
      if (t.incoming && session_.Can(Capability::kCollect)) {
        if (NamedButton(w, "transfers.row." + std::to_string(i) + ".accept", "接收…"))
          accept_id_ = t.entity;
      }
      ImGui::PopID();
      ++i;
    }
    ImGui::EndTable();
  }

  if (!accept_id_.empty()) {
    Heading("接收迁入人员（迁移单 " + accept_id_.substr(0, 12) + "）");
    ImGui::SetNextItemWidth(12 * em);
    ImGui::InputTextWithHint("##card", "落户的登记卡编号", &accept_card_);
    w.Mark("transfers.accept_card", accept_card_);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(5 * em);
    ImGui::InputTextWithHint("##rel", "与户主关系", &accept_relationship_);
    w.Mark("transfers.accept_relationship", accept_relationship_);
    ImGui::SameLine();
    ImGui::BeginDisabled(session_.busy());
    if (NamedButton(w, "transfers.accept", "接收")) {
      if (transfers_.Accept(accept_id_, accept_card_, accept_relationship_).ok())
        accept_id_.clear();
    }
    ImGui::EndDisabled();
    ImGui::SameLine();
    if (NamedButton(w, "transfers.accept_cancel", "取消")) accept_id_.clear();
  }

  if (session_.Can(Capability::kTransfer)) {
    Heading("办理迁出");
    if (person_.empty()) {
      ImGui::TextDisabled("在“户籍浏览”中选择一人，点“办理迁出”。");
    } else {
      ImGui::Text("迁出人员：%s（%s）", person_name_.c_str(), person_.substr(0, 12).c_str());
      ImGui::SetNextItemWidth(10 * em);
      ImGui::InputTextWithHint("##to", "迁入社区代码（12位）", &to_);
      w.Mark("transfers.to", to_);
      const model::Division* d = session_.ref().divisions().Find(to_);
      ImGui::SameLine();
      ImGui::TextDisabled("%s", d ? d->name.c_str() : "");
      ImGui::SetNextItemWidth(20 * em);
      ImGui::InputTextWithHint("##reason", "迁移原因", &reason_);
      w.Mark("transfers.reason", reason_);
      ImGui::SameLine();
      ImGui::BeginDisabled(session_.busy());
      if (NamedButton(w, "transfers.send", "迁出")) {
        if (transfers_.Send(person_, to_, reason_).ok()) {
          person_.clear();
          to_.clear();
          reason_.clear();
        }
      }
      ImGui::EndDisabled();
    }
  }
}

}  // namespace shequ::ui
