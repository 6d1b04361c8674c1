#include "ui/app/window.h"

#include <GLFW/glfw3.h>
#include <dlfcn.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "backends/imgui_impl_glfw.h"
#include "backends/imgui_impl_opengl3.h"
#include "imgui.h"
#include "ui/app/png.h"
#include "ui/vm/text.h"

namespace shequ::ui {

namespace {

std::string g_glfw_error;  // the last GLFW error (GLFW reports them through a callback)

extern "C" void OnGlfwError(int code, const char* text) {
  g_glfw_error = "GLFW " + std::to_string(code) + ": " + (text ? text : "");
}

#if defined(__SANITIZE_ADDRESS__)
#define SHEQU_UI_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SHEQU_UI_ASAN 1
#endif
#endif

// Under AddressSanitizer: keeps every library loaded so far (GLFW's X11 extensions, Mesa's
// driver) loaded to the end. GLFW and GLX unload them at exit, before the leak check, which then
// cannot tell whose the blocks they still hold are and reports them; kept, they are reachable.
void PinLoadedLibraries() {
#if SHEQU_UI_ASAN
  FILE* maps = std::fopen("/proc/self/maps", "r");
  if (!maps) return;
  char line[4096];
  while (std::fgets(line, sizeof line, maps)) {
    char* path = std::strchr(line, '/');
    if (!path || !std::strstr(path, ".so")) continue;
    path[std::strcspn(path, "\n")] = 0;
    dlopen(path, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
  }
  std::fclose(maps);
#endif
}

bool Exists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// The background: the colour the frame is cleared to. The main window itself is transparent, so
// that a software renderer (llvmpipe) does not blend a second full-screen quad over the clear.
const ImVec4 kBackground(0.97f, 0.97f, 0.96f, 1);

void ApplyStyle() {
  ImGui::StyleColorsLight();
  ImGuiStyle& s = ImGui::GetStyle();
  s.WindowRounding = 0;
  s.FrameRounding = 3;
  s.GrabRounding = 3;
  s.TabRounding = 3;
  s.FrameBorderSize = 1;
  s.WindowPadding = ImVec2(8, 6);
  s.FramePadding = ImVec2(5, 3);
  s.ItemSpacing = ImVec2(7, 4);
  s.CellPadding = ImVec2(4, 2);
  ImVec4* c = s.Colors;
  c[ImGuiCol_WindowBg] = ImVec4(kBackground.x, kBackground.y, kBackground.z, 0);
  c[ImGuiCol_ChildBg] = ImVec4(0, 0, 0, 0);
  c[ImGuiCol_FrameBg] = ImVec4(1, 1, 1, 1);
  c[ImGuiCol_Border] = ImVec4(0.70f, 0.70f, 0.72f, 1);
  c[ImGuiCol_TableHeaderBg] = ImVec4(0.88f, 0.90f, 0.94f, 1);
  c[ImGuiCol_TableRowBgAlt] = ImVec4(0.95f, 0.95f, 0.97f, 1);
  c[ImGuiCol_Tab] = ImVec4(0.84f, 0.87f, 0.92f, 1);
  c[ImGuiCol_TabActive] = ImVec4(0.55f, 0.68f, 0.88f, 1);
  c[ImGuiCol_TabHovered] = ImVec4(0.65f, 0.76f, 0.92f, 1);
}

}  // namespace

Result<std::string> FindCjkFont() {
  if (const char* env = std::getenv("SHEQU_UI_FONT"); env && *env) {
    if (Exists(env)) return std::string(env);
    return Status::NotFound(std::string("SHEQU_UI_FONT names no file: ") + env);
  }
  static const char* kKnown[] = {
      "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",          // fonts-wqy-microhei
      "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",            // fonts-wqy-zenhei
      "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  // fonts-noto-cjk
  };
  for (const char* p : kKnown)
    if (Exists(p)) return std::string(p);
  return Status::NotFound(
      "no CJK font found: the screens are in Chinese and need Debian's fonts-wqy-microhei "
      "(apt-get install fonts-wqy-microhei; tools/bootstrap deps installs it), or set "
      "SHEQU_UI_FONT to a font file with Chinese glyphs");
}

Result<std::unique_ptr<Window>> Window::Create(const Options& o) {
  ASSIGN_OR_RETURN(std::string font, FindCjkFont());
  glfwSetErrorCallback(OnGlfwError);
  if (!glfwInit()) {
    const char* display = std::getenv("DISPLAY");
    return Status::Unavailable(
        "cannot open a window (" + g_glfw_error + ")" +
        (display && *display ? std::string()
                             : std::string("; DISPLAY is not set: run under an X server, e.g. "
                                           "xvfb-run -a shequ ui ...")));
  }
  auto w = std::unique_ptr<Window>(new Window());
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
  w->window_ = glfwCreateWindow(o.width, o.height, o.title.c_str(), nullptr, nullptr);
  if (!w->window_) return Status::Unavailable("cannot create an OpenGL 3 window: " + g_glfw_error);
  glfwMakeContextCurrent(w->window_);
  glfwSwapInterval(o.vsync ? 1 : 0);
  PinLoadedLibraries();

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  w->imgui_ = true;
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;  // no imgui.ini in the working directory
  ImFontConfig cfg;
  cfg.OversampleH = 1;
  cfg.OversampleV = 1;
  cfg.PixelSnapH = true;
  // Every CJK ideograph: people's names use rare characters too.
  if (!io.Fonts->AddFontFromFileTTF(font.c_str(), o.font_px, &cfg,
                                    io.Fonts->GetGlyphRangesChineseFull()))
    return Status::Internal("cannot load the font " + font);
  ApplyStyle();
  w->glfw_backend_ = ImGui_ImplGlfw_InitForOpenGL(w->window_, true);
  w->gl_backend_ = ImGui_ImplOpenGL3_Init("#version 130");
  if (!w->glfw_backend_ || !w->gl_backend_)
    return Status::Internal("cannot initialise Dear ImGui's GLFW and OpenGL 3 backends");
  return w;
}

Window::~Window() {
  if (gl_backend_) ImGui_ImplOpenGL3_Shutdown();
  if (glfw_backend_) ImGui_ImplGlfw_Shutdown();
  if (imgui_) ImGui::DestroyContext();
  if (window_) glfwDestroyWindow(window_);
  glfwTerminate();
}

bool Window::ShouldClose() const { return glfwWindowShouldClose(window_); }

void Window::WaitEvents(double seconds) {
  if (seconds <= 0)
    glfwPollEvents();
  else
    glfwWaitEventsTimeout(seconds);
}

void Window::NewFrame() {
  ImGui_ImplOpenGL3_NewFrame();
  ImGui_ImplGlfw_NewFrame();
}

void Window::Render() {
  ImGui::Render();
  int w = 0, h = 0;
  glfwGetFramebufferSize(window_, &w, &h);
  glViewport(0, 0, w, h);
  glClearColor(kBackground.x, kBackground.y, kBackground.z, 1);
  glClear(GL_COLOR_BUFFER_BIT);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
}

std::vector<uint8_t> Window::ReadPixels(int* width, int* height) {
  int w = 0, h = 0;
  glfwGetFramebufferSize(window_, &w, &h);
  std::vector<uint8_t> px(static_cast<size_t>(w) * static_cast<size_t>(h) * 4);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadBuffer(GL_BACK);
  glReadPixels(0, 0, w, h, GL_RGBA, GL_UNSIGNED_BYTE, px.data());
  // OpenGL's rows start at the bottom.
  size_t stride = static_cast<size_t>(w) * 4;
  std::vector<uint8_t> out(px.size());
  for (int y = 0; y < h; ++y)
    std::copy_n(px.begin() + static_cast<long>(static_cast<size_t>(h - 1 - y) * stride), stride,
                out.begin() + static_cast<long>(static_cast<size_t>(y) * stride));
  for (size_t i = 3; i < out.size(); i += 4) out[i] = 255;
  *width = w;
  *height = h;
  return out;
}

Status Window::Screenshot(const std::string& path) {
  int w = 0, h = 0;
  std::vector<uint8_t> px = ReadPixels(&w, &h);
  if (w <= 0 || h <= 0) return Status::Internal("the window has no pixels");
  // The colours that carry meaning stay exact in the palette.
  std::vector<uint32_t> keep;
  for (Rgba c : {kErrorRed, kWarningAmber, kGoodGreen, kDeviceBlue, kMutedGrey})
    keep.push_back(uint32_t(c.r * 255 + 0.5f) << 16 | uint32_t(c.g * 255 + 0.5f) << 8 |
                   uint32_t(c.b * 255 + 0.5f));
  return WritePalettePng(path, w, h, px, keep);
}

void Window::Swap() { glfwSwapBuffers(window_); }

}  // namespace shequ::ui
