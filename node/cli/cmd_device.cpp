// device sim-id, device read-id, device sim-finger, device finger-eval, person enroll-finger,
// person read-id: the terminal's peripherals (docs/DEVICES.md). The drivers return Results; this
// file prints them.
#include <csignal>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "devices/enrol.h"
#include "devices/finger_sim.h"
#include "devices/id_reader.h"
#include "devices/id_sim.h"
#include "devices/synth_finger.h"
#include "node/base/text.h"
#include "node/base/time.h"
#include "node/cli/commands.h"
#include "node/service/cards.h"

namespace shequ::cli {
namespace {

using nlohmann::json;
using service::Node;

// Set by SIGTERM or SIGINT; the simulators poll it.
std::atomic<bool> g_stop{false};
extern "C" void OnStopSignal(int) { g_stop = true; }

void InstallStopHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
}

Result<int> IntOption(const Args& args, const std::string& name, int fallback, int lo, int hi) {
  auto v = args.Get(name);
  if (!v) return fallback;
  if (v->empty() || v->size() > 9 || !AllDigits(*v))
    return Status::Invalid("--" + name + " must be a whole number");
  int n = std::stoi(*v);
  if (n < lo || n > hi)
    return Status::Invalid("--" + name + " must be between " + std::to_string(lo) + " and " +
                           std::to_string(hi));
  return n;
}

json ProblemJson(const model::Problem& p) {
  return json{{"severity", p.severity == model::Severity::kError ? "error" : "warning"},
              {"field", p.field},
              {"code", p.code},
              {"message", p.message}};
}

json TextJson(const devices::IdCardText& t) {
  json j{{"kind", std::string(devices::IdDocKindName(t.kind))},
         {"label", std::string(devices::IdDocKindLabel(t.kind))}};
  auto put = [&](const char* k, const std::string& v) {
    if (!v.empty()) j[k] = v;
  };
  put("name", t.name);
  put("english_name", t.english_name);
  put("gender", t.gender);
  put("ethnicity", t.ethnicity);
  put("birth", t.birth);
  put("address", t.address);
  put("id_number", t.id_number);
  put("authority", t.authority);
  put("valid_from", t.valid_from);
  put("valid_to", t.valid_to);
  put("nationality", t.nationality);
  put("pass_number", t.pass_number);
  put("issue_count", t.issue_count);
  put("card_version", t.card_version);
  put("previous_link", t.previous_link);
  return j;
}

json ReadJson(const devices::IdCardRead& r) {
  json j{{"sam_id", r.sam_id},        {"card", TextJson(r.text)}, {"fields", json::object()},
         {"problems", json::array()}, {"expired", r.expired},     {"photo_bytes", r.photo.size()}};
  for (const auto& [k, v] : r.fields) j["fields"][k] = v;
  for (const auto& p : r.problems) j["problems"].push_back(ProblemJson(p));
  if (r.valid_to) j["valid_to"] = r.valid_to->ToString();
  return j;
}

void PrintRead(const devices::IdCardRead& r, Date today) {
  std::printf("%s  (reader SAM %s)\n", std::string(devices::IdDocKindLabel(r.text.kind)).c_str(),
              r.sam_id.c_str());
  for (const auto& [k, v] : r.fields) std::printf("  %-14s %s\n", k.c_str(), v.c_str());
  if (!r.text.english_name.empty())
    std::printf("  %-14s %s\n", "(english name)", r.text.english_name.c_str());
  if (!r.text.nationality.empty())
    std::printf("  %-14s %s\n", "(nationality)", r.text.nationality.c_str());
  if (!r.text.pass_number.empty())
    std::printf("  %-14s %s\n", "(pass number)", r.text.pass_number.c_str());
  std::printf("  %-14s %s - %s\n", "(valid)", r.text.valid_from.c_str(), r.text.valid_to.c_str());
  std::printf("  %-14s %zu bytes (not decoded)\n", "(photo)", r.photo.size());
  if (r.expired)
    std::printf("  expired: valid to %s, before today %s\n", r.valid_to->ToString().c_str(),
                today.ToString().c_str());
  for (const auto& p : r.problems)
    std::printf("  %s %s [%s] %s\n", p.severity == model::Severity::kError ? "error  " : "warning",
                p.field.c_str(), p.code.c_str(), p.message.c_str());
}

Result<devices::IdCardRead> ReadOneCard(const Args& args, const model::Reference& ref, Date today) {
  ASSIGN_OR_RETURN(std::string port, args.Need("port"));
  devices::IdCardReader::Options o;
  ASSIGN_OR_RETURN(o.baud, IntOption(args, "baud", 115200, 1, 4000000));
  ASSIGN_OR_RETURN(o.timeout_ms, IntOption(args, "timeout", 2000, 10, 600000));
  o.read_timeout_ms = std::max(o.timeout_ms, 5000);
  ASSIGN_OR_RETURN(devices::IdCardReader reader, devices::IdCardReader::Open(port, o));
  ASSIGN_OR_RETURN(devices::IdCardReader::RawRead raw, reader.ReadCard());
  devices::IdCardRead r =
      devices::InterpretIdCard(std::move(raw.text), std::move(raw.photo), ref, today);
  r.sam_id = raw.sam_id;
  return r;
}

Result<crdt::EntityRef> PersonFromHex(Node& node, const std::string& hex) {
  auto id = UnhexFixed<16>(hex);
  if (!id.ok()) return Status::Invalid("--entity must be 32 hex digits: " + id.status().message());
  auto r = node.store().BeginRead();
  if (!r.ok()) return r.status();
  ASSIGN_OR_RETURN(auto e, service::FindEntity(node, *r, model::EntityKind::kPerson, *id));
  if (!e) return Status::NotFound("no person " + hex + " in this replica");
  return *e;
}

// --- commands

int SimId(const std::vector<std::string>& argv, Context&) {
  static const Command self{"device sim-id", "--cards FILE", "", nullptr};
  int rc = 0;
  auto args = ParseOrUsage(argv, self, {}, {"cards"}, &rc);
  if (!args) return rc;
  auto path = args->Need("cards");
  if (!path.ok()) return Fail(path.status());
  auto cards = devices::LoadVirtualCards(*path);
  if (!cards.ok()) return Fail(cards.status());
  size_t n = cards->cards.size();
  auto sim = devices::IdReaderSimulator::Create(std::move(*cards));
  if (!sim.ok()) return Fail(sim.status());
  InstallStopHandlers();
  std::printf("%s\n", (*sim)->port().c_str());
  std::fflush(stdout);
  std::fprintf(stderr, "shequ: simulated ID card reader with %zu virtual cards on %s\n", n,
               (*sim)->port().c_str());
  (*sim)->Serve(g_stop);
  return kExitOk;
}

int ReadId(const std::vector<std::string>& argv, Context& ctx) {
  static const Command self{"device read-id", "--port PATH [--json] [--baud N] [--timeout MS]", "",
                            nullptr};
  int rc = 0;
  auto args = ParseOrUsage(argv, self, {"json"}, {"port", "baud", "timeout"}, &rc);
  if (!args) return rc;
  Date today = Today();
  auto r = ReadOneCard(*args, ctx.ref, today);
  if (!r.ok()) return Fail(r.status());
  if (args->Has("json"))
    std::printf("%s\n", ReadJson(*r).dump(2).c_str());
  else
    PrintRead(*r, today);
  return r->has_errors() || r->expired ? kExitInvalid : kExitOk;
}

int SimFinger(const std::vector<std::string>& argv, Context&) {
  static const Command self{"device sim-finger", "[--serial SN] [--fingers ID,ID,...] [--seed N]",
                            "", nullptr};
  int rc = 0;
  auto args = ParseOrUsage(argv, self, {}, {"serial", "fingers", "seed"}, &rc);
  if (!args) return rc;
  devices::FingerScannerSimulator::Options o;
  o.serial = args->GetOr("serial", o.serial);
  if (auto f = args->Get("fingers")) {
    o.fingers.clear();
    for (std::string_view part : Split(*f, ',')) {
      if (part.empty() || part.size() > 18 || !AllDigits(part))
        return Fail(
            Status::Invalid("--fingers is a comma-separated list of finger ids (0 = none)"));
      o.fingers.push_back(std::stoull(std::string(part)));
    }
  }
  if (auto s = args->Get("seed")) {
    if (s->empty() || s->size() > 18 || !AllDigits(*s))
      return Fail(Status::Invalid("--seed must be a whole number"));
    o.seed = std::stoull(*s);
  }
  auto sim = devices::FingerScannerSimulator::Create(o);
  if (!sim.ok()) return Fail(sim.status());
  InstallStopHandlers();
  std::printf("%s\n", (*sim)->port().c_str());
  std::fflush(stdout);
  std::fprintf(stderr, "shequ: simulated fingerprint scanner %s on %s\n", o.serial.c_str(),
               (*sim)->port().c_str());
  (*sim)->Serve(g_stop);
  return kExitOk;
}

int FingerEval(const std::vector<std::string>& argv, Context&) {
  static const Command self{"device finger-eval",
                            "[--fingers N] [--seed N] [--rotation DEG --shift PX] [--json]", "",
                            nullptr};
  int rc = 0;
  auto args = ParseOrUsage(argv, self, {"json"}, {"fingers", "seed", "rotation", "shift"}, &rc);
  if (!args) return rc;
  auto n = IntOption(*args, "fingers", 200, 2, 5000);
  if (!n.ok()) return Fail(n.status());
  auto seed = IntOption(*args, "seed", 1, 0, 999999999);
  if (!seed.ok()) return Fail(seed.status());
  std::optional<devices::Pose> pose;
  if (args->Has("rotation") || args->Has("shift")) {
    auto rot = IntOption(*args, "rotation", 0, 0, 180);
    auto shift = IntOption(*args, "shift", 0, 0, 1000);
    if (!rot.ok()) return Fail(rot.status());
    if (!shift.ok()) return Fail(shift.status());
    pose = devices::Pose{static_cast<double>(*rot), static_cast<double>(*shift),
                         static_cast<double>(*shift)};
  }
  devices::MatchOptions m;
  devices::MatcherEvaluation e =
      devices::EvaluateMatcher(*n, static_cast<uint64_t>(*seed), devices::SynthOptions{}, m, pose);
  if (args->Has("json")) {
    std::printf("%s\n", json{{"fingers", *n},
                             {"seed", *seed},
                             {"genuine", e.genuine},
                             {"false_non_matches", e.false_non_matches},
                             {"fnmr", e.fnmr()},
                             {"impostor", e.impostor},
                             {"false_matches", e.false_matches},
                             {"fmr", e.fmr()},
                             {"min_genuine_score", e.min_genuine_score},
                             {"max_impostor_score", e.max_impostor_score},
                             {"threshold", m.threshold},
                             {"min_pairs", m.min_pairs}}
                            .dump(2)
                            .c_str());
  } else {
    std::printf(
        "%d synthetic fingers, seed %d%s\n", *n, *seed,
        pose ? (", second capture rotated " + std::to_string(static_cast<int>(pose->rotation_deg)) +
                " degrees and shifted (" + std::to_string(static_cast<int>(pose->dx)) + ", " +
                std::to_string(static_cast<int>(pose->dy)) + ") px")
                   .c_str()
             : ", second capture in a random pose");
    std::printf("false non-match rate %.4f (%d of %d genuine comparisons)\n", e.fnmr(),
                e.false_non_matches, e.genuine);
    std::printf("false match rate     %.6f (%d of %d impostor comparisons)\n", e.fmr(),
                e.false_matches, e.impostor);
    std::printf("threshold: score >= %.2f and >= %d paired minutiae\n", m.threshold, m.min_pairs);
  }
  return kExitOk;
}

int EnrollFinger(const std::vector<std::string>& argv, Context& ctx) {
  static const Command self{
      "person enroll-finger",
      "--dir NODE --entity HEX --port PATH [--baud N] [--finger POS] [--operator NAME] [--json]",
      "", nullptr};
  int rc = 0;
  auto args = ParseOrUsage(argv, self, {"json"},
                           {"dir", "entity", "port", "baud", "finger", "operator", "timeout"}, &rc);
  if (!args) return rc;
  auto dir = args->Need("dir");
  auto hex = args->Need("entity");
  auto port = args->Need("port");
  for (const Status& st : {dir.status(), hex.status(), port.status()})
    if (!st.ok()) return Fail(st);
  devices::EnrolOptions eo;
  eo.op = args->GetOr("operator", "");
  eo.today = Today();
  auto finger = IntOption(*args, "finger", 0, 0, 10);
  if (!finger.ok()) return Fail(finger.status());
  eo.finger_position = static_cast<uint8_t>(*finger);
  auto timeout = IntOption(*args, "timeout", 10000, 100, 600000);
  if (!timeout.ok()) return Fail(timeout.status());
  eo.capture_timeout_ms = *timeout;
  devices::SerialFingerScanner::Options so;
  auto baud = IntOption(*args, "baud", 115200, 1, 4000000);
  if (!baud.ok()) return Fail(baud.status());
  so.baud = *baud;

  auto node = OpenNode(*args, ctx);
  if (!node.ok()) return Fail(node.status());
  if (Status st = NeedOperator(*args, **node); !st.ok()) return Fail(st);
  auto person = PersonFromHex(**node, *hex);
  if (!person.ok()) return Fail(person.status());
  auto scanner = devices::SerialFingerScanner::Open(*port, so);
  if (!scanner.ok()) return Fail(scanner.status());
  auto r = devices::CaptureAndEnrol(**node, **scanner, *person, eo);
  if (!r.ok()) return Fail(r.status());
  if (args->Has("json")) {
    json j{{"person", Hex(person->entity)}, {"scanner", r->scanner_serial},
           {"change", Hex(r->change)},      {"minutiae", r->minutiae},
           {"compared", r->compared},       {"duplicates", json::array()}};
    for (const auto& d : r->duplicates)
      j["duplicates"].push_back(json{{"person", Hex(d.person.entity)},
                                     {"community", d.person.community},
                                     {"name", d.name},
                                     {"id_number", d.id_number},
                                     {"pairs", d.match.pairs},
                                     {"score", d.match.score},
                                     {"marked", d.marked}});
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("stored fingerprint of %s (%zu minutiae, scanner %s) in change %s\n",
                Hex(person->entity).c_str(), r->minutiae, r->scanner_serial.c_str(),
                Hex(r->change).c_str());
    std::printf("compared with %zu enrolled fingerprints\n", r->compared);
    for (const auto& d : r->duplicates)
      std::printf("suspected duplicate registration: %s %s %s (%d paired minutiae, score %.2f)%s\n",
                  Hex(d.person.entity).c_str(), d.name.c_str(), d.id_number.c_str(), d.match.pairs,
                  d.match.score, d.marked ? "; both are in the review queue" : "");
  }
  return kExitOk;
}

int PersonReadId(const std::vector<std::string>& argv, Context& ctx) {
  static const Command self{
      "person read-id", "--dir NODE --entity HEX --port PATH [--baud N] [--operator NAME] [--json]",
      "", nullptr};
  int rc = 0;
  auto args = ParseOrUsage(argv, self, {"json"},
                           {"dir", "entity", "port", "baud", "operator", "timeout"}, &rc);
  if (!args) return rc;
  auto dir = args->Need("dir");
  auto hex = args->Need("entity");
  for (const Status& st : {dir.status(), hex.status()})
    if (!st.ok()) return Fail(st);
  auto node = OpenNode(*args, ctx);
  if (!node.ok()) return Fail(node.status());
  if (Status st = NeedOperator(*args, **node); !st.ok()) return Fail(st);
  auto person = PersonFromHex(**node, *hex);
  if (!person.ok()) return Fail(person.status());
  Date today = Today();
  auto read = ReadOneCard(*args, ctx.ref, today);
  if (!read.ok()) return Fail(read.status());
  auto r = devices::StoreIdCardRead(**node, *person, *read, args->GetOr("operator", ""), today);
  if (!r.ok()) return Fail(r.status());
  if (args->Has("json")) {
    json j = ReadJson(*read);
    j["stored"] = r->stored;
    j["fields_written"] = r->fields;
    if (r->fields) j["change"] = Hex(r->change);
    j["store_problems"] = json::array();
    for (const auto& p : r->problems) j["store_problems"].push_back(ProblemJson(p));
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    PrintRead(*read, today);
    for (const auto& p : r->problems)
      std::printf("%s %s [%s] %s\n", p.severity == model::Severity::kError ? "error  " : "warning",
                  p.field.c_str(), p.code.c_str(), p.message.c_str());
    if (!r->stored)
      std::printf("refused: nothing was written\n");
    else if (r->fields == 0)
      std::printf("unchanged: the terminal already recorded these values\n");
    else
      std::printf("stored %zu fields in change %s\n", r->fields, Hex(r->change).c_str());
  }
  return r->stored ? kExitOk : kExitInvalid;
}

}  // namespace

