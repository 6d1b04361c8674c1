// The hub's and district's assessment dashboard (DESIGN section 9, docs/UI.md "Assessment"): the
// table of communities (sortable, grades coloured), totals and indicators against their targets
// for the charts, and the drill-down from a deduction to the records behind it.
//
// The view model is given a scoring::Report (SetReport); where it comes from is a seam: a Scorer
// that runs scoring::Score() on the node (NodeScorer, when the assessment is linked), or a report
// a test or benchmark builds. The report type is only declared here.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "node/base/status.h"
#include "ui/vm/session.h"
#include "ui/vm/text.h"

namespace shequ::scoring {
struct Report;
}

namespace shequ::ui {

struct IndicatorHeader {
  std::string key, label, group;
  double max_points = 0;
  double target = 0;  // rate target, 0 when the indicator has none
};

struct DashboardRow {
  std::string code, name, district;  // district: its name
  uint64_t households = 0;
  double total = 0;
  std::string grade;
  int rank = 0;
  std::vector<double> points, rates;  // per indicator, rules order
  std::vector<bool> no_data;
};

struct DistrictRow {
  std::string code, name;
  uint64_t households = 0;
  double total = 0;
  std::string grade;
  int rank = 0;
};

struct IndicatorDetail {
  IndicatorHeader header;
  uint64_t numerator = 0, denominator = 0;
  double rate = 0, points = 0;
  bool no_data = false;
  std::vector<std::pair<std::string, std::string>> evidence;  // entity, what
};

// Table columns: the fixed ones, then one per indicator (kIndicatorColumn + i).
enum DashboardColumn : int {
  kRankColumn = 0,
  kNameColumn,
  kDistrictColumn,
  kHouseholdsColumn,
  kTotalColumn,
  kGradeColumn,
  kIndicatorColumn,
};

class Dashboard {
 public:
  // Scores `period` for the communities under `scope`; `recount`: every record counted again,
  // which lists the records behind each deduction (else the node's kept counts may be used).
  using Scorer = std::function<Result<scoring::Report>(const std::string& period,
                                                       const std::string& scope, bool recount)>;
  // A scorer over the session's node (scoring::Score with the rules file), or null when this
  // build has no assessment.
  static Scorer NodeScorer(Session& session);
  // The quarter `today` falls in, e.g. 2026Q4.
  static std::string CurrentQuarter(const Date& today);

  Dashboard();
  ~Dashboard();
  Dashboard(const Dashboard&) = delete;
  Dashboard& operator=(const Dashboard&) = delete;

  void set_scorer(Scorer s) { scorer_ = std::move(s); }
  bool has_scorer() const { return static_cast<bool>(scorer_); }
  // Scores `period` for `scope` with the scorer and shows the report.
  Status Run(const std::string& period, const std::string& scope);
  // The same on a background thread (a city's recount takes seconds): Poll(), each frame, shows
  // the report when it is ready, or keeps the error.
  Status Start(const std::string& period, const std::string& scope);
  bool running() const;
  void Poll();
  const std::string& error() const { return error_; }
  double run_seconds() const { return run_seconds_; }

  void SetReport(scoring::Report report);
  bool has_report() const { return report_ != nullptr; }
  const std::string& period_label() const { return period_; }

  const std::vector<IndicatorHeader>& headers() const { return headers_; }
  // Communities in the current sort order.
  const std::vector<DashboardRow>& rows() const { return rows_; }
  const std::vector<DistrictRow>& districts() const { return districts_; }
  // Mean points of each indicator over the communities (the chart of indicators).
  const std::vector<double>& mean_points() const { return mean_points_; }
  // Sorts the communities by a column; ties keep the assessment's rank order.
  void Sort(int column, bool ascending);
  int sort_column() const { return sort_column_; }
  bool sort_ascending() const { return ascending_; }

  // 优秀 green, 合格 amber, 不合格 red.
  static Rgba GradeColour(std::string_view grade);
  // 2 优秀, 1 合格, 0 不合格 (-1 unknown): the grade column sorts by this, not by text.
  static int GradeOrder(std::string_view grade);

  // Drill-down: a community's indicators with the evidence behind each deduction. The table's
  // report may come from kept counts without evidence: selecting a community then recounts it
  // alone, on a background thread, to list the records (Poll() takes them).
  void Select(const std::string& code);
  const std::string& selected() const { return selected_; }
  std::vector<IndicatorDetail> Details() const;
  bool evidence_loading() const;

 private:
  void Rebuild();

  Scorer scorer_;
  struct Jobs;  // the background scorings (futures of reports: the report type is only declared)
  std::unique_ptr<Jobs> jobs_;
  // Per community recounted: per indicator, the evidence (entity, what).
  std::map<std::string, std::vector<std::vector<std::pair<std::string, std::string>>>> evidence_;
  std::chrono::steady_clock::time_point started_;
  std::string error_;
  std::unique_ptr<scoring::Report> report_;
  std::string period_;
  std::vector<IndicatorHeader> headers_;
  std::vector<DashboardRow> rows_;
  std::vector<DistrictRow> districts_;
  std::vector<double> mean_points_;
  int sort_column_ = kRankColumn;
  bool ascending_ = true;
  std::string selected_;
  double run_seconds_ = 0;
};

}  // namespace shequ::ui
