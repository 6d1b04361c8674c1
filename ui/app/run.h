// `shequ ui`: the front end on a node (docs/UI.md), interactive or driven by a script.
#pragma once

#include <string>

#include "ui/vm/session.h"

namespace shequ::ui {

struct UiOptions {
  std::string script;      // a script file (ui/script/script.h); "" = interactive
  std::string screenshot;  // the final frame as PNG
  int frames = -1;         // frames after the script (default 2), or in all without one
  int width = 1366, height = 768;
};

// Runs the front end on `session` until the window closes, or the script and --frames end.
// Returns the exit status: 0, 1 (no window, a script expectation failed, a frame threw),
// 2 (an invalid script).
int RunUi(Session& session, const UiOptions& options);

}  // namespace shequ::ui
