// 同步: every peer this node has had sessions with — last contact, last full sync, changes and
// bytes each way, rejected changes, the last error — and "sync now" with a contact (the string
// `shequ node contact` prints).
#include <algorithm>

#include "imgui.h"
#include "imgui_stdlib.h"
#include "ui/panels/panels.h"

namespace shequ::ui {

SyncPanel::SyncPanel(Session& session) : Panel("sync", "同步"), sync_(session) {
  if (!sync_.contacts().empty()) contact_ = sync_.contacts().front();
}

void SyncPanel::OnShow() {
  Status st = sync_.Load();
  error_ = st.ok() ? std::string() : st.message();
}

void SyncPanel::DrawContents(Widgets& w) {
  float em = ImGui::GetFontSize();
  uint64_t now = NowMillis();
  if (NamedButton(w, "sync.reload", "刷新")) OnShow();
  ImGui::SameLine();
  ImGui::SetNextItemWidth(std::min(40 * em, ImGui::GetContentRegionAvail().x - 12 * em));
  ImGui::InputTextWithHint("##contact", "对端地址（shequ node contact 的输出）", &contact_);
  w.Mark("sync.contact", contact_);
  if (sync_.contacts().size() > 1) {
    ImGui::SameLine();
    if (ImGui::BeginCombo("##known", "", ImGuiComboFlags_NoPreview)) {
      for (const std::string& c : sync_.contacts())
        if (ImGui::Selectable(c.c_str(), c == contact_)) contact_ = c;
      ImGui::EndCombo();
    }
  }
  ImGui::SameLine();
  ImGui::BeginDisabled(sync_.running() || contact_.empty());
  if (NamedButton(w, "sync.now", sync_.running() ? "同步中…" : "立即同步"))
    (void)sync_.SyncNow(contact_);
  ImGui::EndDisabled();
  if (!error_.empty()) ColouredText(kErrorRed, error_);
  if (!sync_.message().empty()) {
    ColouredText(sync_.message_error() ? kErrorRed : kGoodGreen, sync_.message());
    w.Mark("sync.message", sync_.message());
  }
  ImGui::Spacing();
  if (sync_.rows().empty()) {
    ColouredText(kMutedGrey, "还没有与任何节点同步过。");
    return;
  }
  ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_Borders |
                          ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_ScrollY;
  if (!ImGui::BeginTable("##peers", 9, flags)) return;
  ImGui::TableSetupScrollFreeze(0, 1);
  ImGui::TableSetupColumn("对端节点");
  ImGui::TableSetupColumn("最近联系");
  ImGui::TableSetupColumn("最近完整同步");
  ImGui::TableSetupColumn("待上传");
  ImGui::TableSetupColumn("发出 / 收到（条）");
  ImGui::TableSetupColumn("流量 出 / 入");
  ImGui::TableSetupColumn("拒绝");
  ImGui::TableSetupColumn("会话");
  ImGui::TableSetupColumn("最近错误", ImGuiTableColumnFlags_WidthStretch);
  ImGui::TableHeadersRow();
  int i = 0;
  for (const PeerRow& p : sync_.rows()) {
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(p.name.c_str());
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("节点 %s", p.id.c_str());
    w.Mark("sync.peer." + std::to_string(i++), p.name);
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(
        (TimeText(p.last_contact_ms) + "（" + AgoText(p.last_contact_ms, now) + "）").c_str());
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(TimeText(p.last_sync_ms).c_str());
    ImGui::TableNextColumn();
    if (p.pending)
      ImGui::TextColored(ToImVec4(kWarningAmber), "%llu", (unsigned long long)p.pending);
    else
      ImGui::TextUnformatted("0");
    ImGui::TableNextColumn();
    ImGui::Text("%llu / %llu", (unsigned long long)p.changes_sent,
                (unsigned long long)p.changes_received);
    ImGui::TableNextColumn();
    ImGui::TextUnformatted((SizeText(p.bytes_sent) + " / " + SizeText(p.bytes_received)).c_str());
    ImGui::TableNextColumn();
    if (p.rejected)
      ImGui::TextColored(ToImVec4(kErrorRed), "%llu", (unsigned long long)p.rejected);
    else
      ImGui::TextUnformatted("0");
    ImGui::TableNextColumn();
    ImGui::Text("%llu", (unsigned long long)p.sessions);
    ImGui::TableNextColumn();
    if (!p.last_error.empty()) ImGui::TextColored(ToImVec4(kErrorRed), "%s", p.last_error.c_str());
  }
  ImGui::EndTable();
}

}  // namespace shequ::ui