std::vector<Command> DeviceCommands() {
  return {
      {"device sim-id", "--cards FILE",
       "Simulated ID card reader on a pseudo-terminal: prints its path, serves the virtual cards "
       "until SIGTERM",
       SimId},
      {"device read-id", "--port PATH [--json] [--baud N] [--timeout MS]",
       "Reads one ID card through the reader driver and validates it (exit 2: errors or expired)",
       ReadId},
      {"device sim-finger", "[--serial SN] [--fingers ID,ID,...] [--seed N]",
       "Simulated fingerprint scanner on a pseudo-terminal: prints its path, serves synthetic "
       "fingers (0 = none) until SIGTERM",
       SimFinger},
      {"device finger-eval", "[--fingers N] [--seed N] [--rotation DEG --shift PX] [--json]",
       "The matcher's false match and false non-match rates on synthetic fingers", FingerEval},
      {"person enroll-finger",
       "--dir NODE --entity HEX --port PATH [--baud N] [--finger POS] [--operator NAME] [--json]",
       "Captures a fingerprint, stores it (tool terminal, scanner serial) and checks for duplicate "
       "registrations",
       EnrollFinger},
      {"person read-id",
       "--dir NODE --entity HEX --port PATH [--baud N] [--operator NAME] [--json]",
       "Reads an ID card and stores its fields on the person (tool terminal, reader SAM id)",
       PersonReadId},
  };
}

}  // namespace shequ::cli
