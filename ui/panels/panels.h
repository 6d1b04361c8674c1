// The screens (docs/UI.md): one class per screen, each implemented in its own file, each owning
// its view model. The status bar and the login are drawn by functions of their own files.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "ui/panels/panel.h"
#include "ui/vm/browser.h"
#include "ui/vm/card_form.h"
#include "ui/vm/conflicts.h"
#include "ui/vm/dashboard.h"
#include "ui/vm/monitor.h"
#include "ui/vm/session.h"
#include "ui/vm/sync.h"
#include "ui/vm/transfers.h"

namespace shequ::ui {

// What a panel may ask of the application: to show another screen.
struct Navigator {
  std::function<void(const std::string& screen)> show;
};

// 登记卡录入: card_entry_panel.cpp
class CardEntryPanel : public Panel {
 public:
  explicit CardEntryPanel(Session& session);
  CardForm& form() { return form_; }
  void Poll() override { form_.Poll(); }

 protected:
  void DrawContents(Widgets& w) override;

 private:
  void DrawField(Widgets& w, const FieldKey& k, float width, bool in_grid);
  void DrawHeader(Widgets& w);
  void DrawHousehold(Widgets& w);
  void DrawMembers(Widgets& w);
  void DrawDetail(Widgets& w);
  void DrawVisit(Widgets& w);
  void DrawProblems(Widgets& w);

  Session& session_;
  CardForm form_;
  bool focus_first_ = true;   // put the keyboard in 登记卡编号 (a new card)
  std::string focus_name_;    // a field to focus next frame (after adding a member)
  int skip_left_frames_ = 0;  // frames after a save or clear: a field left is the old card's
};

// 户籍浏览: browser_panel.cpp
class BrowserPanel : public Panel {
 public:
  // `transfer_out` starts a move-out of a person (its id and masked name) on the transfer screen.
  using TransferOut = std::function<void(const std::string& person, const std::string& name)>;
  BrowserPanel(Session& session, Navigator nav, TransferOut transfer_out);
  Browser& browser() { return browser_; }

 protected:
  void OnShow() override;
  void DrawContents(Widgets& w) override;

 private:
  void DrawList(Widgets& w, float height);
  void DrawHousehold(Widgets& w);
  void DrawPerson(Widgets& w);

  Session& session_;
  Browser browser_;
  Navigator nav_;
  TransferOut transfer_out_;
  std::string query_, purpose_, message_;
  bool message_error_ = false;
  bool loaded_ = false;
  int selected_row_ = -1;
};

// 冲突审核: conflicts_panel.cpp
class ConflictsPanel : public Panel {
 public:
  explicit ConflictsPanel(Session& session);
  ConflictQueue& queue() { return queue_; }

 protected:
  void OnShow() override;
  void DrawContents(Widgets& w) override;

 private:
  Session& session_;
  ConflictQueue queue_;
  std::string error_;
};

// 迁移: transfers_panel.cpp
class TransfersPanel : public Panel {
 public:
  explicit TransfersPanel(Session& session);
  Transfers& transfers() { return transfers_; }
  // Pre-fills the move-out form with a person chosen in the browser.
  void PrepareSend(const std::string& person, const std::string& name);

 protected:
  void OnShow() override;
  void DrawContents(Widgets& w) override;

 private:
  Session& session_;
  Transfers transfers_;
  std::string person_, person_name_, to_, reason_;
  std::string accept_id_, accept_card_, accept_relationship_ = "99";
  std::string error_;
};

// 同步: sync_panel.cpp
class SyncPanel : public Panel {
 public:
  explicit SyncPanel(Session& session);
  SyncView& sync() { return sync_; }
  void Poll() override { sync_.Poll(); }

 protected:
  void OnShow() override;
  void DrawContents(Widgets& w) override;

 private:
  SyncView sync_;
  std::string contact_, error_;
};

// 考核: dashboard_panel.cpp
class DashboardPanel : public Panel {
 public:
  explicit DashboardPanel(Session& session);
  Dashboard& dashboard() { return dashboard_; }
  void Poll() override { dashboard_.Poll(); }

 protected:
  void OnShow() override;
  void DrawContents(Widgets& w) override;

 private:
  void DrawTable(Widgets& w, float height);
  void DrawCharts(Widgets& w);
  void DrawDetail(Widgets& w);

  Dashboard dashboard_;
  std::string period_, scope_, error_;
  bool ran_ = false;
};

// 终端监控: terminals_panel.cpp
class TerminalsPanel : public Panel {
 public:
  explicit TerminalsPanel(Session& session);

 protected:
  void OnShow() override;
  void DrawContents(Widgets& w) override;

 private:
  TerminalMonitorView monitor_;
  std::string error_;
};

// 访问日志: audit_panel.cpp
class AuditPanel : public Panel {
 public:
  explicit AuditPanel(Session& session);

 protected:
  void OnShow() override;
  void DrawContents(Widgets& w) override;

 private:
  AuditLog log_;
  std::string error_;
  bool denied_only_ = false;
};

// The status bar: status_bar.cpp.
void DrawStatusBar(Session& session, Widgets& w, const std::string& frame_error);
// The operator login (a node whose data is sealed): login_panel.cpp. Holds what is typed.
class LoginForm {
 public:
  explicit LoginForm(Session& session) : session_(session) {}
  void Draw(Widgets& w);

 private:
  Session& session_;
  std::string op_, passphrase_, error_;
};

}  // namespace shequ::ui
