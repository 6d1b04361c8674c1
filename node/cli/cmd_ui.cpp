// ui: the ImGui front end on a node (docs/UI.md), in the same binary.
#include <cstdio>

#include "node/base/text.h"
#include "node/cli/commands.h"
#if SHEQU_HAVE_UI
#include "ui/app/run.h"
#include "ui/vm/session.h"
#endif

namespace shequ::cli {
namespace {

constexpr const char* kUsage =
    "--dir NODE [--operator NAME --passphrase-file F] [--script FILE --screenshot OUT.png "
    "[--frames N]] [--size WxH] [--id-port PATH] [--peer CONTACT]...";

int Ui(const std::vector<std::string>& argv, Context& ctx) {
  static const Command self{"ui", kUsage, "", nullptr};
  int rc = 0;
  auto args = ParseOrUsage(
      argv, self, {}, {"dir", "script", "screenshot", "frames", "size", "id-port", "peer"}, &rc);
  if (!args) return rc;
#if SHEQU_HAVE_UI
  ui::UiOptions o;
  o.script = args->GetOr("script", "");
  o.screenshot = args->GetOr("screenshot", "");
  if (auto f = args->Get("frames")) {
    if (f->empty() || f->size() > 6 || !AllDigits(*f))
      return Fail(Status::Invalid("--frames must be a whole number"));
    o.frames = std::stoi(*f);
  }
  if (auto size = args->Get("size")) {
    std::vector<std::string_view> wh = Split(*size, 'x');
    if (wh.size() != 2 || wh[0].empty() || wh[1].empty() || wh[0].size() > 5 || wh[1].size() > 5 ||
        !AllDigits(wh[0]) || !AllDigits(wh[1]))
      return Fail(Status::Invalid("--size is WIDTHxHEIGHT, e.g. 1366x768"));
    o.width = std::stoi(std::string(wh[0]));
    o.height = std::stoi(std::string(wh[1]));
    if (o.width < 640 || o.height < 480) return Fail(Status::Invalid("--size: at least 640x480"));
  }
  auto node = OpenNode(*args, ctx);
  if (!node.ok()) return Fail(node.status());
  ui::Session::Options so;
  so.id_port = args->GetOr("id-port", "");
  so.peers = args->All("peer");
  auto session = ui::Session::Adopt(std::move(*node), ctx.ref, so);
  return ui::RunUi(*session, o);
#else
  (void)ctx;
  return Fail(Status::Unavailable(
      "this shequ was built without the front end (-DSHEQU_UI=OFF): install libimgui-dev, "
      "libglfw3-dev, libstb-dev and fonts-wqy-microhei and build again"));
#endif
}

}  // namespace

std::vector<Command> UiCommands() {
  return {{"ui", kUsage,
           "The front end (Chinese, ImGui): card entry, browsing, conflicts, transfers, sync, "
           "assessment, terminals, audit; --script drives it and --screenshot writes the last "
           "frame (docs/UI.md)",
           Ui}};
}

}  // namespace shequ::cli
