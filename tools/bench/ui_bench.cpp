// Frame times of the front end (issue 7): the household browser over one community of 5,000
// households and the assessment dashboard over every community of the city, drawn by the real
// application in a real window (run it under an X server: Xvfb with Mesa's llvmpipe renders on
// the CPU, so this is the slow case). Each frame is timed from input to a finished picture
// (glFinish), while the list or the table scrolls.
//
//   xvfb-run -a -s "-screen 0 1400x900x24" build/tools/bench_ui [--households 5000]
//       [--city-persons 8300] [--frames 300] [--seed 1] [--shots DIR] [--keep DIR]
#include <GLFW/glfw3.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "backends/imgui_impl_glfw.h"
#include "imgui.h"
#include "node/service/cards.h"
#include "node/service/node.h"
#include "tools/gen/gen.h"
#include "ui/app/app.h"
#include "ui/app/window.h"

using namespace shequ;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kBig = "150302001002";  // 和平社区: the community of 5,000 households

std::string Arg(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  return fallback;
}

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

int Die(const std::string& what) {
  std::fprintf(stderr, "bench_ui: %s\n", what.c_str());
  return 1;
}

struct Stats {
  double mean = 0, p50 = 0, p95 = 0, max = 0;
};

Stats Summarise(std::vector<double> ms) {
  Stats s;
  if (ms.empty()) return s;
  std::sort(ms.begin(), ms.end());
  for (double v : ms) s.mean += v;
  s.mean /= static_cast<double>(ms.size());
  s.p50 = ms[ms.size() / 2];
  s.p95 = ms[std::min(ms.size() - 1, ms.size() * 95 / 100)];
  s.max = ms.back();
  return s;
}

// Generates cards and imports them; `prefix` keeps card numbers of a second run distinct.
Status Populate(service::Node& node, const model::Reference& ref, size_t persons, uint64_t seed,
                const std::vector<std::string>& communities, const std::string& prefix,
                size_t max_cards, size_t* cards_out) {
  gen::GenOptions go;
  go.persons = persons;
  go.seed = seed;
  go.today = Date{2026, 11, 20};
  go.communities = communities;
  std::vector<model::ParsedCard> cards;
  gen::GenStats gs;
  RETURN_IF_ERROR(gen::GenerateCards(
      ref, go,
      [&](const model::Card& c) {
        if (cards.size() >= max_cards) return Status::Ok();
        model::ParsedCard pc{c, {}, cards.size()};
        pc.card.card_no = prefix + pc.card.card_no;
        cards.push_back(std::move(pc));
        return Status::Ok();
      },
      &gs));
  service::ImportOptions o;
  o.today = go.today;
  size_t refused = 0;
  RETURN_IF_ERROR(service::ImportCards(node, cards, o, [&](const service::CardResult& r) {
    if (r.outcome == service::CardResult::Outcome::kRefused) ++refused;
  }));
  if (refused) return Status::Internal(std::to_string(refused) + " generated cards refused");
  *cards_out = cards.size();
  return Status::Ok();
}

// Where a frame's time goes: building it (ImGui, the application), drawing it (OpenGL on
// llvmpipe, to glFinish) and presenting it.
struct Frame {
  double total = 0, build = 0, draw = 0;
  int vertices = 0, commands = 0;
};

// Draws `frames` frames of the current screen, the mouse wheel scrolling at (x, y): down for 100
// frames, up for 100, ... (`up`: up only; a negative x: no mouse).
std::vector<Frame> Frames(ui::Window& window, ui::App& app, ui::Widgets& widgets, int frames,
                          float x, float y, bool up = false) {
  std::vector<Frame> out;
  for (int i = 0; i < frames; ++i) {
    Frame f;
    auto t0 = Clock::now();
    window.WaitEvents(0);
    window.NewFrame();
    widgets.BeginFrame();
    ImGuiIO& io = ImGui::GetIO();
    io.MousePos = x < 0 ? ImVec2(-1e6f, -1e6f) : ImVec2(x, y);
    // Down the list for a while, then back up.
    io.MouseWheel = x < 0 ? 0.0f : (up || (i / 100) % 2 == 1) ? 1.0f : -1.0f;
    ImGui::NewFrame();
    app.Draw(widgets);
    ImGui::EndFrame();
    auto t1 = Clock::now();
    window.Render();
    glFinish();
    auto t2 = Clock::now();
    window.Swap();
    f.build = Seconds(t0, t1) * 1000;
    f.draw = Seconds(t1, t2) * 1000;
    f.total = Seconds(t0, Clock::now()) * 1000;
    if (const ImDrawData* dd = ImGui::GetDrawData()) {
      f.vertices = dd->TotalVtxCount;
      for (int l = 0; l < dd->CmdListsCount; ++l) f.commands += dd->CmdLists[l]->CmdBuffer.Size;
    }
    out.push_back(f);
  }
  return out;
}

