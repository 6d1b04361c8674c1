// A screen of the main window. The base class owns the tab's Begin/End pair and the scrolling
// child inside it, so no panel can mismatch them (as ImHex's views do); panels draw only their
// contents. One panel per file (ui/panels/*_panel.cpp); panels include ImGui and the view models'
// headers, never the service layer.
#pragma once

#include <string>

#include "ui/panels/widgets.h"

namespace shequ::ui {

class Panel {
 public:
  // `id` names the screen for scripts (screen ID, tab.ID); `title` is its tab label.
  Panel(std::string id, std::string title) : id_(std::move(id)), title_(std::move(title)) {}
  virtual ~Panel() = default;
  Panel(const Panel&) = delete;
  Panel& operator=(const Panel&) = delete;

  const std::string& id() const { return id_; }
  const std::string& title() const { return title_; }
  bool visible() const { return visible_; }

  // Draws the panel as a tab of the current tab bar (`select`: make it the selected tab).
  void DrawTab(Widgets& w, bool select);
  // Every frame, shown or not: background work the panel waits for.
  virtual void Poll() {}

 protected:
  // The panel became the visible tab: refresh its snapshots.
  virtual void OnShow() {}
  virtual void DrawContents(Widgets& w) = 0;

 private:
  std::string id_, title_;
  bool visible_ = false;
};

}  // namespace shequ::ui
