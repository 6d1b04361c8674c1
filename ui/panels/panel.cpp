#include "ui/panels/panel.h"

namespace shequ::ui {

void Panel::DrawTab(Widgets& w, bool select) {
  std::string label = title_ + "###" + id_;
  bool open =
      ImGui::BeginTabItem(label.c_str(), nullptr, select ? ImGuiTabItemFlags_SetSelected : 0);
  w.Mark("tab." + id_, title_);
  if (!open) {
    visible_ = false;
    return;
  }
  if (!visible_) {
    visible_ = true;
    OnShow();
  }
  ImGui::BeginChild(("##body_" + id_).c_str(), ImVec2(0, 0), false,
                    ImGuiWindowFlags_HorizontalScrollbar);
  ImVec2 pos = ImGui::GetWindowPos(), size = ImGui::GetWindowSize();
  w.MarkRect("screen." + id_, pos, ImVec2(pos.x + size.x, pos.y + size.y), title_);
  DrawContents(w);
  ImGui::EndChild();
  ImGui::EndTabItem();
}

}  // namespace shequ::ui
