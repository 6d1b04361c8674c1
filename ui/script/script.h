// Scripted sessions (docs/UI.md "Scripts"): a line-based language that drives the real window —
// key presses, typed text, clicks on named widgets — so tests and the documentation see real
// frames. Parsing is here (no ImGui); the player that feeds the steps to the window is in
// ui/app/script_player.h.
//
//   # a comment                 blank lines and comments are ignored
//   screen card                 switch to a screen: card, browse, conflicts, transfers, sync,
//                               assess, terminals, audit
//   click NAME                  click the centre of the widget NAME (waits for it to appear)
//   type TEXT                   type the rest of the line (UTF-8) into the focused input
//   key KEY [N]                 press KEY N times: Tab, Enter, Escape, Up, Down, Left, Right,
//                               Backspace, Delete, Home, End, Space, A-Z, F1-F12, with
//                               ctrl+ / shift+ / alt+ prefixes (shift+Tab, ctrl+a)
//   tab [N]                     key Tab N times
//   wait [N]                    render N frames (default 1)
//   expect NAME [TEXT]          NAME was drawn in the last frame (and its text contains TEXT);
//                               waits up to 300 frames for it (background tasks)
//   expect-not NAME             NAME was not drawn in the last frame
//   shot FILE.png               writes the current frame to a PNG
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "node/base/status.h"

namespace shequ::ui {

struct ScriptStep {
  enum class Kind { kScreen, kClick, kType, kKey, kWait, kExpect, kExpectNot, kShot };
  Kind kind = Kind::kWait;
  std::string arg;   // screen, widget name, text, key, file
  std::string text;  // expect: the text the widget must contain
  int count = 1;     // key presses, frames
  int key = 0;       // GLFW key code (kKey)
  bool ctrl = false, shift = false, alt = false;
  int line = 0;  // 1-based line in the script
};

// GLFW key code for a key name ("Tab", "a", "F5"), 0 if unknown.
int KeyCode(std::string_view name);

Result<std::vector<ScriptStep>> ParseScript(std::string_view text);

}  // namespace shequ::ui
