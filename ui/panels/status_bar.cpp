// The status bar: node, scope, operator, peers, pending changes, last sync and clock skew
// warnings — a snapshot the session refreshes every few seconds, never a read per frame.
#include "imgui.h"
#include "ui/panels/panels.h"

namespace shequ::ui {

void DrawStatusBar(Session& session, Widgets& w, const std::string& frame_error) {
  const StatusSnapshot& s = session.status();
  uint64_t now = NowMillis();
  ImGui::Separator();
  std::string left = s.node_name + "（" + s.kind_label + "节点）  范围 " + s.scope_label;
  if (!s.op.empty()) left += "  操作员 " + s.op;
  ImGui::TextUnformatted(left.c_str());
  w.Mark("status.node", left);
  ImGui::SameLine(0, 2 * ImGui::GetFontSize());
  std::string sync =
      "对端 " + std::to_string(s.peers) + "  待上传 " + std::to_string(s.pending) + "  上次同步 " +
      (s.last_sync_ms ? TimeText(s.last_sync_ms) + "（" + AgoText(s.last_sync_ms, now) + "）"
                      : std::string("从未"));
  if (s.pending > 0)
    ImGui::TextColored(ToImVec4(kWarningAmber), "%s", sync.c_str());
  else
    ImGui::TextUnformatted(sync.c_str());
  w.Mark("status.sync", sync);
  if (session.busy()) {
    ImGui::SameLine();
    ImGui::TextColored(ToImVec4(kDeviceBlue), "同步中…");
  }
  if (!s.skew_warning.empty()) {
    ImGui::SameLine(0, 2 * ImGui::GetFontSize());
    ImGui::TextColored(ToImVec4(kErrorRed), "时钟偏差：%s", s.skew_warning.c_str());
    w.Mark("status.skew", s.skew_warning);
  }
  if (!s.error.empty()) {
    ImGui::SameLine();
    ImGui::TextColored(ToImVec4(kErrorRed), "%s", s.error.c_str());
  }
  if (!frame_error.empty()) {
    ImGui::SameLine();
    ImGui::TextColored(ToImVec4(kErrorRed), "界面错误：%s", frame_error.c_str());
    w.Mark("status.frame_error", frame_error);
  }
}

}  // namespace shequ::ui
