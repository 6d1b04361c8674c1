// 访问日志: access events this node may read (its own; an auditor's: every one replicated to it),
// newest first — logins and failed logins, reveals with their purpose, exports with their count,
// and denied requests in red.
#include "imgui.h"
#include "ui/panels/panels.h"

namespace shequ::ui {

AuditPanel::AuditPanel(Session& session) : Panel("audit", "访问日志"), log_(session) {}

void AuditPanel::OnShow() {
  Status st = log_.Load();
  error_ = st.ok() ? std::string() : st.message();
}

void AuditPanel::DrawContents(Widgets& w) {
  if (NamedButton(w, "audit.reload", "刷新")) OnShow();
  ImGui::SameLine();
  ImGui::Checkbox("只看被拒绝的", &denied_only_);
  w.Mark("audit.denied_only");
  ImGui::SameLine();
  std::string count = "近 90 天 " + std::to_string(log_.rows().size()) + " 条，其中被拒绝 " +
                      std::to_string(log_.denied()) + " 条";
  ImGui::TextUnformatted(count.c_str());
  w.Mark("audit.count", count);
  if (!error_.empty()) ColouredText(kErrorRed, error_);
  ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_Borders |
                          ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_ScrollY;
  if (!ImGui::BeginTable("##audit", 8, flags)) return;
  ImGui::TableSetupScrollFreeze(0, 1);
  ImGui::TableSetupColumn("时间");
  ImGui::TableSetupColumn("节点");
  ImGui::TableSetupColumn("操作员");
  ImGui::TableSetupColumn("类型");
  ImGui::TableSetupColumn("结果");
  ImGui::TableSetupColumn("对象");
  ImGui::TableSetupColumn("项目 / 记录数");
  ImGui::TableSetupColumn("事由 / 说明", ImGuiTableColumnFlags_WidthStretch);
  ImGui::TableHeadersRow();
  std::vector<const AccessRow*> rows;
  for (const AccessRow& r : log_.rows())
    if (!denied_only_ || !r.allowed) rows.push_back(&r);
  ImGuiListClipper clipper;
  clipper.Begin(static_cast<int>(rows.size()));
  while (clipper.Step()) {
    for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
      const AccessRow& r = *rows[static_cast<size_t>(i)];
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(r.time.c_str());
      w.Mark("audit.row." + std::to_string(i), r.action);
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(r.node.c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(r.op.c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(r.action.c_str());
      ImGui::TableNextColumn();
      if (r.allowed)
        ImGui::TextColored(ToImVec4(kGoodGreen), "允许");
      else
        ImGui::TextColored(ToImVec4(kErrorRed), "拒绝");
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(r.target.c_str());
      ImGui::TableNextColumn();
      std::string what = r.fields;
      if (r.count > 1) what += (what.empty() ? "" : " · ") + std::to_string(r.count) + " 条";
      ImGui::TextUnformatted(what.c_str());
      ImGui::TableNextColumn();
      std::string why = r.purpose;
      if (!r.reason.empty()) why += (why.empty() ? "" : " · ") + r.reason;
      if (r.allowed)
        ImGui::TextUnformatted(why.c_str());
      else
        ImGui::TextColored(ToImVec4(kErrorRed), "%s", why.c_str());
    }
  }
  ImGui::EndTable();
}

}  // namespace shequ::ui
