#include "ui/app/script_player.h"

#include <GLFW/glfw3.h>

#include "backends/imgui_impl_glfw.h"
#include "imgui.h"
#include "node/base/text.h"

namespace shequ::ui {

namespace {

// How long `click` and `expect` wait for their widget: background tasks (an ID card read, a
// sync) take some frames, and some seconds on a busy machine.
constexpr int kPatienceFrames = 300;
constexpr auto kPatienceTime = std::chrono::seconds(20);

int Mods(const ScriptStep& s) {
  return (s.ctrl ? GLFW_MOD_CONTROL : 0) | (s.shift ? GLFW_MOD_SHIFT : 0) |
         (s.alt ? GLFW_MOD_ALT : 0);
}

// Widget names close to `name` (same prefix), for the failure message.
std::string Similar(const std::map<std::string, Widgets::Entry, std::less<>>& drawn,
                    const std::string& name) {
  std::string prefix = name.substr(0, name.find('.'));
  std::string out;
  int n = 0;
  for (const auto& [k, e] : drawn) {
    if (k.rfind(prefix, 0) != 0) continue;
    if (n++ == 12) {
      out += " ...";
      break;
    }
    out += " " + k;
  }
  return out.empty() ? " (none)" : out;
}

}  // namespace

ScriptPlayer::ScriptPlayer(std::vector<ScriptStep> steps, Window& window, App& app)
    : steps_(std::move(steps)),
      window_(window),
      app_(app),
      step_start_(std::chrono::steady_clock::now()) {}

void ScriptPlayer::Fail(const std::string& why) {
  const ScriptStep& s = steps_[index_];
  status_ = Status::Invalid("script line " + std::to_string(s.line) + ": " + why);
}

void ScriptPlayer::Next() {
  ++index_;
  phase_ = 0;
  waited_ = 0;
  step_start_ = std::chrono::steady_clock::now();
}

bool ScriptPlayer::Impatient() {
  return ++waited_ > kPatienceFrames &&
         std::chrono::steady_clock::now() - step_start_ > kPatienceTime;
}

void ScriptPlayer::BeforeFrame(const Widgets& w) {
  ImGuiIO& io = ImGui::GetIO();
  GLFWwindow* win = window_.handle();
  if (!done()) {
    const ScriptStep& s = steps_[index_];
    switch (s.kind) {
      case ScriptStep::Kind::kScreen:
        if (phase_ == 0 && !app_.SelectScreen(s.arg)) {
          std::string screens;
          for (const std::string& id : app_.Screens()) screens += " " + id;
          Fail("this node has no screen " + s.arg + " (it has:" + screens + ")");
        }
        break;
      case ScriptStep::Kind::kClick: {
        if (phase_ == 0) {
          const Widgets::Entry* e = w.Find(s.arg);
          if (!e) break;  // not drawn yet: AfterFrame counts the wait
          mouse_x_ = (e->min.x + e->max.x) / 2;
          mouse_y_ = (e->min.y + e->max.y) / 2;
          mouse_down_ = false;
        } else if (phase_ == 1) {
          mouse_down_ = true;
        } else {
          mouse_down_ = false;
        }
        break;
      }
      case ScriptStep::Kind::kType:
        if (phase_ == 0) {
          std::vector<char32_t> cps;
          DecodeUtf8(s.arg, &cps);
          for (char32_t c : cps) ImGui_ImplGlfw_CharCallback(win, static_cast<unsigned int>(c));
        }
        break;
      case ScriptStep::Kind::kKey: {
        bool down = phase_ % 2 == 0;
        int action = down ? GLFW_PRESS : GLFW_RELEASE;
        auto mod = [&](bool on, int key) {
          if (on) ImGui_ImplGlfw_KeyCallback(win, key, 0, action, Mods(s));
        };
        if (down) {
          mod(s.ctrl, GLFW_KEY_LEFT_CONTROL);
          mod(s.shift, GLFW_KEY_LEFT_SHIFT);
          mod(s.alt, GLFW_KEY_LEFT_ALT);
          ImGui_ImplGlfw_KeyCallback(win, s.key, 0, action, Mods(s));
        } else {
          ImGui_ImplGlfw_KeyCallback(win, s.key, 0, action, Mods(s));
          mod(s.ctrl, GLFW_KEY_LEFT_CONTROL);
          mod(s.shift, GLFW_KEY_LEFT_SHIFT);
          mod(s.alt, GLFW_KEY_LEFT_ALT);
        }
        break;
      }
      default:
        break;
    }
  }
  // The script owns the pointer: where its last click was, or nowhere.
  io.MousePos = ImVec2(mouse_x_, mouse_y_);
  for (bool& b : io.MouseDown) b = false;
  io.MouseDown[0] = mouse_down_;
}

void ScriptPlayer::AfterFrame(const Widgets& w) {
  if (done()) return;
  const ScriptStep& s = steps_[index_];
  switch (s.kind) {
    case ScriptStep::Kind::kScreen:
      if (phase_++ >= 1) Next();  // one frame to switch, one to draw the screen
      break;
    case ScriptStep::Kind::kClick:
      if (phase_ == 0 && mouse_x_ < -1e5f) {
        if (Impatient())
          Fail("no widget " + s.arg + " to click; widgets drawn:" + Similar(w.current(), s.arg));
        break;
      }
      if (++phase_ == 3) {
        // Away from the widget again, so screenshots show no hover.
        mouse_x_ = mouse_y_ = -1e6f;
        Next();
      }
      break;
    case ScriptStep::Kind::kType:
      Next();
      break;
    case ScriptStep::Kind::kKey:
      if (++phase_ >= 2 * s.count) Next();
      break;
    case ScriptStep::Kind::kWait:
      if (++phase_ >= s.count) Next();
      break;
    case ScriptStep::Kind::kExpect: {
      const Widgets::Entry* e = w.Current(s.arg);
      if (e && (s.text.empty() || e->text.find(s.text) != std::string::npos)) {
        Next();
      } else if (Impatient()) {
        Fail(e ? "widget " + s.arg + " shows \"" + e->text + "\", not \"" + s.text + "\""
               : "no widget " + s.arg + " was drawn; widgets drawn:" + Similar(w.current(), s.arg));
      }
      break;
    }
    case ScriptStep::Kind::kExpectNot:
      if (const Widgets::Entry* e = w.Current(s.arg))
        Fail("widget " + s.arg + " was drawn (\"" + e->text + "\")");
      else
        Next();
      break;
    case ScriptStep::Kind::kShot: {
      Status st = window_.Screenshot(s.arg);
      if (!st.ok()) {
        Fail(st.message());
      } else {
        ++shots_;
        Next();
      }
      break;
    }
  }
}

}  // namespace shequ::ui