// One more frame, the mouse away, written to `path` before it is presented.
void Shot(ui::Window& window, ui::App& app, ui::Widgets& widgets, const std::string& path) {
  window.WaitEvents(0);
  window.NewFrame();
  widgets.BeginFrame();
  ImGui::GetIO().MousePos = ImVec2(-1e6f, -1e6f);
  ImGui::NewFrame();
  app.Draw(widgets);
  window.Render();
  if (Status st = window.Screenshot(path); !st.ok())
    std::fprintf(stderr, "bench_ui: %s\n", st.ToString().c_str());
  window.Swap();
}

struct Report {
  Stats total, build, draw;
  int vertices = 0, commands = 0;
};

Report Summarise(const std::vector<Frame>& frames) {
  std::vector<double> total, build, draw;
  Report r;
  for (const Frame& f : frames) {
    total.push_back(f.total);
    build.push_back(f.build);
    draw.push_back(f.draw);
    r.vertices = std::max(r.vertices, f.vertices);
    r.commands = std::max(r.commands, f.commands);
  }
  r.total = Summarise(total);
  r.build = Summarise(build);
  r.draw = Summarise(draw);
  return r;
}

void Print(const std::string& what, const Report& r) {
  std::printf("%-32s frame mean %5.2f ms, p50 %5.2f, p95 %5.2f, max %6.2f (%s 16 ms at p95)\n",
              what.c_str(), r.total.mean, r.total.p50, r.total.p95, r.total.max,
              r.total.p95 < 16 ? "under" : "OVER");
  std::printf(
      "%-32s   building %5.2f ms (p95 %5.2f), drawing %5.2f ms (p95 %5.2f), %d vertices, "
      "%d draw calls\n",
      "", r.build.mean, r.build.p95, r.draw.mean, r.draw.p95, r.vertices, r.commands);
}

}  // namespace

