// The application: the screens a node's certificate allows, as tabs of one full-window frame,
// the login before them when the node's data is sealed, and the status bar under them. main()
// (node/cli/cmd_ui.cpp) wires a Session, a Window and an App together; so do the tests and the
// benchmark.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ui/panels/panels.h"
#include "ui/vm/session.h"

namespace shequ::ui {

class App {
 public:
  explicit App(Session& session);
  ~App();

  // One frame of the whole front end, between ImGui::NewFrame() and ImGui::Render().
  void Draw(Widgets& w);
  // A per-frame failure caught by the caller (shown in the status bar).
  void set_frame_error(std::string e) { frame_error_ = std::move(e); }

  // Screens by id: card, browse, conflicts, transfers, sync, assess, terminals, audit.
  bool HasScreen(std::string_view id);
  // Shows a screen from the next frame on; false when this node has no such screen.
  bool SelectScreen(std::string_view id);
  std::vector<std::string> Screens();

  // The screens' view models (tests, the benchmark); null when this node has no such screen.
  CardForm* card_form();
  Browser* browser();
  Dashboard* dashboard();
  ConflictQueue* conflicts();

 private:
  void EnsurePanels();
  Panel* Find(std::string_view id);

  Session& session_;
  LoginForm login_;
  std::vector<std::unique_ptr<Panel>> panels_;
  std::string requested_;
  std::string frame_error_;
  std::chrono::steady_clock::time_point last_status_{};
};

}  // namespace shequ::ui
