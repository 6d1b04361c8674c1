// The assessment (绩效考核, 第二十条 to 第二十六条; DESIGN section 9; issue 6): twelve indicators
// in five groups scored per community and per district for a period, from the replicated data
// itself, every point lost traceable to the records that lost it. Rules (points, targets,
// floors, answering departments) come from one rules file (data/assessment_rules.csv).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "node/base/status.h"
#include "node/base/time.h"
#include "node/service/node.h"

namespace shequ::scoring {

// A period: a quarter (2026Q4), a month (2026-11) or a range (2026-10-01..2026-12-31), inclusive.
struct Period {
  Date from, to;
  std::string label;  // as given
  static Result<Period> Parse(std::string_view text);
};

struct Rule {
  std::string key;    // fill_accuracy, ...
  std::string group;  // 信息质量, 更新频率, 隐私保密, 数据交换, 创新服务
  std::string label;  // 填选项准确率
  double points = 0;  // maximum
  std::optional<double> target, floor;  // rate rules: max x clamp((rate - F) / (T - F), 0, 1)
  std::string department;  // who answers for it (第八条, 第二十一至二十五条)
  std::string kind;        // rate, leak, checklist, media, exchange, manual
};
struct Rules {
  std::vector<Rule> rules;
  static Result<Rules> Load();  // $SHEQU_DATA_DIR/assessment_rules.csv or the compiled-in copy
  static Result<Rules> Parse(std::string_view csv);
  const Rule* Find(std::string_view key) const;
};

// One record behind a deduction (masked as on screen).
struct Evidence {
  std::string entity;  // "person/<community>/<hex>" etc.
  std::string what;    // 姓名张*明 的 民族 有警告 no_head ...
};

struct IndicatorResult {
  const Rule* rule = nullptr;
  uint64_t numerator = 0, denominator = 0;
  double rate = 0;    // numerator / denominator (1 when there is nothing to count and it is full)
  double points = 0;  // earned
  bool no_data = false;  // 无数据: no denominator (scores zero, except exchange timeliness)
  std::vector<Evidence> evidence;  // capped; the records that lost points
};

struct CommunityScore {
  std::string code, name, district;         // district: 6-digit county code
  uint64_t households = 0;                  // active households (the district weighting)
  std::vector<IndicatorResult> indicators;  // in rules order
  double total = 0;
  std::string grade;  // 优秀 / 合格 / 不合格
  int rank = 0;       // 1 = highest total
};

struct DistrictScore {
  std::string code, name;
  uint64_t households = 0;
  std::vector<double> indicator_points;  // household-weighted means, rules order
  double total = 0;
  std::string grade;
  int rank = 0;
};

struct Report {
  Period period;
  Rules rules;  // the indicators' `rule` pointers point here (copies re-point to their own)
  std::vector<CommunityScore> communities;  // highest total first
  std::vector<DistrictScore> districts;     // highest total first

  Report() = default;
  Report(const Report& o);
  Report& operator=(const Report& o);
  Report(Report&&) = default;  // a vector's move keeps its elements where they are
  Report& operator=(Report&&) = default;

 private:
  void Repoint();
};

std::string GradeOf(double total);  // >= 90 优秀, >= 60 合格, else 不合格

// The counts one household or person record contributes to the three field-by-field indicators
// (fill accuracy, three-tool agreement, card/platform consistency). The hub keeps them per
// record as changes arrive (incremental.h); a full recount computes them the same way.
struct RecordCounts {
  uint64_t fill_num = 0, fill_den = 0, tool_num = 0, tool_den = 0, card_num = 0, card_den = 0;
  RecordCounts& operator+=(const RecordCounts& o);
  bool operator==(const RecordCounts&) const = default;
};
Result<RecordCounts> CountRecord(
    const model::Catalog& cat, const crdt::EntityRef& e, const crdt::EntityState& state,
    const std::function<Result<const crdt::Change*>(const Id32&)>& change_of,
    const std::function<void(std::string_view indicator, std::string what)>& note);

struct ScoreOptions {
  // Take the field-by-field counts from the per-record counts the node keeps (incremental.h)
  // when it keeps them; false: recount every record (and list the records behind deductions).
  bool incremental = true;
};

// Scores every community under `scope` (a division-code prefix; "" = every community the node
// holds) for the period.
Result<Report> Score(service::Node& node, const Period& period, std::string_view scope,
                     const Rules& rules, const ScoreOptions& options = {});

// Writers.
std::string ReportTable(const Report& r);
std::string ReportCsv(const Report& r);
std::string ReportJson(const Report& r);
std::string ReportHtml(const Report& r);  // printable, inline SVG charts, no network

}  // namespace shequ::scoring
