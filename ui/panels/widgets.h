// What every panel draws with: the registry of named widgets that scripts click and tests
// expect, colours, and the small composite widgets (a problem line, a help mark).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "imgui.h"
#include "ui/vm/text.h"

namespace shequ::ui {

inline ImVec4 ToImVec4(Rgba c) { return ImVec4(c.r, c.g, c.b, c.a); }

// The named widgets of a frame: each panel marks the inputs, buttons and messages a script or a
// test refers to (docs/UI.md lists the names). Find() answers from the last complete frame.
class Widgets {
 public:
  struct Entry {
    ImVec2 min, max;
    std::string text;
  };
  // Starts a frame: the names marked during the previous one become what Find() answers.
  void BeginFrame();
  // Names the last item submitted (ImGui::GetItemRectMin/Max), with the text it shows.
  void Mark(std::string_view name, std::string_view text = {});
  void MarkRect(std::string_view name, ImVec2 min, ImVec2 max, std::string_view text = {});
  const Entry* Find(std::string_view name) const;     // the last complete frame
  const Entry* Current(std::string_view name) const;  // the frame being drawn
  const std::map<std::string, Entry, std::less<>>& last() const { return last_; }
  const std::map<std::string, Entry, std::less<>>& current() const { return current_; }

 private:
  std::map<std::string, Entry, std::less<>> last_, current_;
};

// Text in a colour, wrapped at the window's edge.
void ColouredText(Rgba colour, std::string_view text);
// "错误：message" in red or "警告：message" in amber, marked as `name`.
void ProblemLine(Widgets& w, std::string_view name, bool error, std::string_view where,
                 std::string_view code, std::string_view message);
// A "(?)" that shows `text` when hovered.
void HelpMark(std::string_view text);
// A section heading with a separator.
void Heading(std::string_view text);
// A button marked as `name`; true when clicked.
bool NamedButton(Widgets& w, std::string_view name, std::string_view label);

}  // namespace shequ::ui
