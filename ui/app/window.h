// The window the front end draws in: GLFW, an OpenGL 3 context, Dear ImGui with its GLFW and
// OpenGL 3 backends (Debian's libimgui-dev), the CJK font, and frames read back as PNG files.
//
// Thread safety: the thread that created the window owns it (GLFW's rule).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "node/base/status.h"

struct GLFWwindow;

namespace shequ::ui {

// The CJK font: $SHEQU_UI_FONT, else Debian's fonts-wqy-microhei (or another CJK font Debian
// installs in a known place). NotFound names the package to install.
Result<std::string> FindCjkFont();

class Window {
 public:
  struct Options {
    int width = 1366, height = 768;  // the common office screen
    std::string title = "shequ";
    float font_px = 16;
    bool vsync = true;
  };
  static Result<std::unique_ptr<Window>> Create(const Options& options);
  ~Window();
  Window(const Window&) = delete;
  Window& operator=(const Window&) = delete;

  GLFWwindow* handle() { return window_; }
  bool ShouldClose() const;
  // Waits for input at most `seconds` (0: just polls).
  void WaitEvents(double seconds);
  // The backends' part of a new frame; ImGui::NewFrame() follows.
  void NewFrame();
  // ImGui::Render() and drawing into the back buffer.
  void Render();
  // The back buffer as RGBA rows, top row first.
  std::vector<uint8_t> ReadPixels(int* width, int* height);
  // Writes the back buffer to a PNG file (after Render, before Swap).
  Status Screenshot(const std::string& path);
  void Swap();

 private:
  Window() = default;
  GLFWwindow* window_ = nullptr;
  bool imgui_ = false, glfw_backend_ = false, gl_backend_ = false;
};

}  // namespace shequ::ui
