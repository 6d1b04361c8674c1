#include "ui/panels/widgets.h"

namespace shequ::ui {

void Widgets::BeginFrame() {
  last_.swap(current_);
  current_.clear();
}

void Widgets::Mark(std::string_view name, std::string_view text) {
  MarkRect(name, ImGui::GetItemRectMin(), ImGui::GetItemRectMax(), text);
}

void Widgets::MarkRect(std::string_view name, ImVec2 min, ImVec2 max, std::string_view text) {
  Entry& e = current_[std::string(name)];
  e.min = min;
  e.max = max;
  e.text = std::string(text);
}

const Widgets::Entry* Widgets::Find(std::string_view name) const {
  auto it = last_.find(name);
  return it == last_.end() ? nullptr : &it->second;
}

const Widgets::Entry* Widgets::Current(std::string_view name) const {
  auto it = current_.find(name);
  return it == current_.end() ? nullptr : &it->second;
}

void ColouredText(Rgba colour, std::string_view text) {
  ImGui::PushStyleColor(ImGuiCol_Text, ToImVec4(colour));
  ImGui::PushTextWrapPos(0.0f);
  ImGui::TextUnformatted(text.data(), text.data() + text.size());
  ImGui::PopTextWrapPos();
  ImGui::PopStyleColor();
}

void ProblemLine(Widgets& w, std::string_view name, bool error, std::string_view where,
                 std::string_view code, std::string_view message) {
  std::string line = error ? "错误：" : "警告：";
  if (!where.empty()) line += std::string(where) + "：";
  line += std::string(message);
  ColouredText(error ? kErrorRed : kWarningAmber, line);
  if (!name.empty()) w.Mark(name, std::string(code) + " " + line);
}

void HelpMark(std::string_view text) {
  ImGui::TextDisabled("(?)");
  if (ImGui::IsItemHovered()) {
    ImGui::BeginTooltip();
    ImGui::PushTextWrapPos(ImGui::GetFontSize() * 30.0f);
    ImGui::TextUnformatted(text.data(), text.data() + text.size());
    ImGui::PopTextWrapPos();
    ImGui::EndTooltip();
  }
}

void Heading(std::string_view text) {
  ImGui::Spacing();
  ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.10f, 0.25f, 0.50f, 1));
  ImGui::TextUnformatted(text.data(), text.data() + text.size());
  ImGui::PopStyleColor();
  ImGui::Separator();
}

bool NamedButton(Widgets& w, std::string_view name, std::string_view label) {
  bool clicked = ImGui::Button(std::string(label).c_str());
  w.Mark(name, label);
  return clicked;
}

}  // namespace shequ::ui
