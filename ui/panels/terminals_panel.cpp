// 终端监控 (第十三条): every terminal certificate this node knows — last seen, pending changes,
// violations (out-of-scope attempts, failed logins, changes refused here), encryption at rest,
// the app version — stale and revoked terminals flagged.
#include "imgui.h"
#include "ui/panels/panels.h"

namespace shequ::ui {

TerminalsPanel::TerminalsPanel(Session& session)
    : Panel("terminals", "终端监控"), monitor_(session) {}

void TerminalsPanel::OnShow() {
  Status st = monitor_.Load();
  error_ = st.ok() ? std::string() : st.message();
}

void TerminalsPanel::DrawContents(Widgets& w) {
  if (NamedButton(w, "terminals.reload", "刷新")) OnShow();
  ImGui::SameLine();
  std::string count = "终端 " + std::to_string(monitor_.rows().size()) + " 台，超过 7 天未见 " +
                      std::to_string(monitor_.stale()) + " 台，有违规记录 " +
                      std::to_string(monitor_.with_violations()) + " 台";
  ImGui::TextUnformatted(count.c_str());
  w.Mark("terminals.count", count);
  if (!error_.empty()) ColouredText(kErrorRed, error_);
  ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_Borders |
                          ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_ScrollY;
  if (!ImGui::BeginTable("##terminals", 10, flags)) return;
  ImGui::TableSetupScrollFreeze(1, 1);
  ImGui::TableSetupColumn("终端");
  ImGui::TableSetupColumn("社区");
  ImGui::TableSetupColumn("最近出现");
  ImGui::TableSetupColumn("待上传");
  ImGui::TableSetupColumn("登录 / 失败");
  ImGui::TableSetupColumn("越权");
  ImGui::TableSetupColumn("被拒变更");
  ImGui::TableSetupColumn("加密存储");
  ImGui::TableSetupColumn("版本");
  ImGui::TableSetupColumn("说明", ImGuiTableColumnFlags_WidthStretch);
  ImGui::TableHeadersRow();
  ImGuiListClipper clipper;
  clipper.Begin(static_cast<int>(monitor_.rows().size()));
  while (clipper.Step()) {
    for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
      const TerminalRow& t = monitor_.rows()[static_cast<size_t>(i)];
      ImGui::TableNextRow();
      if (t.revoked || t.violations > 0)
        ImGui::TableSetBgColor(ImGuiTableBgTarget_RowBg1, IM_COL32(252, 232, 232, 255));
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(t.name.c_str());
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("节点 %s", t.id.c_str());
      w.Mark("terminals.row." + std::to_string(i), t.name);
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(t.community.c_str());
      ImGui::TableNextColumn();
      if (t.stale)
        ImGui::TextColored(ToImVec4(kErrorRed), "%s", t.last_seen.c_str());
      else
        ImGui::TextUnformatted(t.last_seen.c_str());
      ImGui::TableNextColumn();
      ImGui::Text("%llu", (unsigned long long)t.pending);
      ImGui::TableNextColumn();
      ImGui::Text("%llu / ", (unsigned long long)t.logins);
      ImGui::SameLine(0, 0);
      ImGui::TextColored(ToImVec4(t.failed_logins ? kErrorRed : kMutedGrey), "%llu",
                         (unsigned long long)t.failed_logins);
      ImGui::TableNextColumn();
      ImGui::TextColored(ToImVec4(t.out_of_scope ? kErrorRed : kMutedGrey), "%llu",
                         (unsigned long long)t.out_of_scope);
      ImGui::TableNextColumn();
      ImGui::TextColored(ToImVec4(t.rejected ? kErrorRed : kMutedGrey), "%llu",
                         (unsigned long long)t.rejected);
      if (t.rejected && ImGui::IsItemHovered())
        ImGui::SetTooltip("最近一次：%s", t.last_rejection.c_str());
      ImGui::TableNextColumn();
      ImGui::TextColored(ToImVec4(t.sealed == "否" ? kErrorRed : kMutedGrey), "%s",
                         t.sealed.c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(t.app_version.c_str());
      ImGui::TableNextColumn();
      if (t.revoked)
        ImGui::TextColored(ToImVec4(kErrorRed), "%s", t.revoked_text.c_str());
      else if (t.stale)
        ImGui::TextColored(ToImVec4(kErrorRed), "超过 7 天未见");
    }
  }
  ImGui::EndTable();
}

}  // namespace shequ::ui
