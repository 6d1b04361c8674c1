// The operator login: a node whose data rests sealed opens only with an operator's passphrase
// (docs/CLI.md "Operators"); the login, or the failed login, is an access event.
#include "imgui.h"
#include "imgui_stdlib.h"
#include "ui/panels/panels.h"

namespace shequ::ui {

void LoginForm::Draw(Widgets& w) {
  float em = ImGui::GetFontSize();
  ImVec2 avail = ImGui::GetContentRegionAvail();
  ImGui::SetCursorPos(ImVec2(std::max(0.0f, (avail.x - 26 * em) / 2), avail.y * 0.25f));
  ImGui::BeginGroup();
  ImGui::TextUnformatted(
      ("登录 " + session_.node_name() + "（" + session_.kind_label() + "节点）").c_str());
  ImGui::TextDisabled("本节点的数据加密存储，须由操作员用口令打开。");
  ImGui::Spacing();
  std::vector<std::string> ops = session_.operators();
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted("操作员");
  ImGui::SameLine(4 * em);
  ImGui::SetNextItemWidth(10 * em);
  ImGui::InputText("##op", &op_);
  w.Mark("login.operator_text", op_);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ImGui::GetFrameHeight());
  if (ImGui::BeginCombo("##ops", "", ImGuiComboFlags_NoPreview)) {
    for (const std::string& o : ops)
      if (ImGui::Selectable(o.c_str(), o == op_)) op_ = o;
    ImGui::EndCombo();
  }
  w.Mark("login.operator", op_);
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted("口令");
  ImGui::SameLine(4 * em);
  ImGui::SetNextItemWidth(10 * em);
  bool enter =
      ImGui::InputText("##passphrase", &passphrase_,
                       ImGuiInputTextFlags_Password | ImGuiInputTextFlags_EnterReturnsTrue);
  w.Mark("login.passphrase");
  ImGui::SetCursorPosX(ImGui::GetCursorPosX() + 4 * em);
  if (NamedButton(w, "login.submit", "登录") || enter) {
    Status st = session_.Login(op_, passphrase_);
    passphrase_.clear();
    switch (st.code()) {
      case Code::kOk:
        error_.clear();
        break;
      case Code::kPermissionDenied:
        error_ = "登录失败：口令不正确（已记入访问日志）";
        break;
      case Code::kNotFound:
        error_ = "登录失败：本节点没有操作员«" + op_ + "»";
        break;
      default:
        error_ = "登录失败：" + st.message();
    }
  }
  if (!error_.empty()) {
    ColouredText(kErrorRed, error_);
    w.Mark("login.error", error_);
  }
  ImGui::EndGroup();
}

}  // namespace shequ::ui