int main(int argc, char** argv) {
  size_t households = std::stoul(Arg(argc, argv, "--households", "5000"));
  size_t city_persons = std::stoul(Arg(argc, argv, "--city-persons", "8300"));
  int frames = std::stoi(Arg(argc, argv, "--frames", "300"));
  uint64_t seed = std::stoull(Arg(argc, argv, "--seed", "1"));
  std::string shots = Arg(argc, argv, "--shots", "");
  std::string keep = Arg(argc, argv, "--keep", "");
  auto ref = model::Reference::Load();
  if (!ref.ok()) return Die(ref.status().ToString());

  std::string dir = keep;
  if (dir.empty()) {
    char tmpl[] = "/tmp/shequ-bench-ui-XXXXXX";
    if (!mkdtemp(tmpl)) return Die("mkdtemp failed");
    dir = tmpl;
  }
  auto t0 = Clock::now();
  service::CityInitOptions co;
  if (Status st = service::InitCity(dir + "/city", co); !st.ok()) return Die(st.ToString());
  // One node over every community of the city that collects (to import the generated cards)
  // and scores (the dashboard): a community office's grants plus the hub's score and audit.
  service::NodeInitOptions no;
  no.kind = trust::NodeKind::kCommunity;
  std::vector<std::string> others;
  for (const model::Division* d : ref->divisions().ResidentUnits()) {
    no.scopes.push_back(d->code);
    if (d->code != kBig) others.push_back(d->code);
  }
  no.name = "bench";
  no.grants = trust::DefaultGrants(no.kind, std::nullopt);
  no.grants.push_back(std::string(trust::grant::kScore));
  no.grants.push_back(std::string(trust::grant::kAudit));
  if (auto c = service::InitNode(dir + "/node", dir + "/city", no, *ref); !c.ok())
    return Die(c.status().ToString());
  auto node = service::Node::Open(dir + "/node", *ref);
  if (!node.ok()) return Die(node.status().ToString());
  // About 2.8 persons per household: three per household are enough, the rest are left out.
  size_t big_cards = 0, city_cards = 0;
  if (Status st = Populate(**node, *ref, households * 3, seed, {kBig}, "", households, &big_cards);
      !st.ok())
    return Die(st.ToString());
  if (Status st =
          Populate(**node, *ref, city_persons, seed + 1, others, "C", SIZE_MAX, &city_cards);
      !st.ok())
    return Die(st.ToString());
  std::printf("city: %zu households in %s, %zu in the other %zu communities (%.1f s to build)\n",
              big_cards, kBig, city_cards, others.size(), Seconds(t0, Clock::now()));

  auto session = ui::Session::Adopt(std::move(*node), *ref, {});
  auto s0 = Clock::now();
  session->RefreshStatus();
  std::printf("status bar refresh: %.1f ms (%llu changes pending)\n",
              Seconds(s0, Clock::now()) * 1000,
              static_cast<unsigned long long>(session->status().pending));
  ui::Window::Options wo;
  wo.vsync = false;
  if (std::string size = Arg(argc, argv, "--size", ""); !size.empty())
    std::sscanf(size.c_str(), "%dx%d", &wo.width, &wo.height);
  auto window = ui::Window::Create(wo);
  if (!window.ok()) return Die(window.status().ToString());
  ui::App app(*session);
  ui::Widgets widgets;

  // The browser: the list of 5,000 households, a household and a person open beside it.
  if (!app.SelectScreen("browse")) return Die("no browse screen");
  (void)Frames(**window, app, widgets, 3, -1, -1);  // shows the screen: loads the community
  ui::Browser* browser = app.browser();
  if (!browser || browser->total() == 0) return Die("the browser loaded nothing");
  std::printf("browser: %zu households loaded in %.3f s\n", browser->total(),
              browser->load_seconds());
  if (!browser->SelectRow(0).ok() || browser->members().empty() ||
      !browser->SelectPerson(browser->members()[0].entity).ok())
    return Die("cannot open a household");
  (void)Frames(**window, app, widgets, 20, 300, 400);  // warm-up
  Report browse = Summarise(Frames(**window, app, widgets, frames, 300, 400));
  if (!shots.empty()) {
    (void)Frames(**window, app, widgets, 150, 300, 400, true);  // back to the top
    Shot(**window, app, widgets, shots + "/bench-browse.png");
  }

  // The dashboard: every community scored, the first one drilled into.
  if (!app.SelectScreen("assess")) return Die("no assess screen");
  (void)Frames(**window, app, widgets, 3, -1, -1);  // shows the screen: scores the city
  ui::Dashboard* dash = app.dashboard();
  if (!dash) return Die("no dashboard");
  while (dash->running()) (void)Frames(**window, app, widgets, 1, -1, -1);
  if (!dash->has_report()) return Die("the dashboard has no report: " + dash->error());
  std::printf("dashboard: %zu communities scored in %.2f s\n", dash->rows().size(),
              dash->run_seconds());
  (void)Frames(**window, app, widgets, 20, 400, 200);
  Report assess = Summarise(Frames(**window, app, widgets, frames, 400, 200));
  if (!shots.empty()) {
    (void)Frames(**window, app, widgets, 150, 400, 200, true);
    Shot(**window, app, widgets, shots + "/bench-assess.png");
  }

  const GLubyte* renderer = glGetString(GL_RENDERER);
  std::printf("renderer: %s, window %dx%d, %d frames each, the list or table scrolling\n",
              renderer ? reinterpret_cast<const char*>(renderer) : "?", wo.width, wo.height,
              frames);
  Print("browser, " + std::to_string(browser->total()) + " households", browse);
  Print("dashboard, " + std::to_string(dash->rows().size()) + " communities", assess);
  if (keep.empty()) std::filesystem::remove_all(dir);
  return browse.total.p95 < 16 && assess.total.p95 < 16 ? 0 : 3;
}
