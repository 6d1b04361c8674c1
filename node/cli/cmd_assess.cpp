// score, community set, assess input, card archive: the assessment (docs/CLI.md, issue 6).
#include <cstdio>

#include "node/base/file.h"
#include "node/base/text.h"
#include "node/base/time.h"
#include "node/cli/commands.h"
#include "scoring/inputs.h"
#include "scoring/score.h"

namespace shequ::cli {
namespace {

int ScoreCmd(const std::vector<std::string>& argv, Context& ctx) {
  static const Command self{"score",
                            "--dir NODE --period 2026Q4|2026-11|FROM..TO [--scope PREFIX] "
                            "[--format table|csv|json|html] [--out FILE] [--recount]",
                            "", nullptr};
  int rc = 0;
  auto args =
      ParseOrUsage(argv, self, {"recount"}, {"dir", "period", "scope", "format", "out"}, &rc);
  if (!args) return rc;
  auto ptext = args->Need("period");
  if (!ptext.ok()) return Fail(ptext.status());
  auto period = scoring::Period::Parse(*ptext);
  if (!period.ok()) return Fail(period.status());
  std::string format = args->GetOr("format", "table");
  if (format != "table" && format != "csv" && format != "json" && format != "html")
    return Fail(Status::Invalid("--format is table, csv, json or html"));
  std::string scope = args->GetOr("scope", "");
  if (!scope.empty() && (scope.size() > 12 || !AllDigits(scope)))
    return Fail(Status::Invalid("--scope is a division-code prefix"));
  auto rules = scoring::Rules::Load();
  if (!rules.ok()) return Fail(rules.status());
  auto node = OpenNode(*args, ctx);
  if (!node.ok()) return Fail(node.status());
  if (Status st = NeedOperator(*args, **node); !st.ok()) return Fail(st);
  const trust::Certificate& cert = (*node)->cert();
  if (!cert.Has(trust::grant::kScore) && !cert.Has(trust::grant::kAssess) &&
      !cert.Has(trust::grant::kRead))
    return Fail(Status::Denied("node " + cert.name + " has no grant to run the assessment"));
  // The kept counts, unless a recount is asked for or the HTML report lists the records behind
  // every deduction (which a recount finds).
  scoring::ScoreOptions so;
  so.incremental = !args->Has("recount") && format != "html";
  auto report = scoring::Score(**node, *period, scope, *rules, so);
  if (!report.ok()) return Fail(report.status());
  std::string text = format == "csv"    ? scoring::ReportCsv(*report)
                     : format == "json" ? scoring::ReportJson(*report)
                     : format == "html" ? scoring::ReportHtml(*report)
                                        : scoring::ReportTable(*report);
  if (auto out = args->Get("out")) {
    Status st = WriteFileAtomic(*out, text);
    if (!st.ok()) return Fail(st);
    std::printf("%zu communities, %zu districts scored for %s; written to %s\n",
                report->communities.size(), report->districts.size(), period->label.c_str(),
                out->c_str());
  } else {
    std::fwrite(text.data(), 1, text.size(), stdout);
  }
  return kExitOk;
}

int CommunitySet(const std::vector<std::string>& argv, Context& ctx) {
  static const Command self{"community set", "--dir NODE --community CODE KEY=VALUE...", "",
                            nullptr};
  int rc = 0;
  auto args = ParseOrUsage(argv, self, {}, {"dir", "community"}, &rc);
  if (!args) return rc;
  auto code = args->Need("community");
  if (!code.ok()) return Fail(code.status());
  auto kv = KeyValues(args->positional());
  if (!kv.ok()) return Fail(kv.status());
  auto node = OpenNode(*args, ctx);
  if (!node.ok()) return Fail(node.status());
  if (Status st = NeedOperator(*args, **node); !st.ok()) return Fail(st);
  Status st = scoring::SetProfile(**node, *code, *kv);
  if (!st.ok()) return Fail(st);
  std::printf("community %s: %zu field(s) written\n", code->c_str(), kv->size());
  return kExitOk;
}

int AssessInput(const std::vector<std::string>& argv, Context& ctx) {
  static const Command self{"assess input", "--dir NODE --community CODE --period P KEY=VALUE...",
                            "", nullptr};
  int rc = 0;
  auto args = ParseOrUsage(argv, self, {}, {"dir", "community", "period"}, &rc);
  if (!args) return rc;
  auto code = args->Need("community");
  auto ptext = args->Need("period");
  for (auto* r : {&code, &ptext})
    if (!r->ok()) return Fail(r->status());
  auto period = scoring::Period::Parse(*ptext);
  if (!period.ok()) return Fail(period.status());
  auto kv = KeyValues(args->positional());
  if (!kv.ok()) return Fail(kv.status());
  auto node = OpenNode(*args, ctx);
  if (!node.ok()) return Fail(node.status());
  if (Status st = NeedOperator(*args, **node); !st.ok()) return Fail(st);
  Status st = scoring::SetInput(**node, *code, *period, *kv);
  if (!st.ok()) return Fail(st);
  std::printf("assessment input for %s, %s: %zu field(s) written\n", code->c_str(),
              period->label.c_str(), kv->size());
  return kExitOk;
}

int CardArchive(const std::vector<std::string>& argv, Context& ctx) {
  static const Command self{
      "card archive", "--dir NODE --card CARD_NO --location TEXT [--date YYYY-MM-DD]", "", nullptr};
  int rc = 0;
  auto args = ParseOrUsage(argv, self, {}, {"dir", "card", "location", "date"}, &rc);
  if (!args) return rc;
  auto card = args->Need("card");
  auto location = args->Need("location");
  for (auto* r : {&card, &location})
    if (!r->ok()) return Fail(r->status());
  Date date = Today();
  if (auto d = args->Get("date")) {
    auto parsed = Date::Parse(*d);
    if (!parsed) return Fail(Status::Invalid("--date must be YYYY-MM-DD"));
    date = *parsed;
  }
  auto node = OpenNode(*args, ctx);
  if (!node.ok()) return Fail(node.status());
  if (Status st = NeedOperator(*args, **node); !st.ok()) return Fail(st);
  Status st = scoring::ArchiveCard(**node, *card, *location, date);
  if (!st.ok()) return Fail(st);
  std::printf("card %s archived %s at %s\n", card->c_str(), date.ToString().c_str(),
              location->c_str());
  return kExitOk;
}

}  // namespace

std::vector<Command> AssessCommands() {
  return {
      {"score",
       "--dir NODE --period 2026Q4|2026-11|FROM..TO [--scope PREFIX] "
       "[--format table|csv|json|html] [--out FILE] [--recount]",
       "the assessment per community and district, with the records behind each deduction",
       ScoreCmd},
      {"community set", "--dir NODE --community CODE KEY=VALUE...",
       "the community profile (社区概况/社区服务)", CommunitySet},
      {"assess input", "--dir NODE --community CODE --period P KEY=VALUE...",
       "checklist, innovation score, leak incidents (district and office nodes)", AssessInput},
      {"card archive", "--dir NODE --card CARD_NO --location TEXT [--date YYYY-MM-DD]",
       "record where a household's paper card is kept", CardArchive},
  };
}

}  // namespace shequ::cli
