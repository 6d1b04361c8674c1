#include "ui/app/run.h"

#include <cstdarg>
#include <cstdio>
#include <exception>
#include <optional>

#include "imgui.h"
#include "imgui_internal.h"
#include "node/base/file.h"
#include "ui/app/app.h"
#include "ui/app/script_player.h"
#include "ui/app/window.h"

namespace shequ::ui {

namespace {

extern "C" void LogRecovery(void*, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  std::fprintf(stderr, "shequ ui: ");
  std::vfprintf(stderr, fmt, args);
  std::fprintf(stderr, "\n");
  va_end(args);
}

}  // namespace

int RunUi(Session& session, const UiOptions& o) {
  std::optional<std::vector<ScriptStep>> steps;
  if (!o.script.empty()) {
    auto text = ReadFile(o.script);
    if (!text.ok()) {
      std::fprintf(stderr, "shequ ui: %s\n", text.status().message().c_str());
      return 2;
    }
    auto parsed = ParseScript(*text);
    if (!parsed.ok()) {
      std::fprintf(stderr, "shequ ui: %s: %s\n", o.script.c_str(),
                   parsed.status().message().c_str());
      return 2;
    }
    steps = std::move(*parsed);
  }
  bool headless_run = steps || !o.screenshot.empty() || o.frames > 0;
  Window::Options wo;
  wo.width = o.width;
  wo.height = o.height;
  wo.title = "社区信息采集 — " + session.node_name();
  wo.vsync = !headless_run;
  auto window = Window::Create(wo);
  if (!window.ok()) {
    std::fprintf(stderr, "shequ ui: %s\n", window.status().message().c_str());
    return 1;
  }
  App app(session);
  Widgets widgets;
  std::optional<ScriptPlayer> player;
  if (steps) player.emplace(std::move(*steps), **window, app);
  // Frames still to draw once the script has ended (or in all, without a script).
  int remaining = o.frames >= 0 ? o.frames : (player ? 2 : (headless_run ? 5 : -1));
  int frame_errors = 0;
  int idle = 0;  // interactive: frames without input
  ImVec2 last_mouse(0, 0);
  for (;;) {
    // Interactive: sleep until input once a few frames have settled what it changed.
    bool awake = session.busy() || headless_run || idle < 5;
    (*window)->WaitEvents(awake ? 0 : 0.25);
    if ((*window)->ShouldClose()) break;
    (*window)->NewFrame();
    widgets.BeginFrame();
    if (player) player->BeforeFrame(widgets);
    ImGui::NewFrame();
    {
      const ImGuiIO& io = ImGui::GetIO();
      bool input = io.InputQueueCharacters.Size > 0 || io.MousePos.x != last_mouse.x ||
                   io.MousePos.y != last_mouse.y || io.MouseWheel != 0;
      for (bool d : io.MouseDown) input = input || d;
      for (bool d : io.KeysDown) input = input || d;
      last_mouse = io.MousePos;
      idle = input ? 0 : idle + 1;
    }
    try {
      app.Draw(widgets);
    } catch (const std::exception& e) {
      // One catch-all per frame: the frame's Begin/End pairs are closed, the error shown.
      ImGui::ErrorCheckEndFrameRecover(LogRecovery, nullptr);
      app.set_frame_error(e.what());
      std::fprintf(stderr, "shequ ui: a frame failed: %s\n", e.what());
      ++frame_errors;
    }
    (*window)->Render();
    if (player) {
      player->AfterFrame(widgets);
      if (!player->status().ok()) {
        std::fprintf(stderr, "shequ ui: %s\n", player->status().message().c_str());
        if (!o.screenshot.empty()) (void)(*window)->Screenshot(o.screenshot);
        return 1;
      }
    }
    bool counting = !player || player->done();
    if (counting && remaining >= 0 && remaining-- == 0) {
      if (!o.screenshot.empty()) {
        Status st = (*window)->Screenshot(o.screenshot);
        if (!st.ok()) {
          std::fprintf(stderr, "shequ ui: %s\n", st.message().c_str());
          return 1;
        }
      }
      break;
    }
    (*window)->Swap();
  }
  return frame_errors ? 1 : 0;
}

}  // namespace shequ::ui
