// Plays a script (ui/script/script.h) into the real window: key presses and typed characters go
// through the GLFW backend's callbacks, as the window system's events do; the pointer is the
// script's own (GLFW's cursor position is replaced each frame while a script runs), so clicks
// land on the named widget's centre whatever the X server's pointer does.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "node/base/status.h"
#include "ui/app/app.h"
#include "ui/app/window.h"
#include "ui/panels/widgets.h"
#include "ui/script/script.h"

namespace shequ::ui {

class ScriptPlayer {
 public:
  ScriptPlayer(std::vector<ScriptStep> steps, Window& window, App& app);

  // Between the backends' NewFrame and ImGui::NewFrame: this frame's input.
  void BeforeFrame(const Widgets& w);
  // After the frame was rendered, before Swap: expectations, screenshots, the next step.
  void AfterFrame(const Widgets& w);

  bool done() const { return index_ >= steps_.size() || !status_.ok(); }
  const Status& status() const { return status_; }
  size_t shots() const { return shots_; }

 private:
  void Next();
  void Fail(const std::string& why);
  // Counts a frame waited for a widget; true once the wait is over (frames and seconds).
  bool Impatient();

  std::vector<ScriptStep> steps_;
  Window& window_;
  App& app_;
  size_t index_ = 0;
  int phase_ = 0;   // within a step: key down/up, click move/press/release, frames waited
  int waited_ = 0;  // frames waited for a widget to appear
  float mouse_x_ = -1e6f, mouse_y_ = -1e6f;
  bool mouse_down_ = false;
  std::chrono::steady_clock::time_point step_start_;
  Status status_;
  size_t shots_ = 0;
};

}  // namespace shequ::ui
