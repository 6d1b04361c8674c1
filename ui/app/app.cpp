#include "ui/app/app.h"

#include "imgui.h"

namespace shequ::ui {

namespace {
// The status bar's snapshot is this old at most.
constexpr auto kStatusEvery = std::chrono::seconds(5);
}  // namespace

App::App(Session& session) : session_(session), login_(session) {}

App::~App() = default;

void App::EnsurePanels() {
  if (!panels_.empty() || session_.locked()) return;
  TransfersPanel* transfers = nullptr;
  std::unique_ptr<TransfersPanel> transfers_owned;
  if (session_.Can(Capability::kTransfer) || session_.Can(Capability::kCollect)) {
    transfers_owned = std::make_unique<TransfersPanel>(session_);
    transfers = transfers_owned.get();
  }
  if (session_.Can(Capability::kCollect))
    panels_.push_back(std::make_unique<CardEntryPanel>(session_));
  if (session_.Can(Capability::kBrowse)) {
    Navigator nav{[this](const std::string& id) { SelectScreen(id); }};
    BrowserPanel::TransferOut out;
    if (transfers)
      out = [transfers](const std::string& person, const std::string& name) {
        transfers->PrepareSend(person, name);
      };
    panels_.push_back(std::make_unique<BrowserPanel>(session_, nav, out));
  }
  if (session_.Can(Capability::kReview))
    panels_.push_back(std::make_unique<ConflictsPanel>(session_));
  if (transfers_owned) panels_.push_back(std::move(transfers_owned));
  if (session_.Can(Capability::kAssess))
    panels_.push_back(std::make_unique<DashboardPanel>(session_));
  if (session_.Can(Capability::kMonitor))
    panels_.push_back(std::make_unique<TerminalsPanel>(session_));
  panels_.push_back(std::make_unique<SyncPanel>(session_));
  panels_.push_back(std::make_unique<AuditPanel>(session_));
}

Panel* App::Find(std::string_view id) {
  EnsurePanels();
  for (auto& p : panels_)
    if (p->id() == id) return p.get();
  return nullptr;
}

bool App::HasScreen(std::string_view id) { return Find(id) != nullptr; }

bool App::SelectScreen(std::string_view id) {
  if (!Find(id)) return false;
  requested_ = std::string(id);
  return true;
}

std::vector<std::string> App::Screens() {
  EnsurePanels();
  std::vector<std::string> out;
  for (auto& p : panels_) out.push_back(p->id());
  return out;
}

CardForm* App::card_form() {
  auto* p = dynamic_cast<CardEntryPanel*>(Find("card"));
  return p ? &p->form() : nullptr;
}

Browser* App::browser() {
  auto* p = dynamic_cast<BrowserPanel*>(Find("browse"));
  return p ? &p->browser() : nullptr;
}

Dashboard* App::dashboard() {
  auto* p = dynamic_cast<DashboardPanel*>(Find("assess"));
  return p ? &p->dashboard() : nullptr;
}

ConflictQueue* App::conflicts() {
  auto* p = dynamic_cast<ConflictsPanel*>(Find("conflicts"));
  return p ? &p->queue() : nullptr;
}

void App::Draw(Widgets& w) {
  auto now = std::chrono::steady_clock::now();
  if (now - last_status_ > kStatusEvery && !session_.locked()) {
    session_.RefreshStatusAsync();
    last_status_ = now;
  }
  session_.PollStatus();
  EnsurePanels();
  for (auto& p : panels_) p->Poll();

  const ImGuiViewport* vp = ImGui::GetMainViewport();
  ImGui::SetNextWindowPos(vp->WorkPos);
  ImGui::SetNextWindowSize(vp->WorkSize);
  ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                           ImGuiWindowFlags_NoSavedSettings |
                           ImGuiWindowFlags_NoBringToFrontOnFocus;
  ImGui::Begin("##shequ", nullptr, flags);
  if (session_.locked()) {
    login_.Draw(w);
    ImGui::End();
    return;
  }
  // A screen asked for during this frame (a panel's link) is shown from the next one.
  std::string select = std::move(requested_);
  requested_.clear();
  float status_h = ImGui::GetFrameHeightWithSpacing() + 4;
  ImGui::BeginChild("##screens", ImVec2(0, -status_h), false);
  if (ImGui::BeginTabBar("##tabs")) {
    for (auto& p : panels_) p->DrawTab(w, select == p->id());
    ImGui::EndTabBar();
  }
  ImGui::EndChild();
  DrawStatusBar(session_, w, frame_error_);
  ImGui::End();
}

}  // namespace shequ::ui
