#include "ui/vm/dashboard.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <map>

#include "scoring/score.h"

namespace shequ::ui {

Dashboard::Scorer Dashboard::NodeScorer(Session& session) {
#if SHEQU_UI_SCORING
  return [&session](const std::string& period, const std::string& scope,
                    bool recount) -> Result<scoring::Report> {
    ASSIGN_OR_RETURN(scoring::Period p, scoring::Period::Parse(period));
    ASSIGN_OR_RETURN(scoring::Rules rules, scoring::Rules::Load());
    scoring::ScoreOptions o;
    o.incremental = !recount;
    return scoring::Score(session.node(), p, scope, rules, o);
  };
#else
  (void)session;
  return nullptr;
#endif
}

std::string Dashboard::CurrentQuarter(const Date& today) {
  return std::to_string(today.year) + "Q" + std::to_string((today.month - 1) / 3 + 1);
}

struct Dashboard::Jobs {
  std::future<Result<scoring::Report>> report;
  std::future<Result<scoring::Report>> evidence;
  std::string evidence_for;  // the community being recounted
};

Dashboard::Dashboard() : jobs_(std::make_unique<Jobs>()) {}

Dashboard::~Dashboard() {
  if (jobs_->report.valid()) jobs_->report.wait();
  if (jobs_->evidence.valid()) jobs_->evidence.wait();
}

bool Dashboard::running() const { return jobs_->report.valid(); }

bool Dashboard::evidence_loading() const { return jobs_->evidence.valid(); }

Status Dashboard::Run(const std::string& period, const std::string& scope) {
  if (!scorer_) return Status::Unavailable("本程序未接入考核模块");
  auto t0 = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(scoring::Report r, scorer_(period, scope, false));
  run_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  SetReport(std::move(r));
  return Status::Ok();
}

Status Dashboard::Start(const std::string& period, const std::string& scope) {
  if (!scorer_) return Status::Unavailable("本程序未接入考核模块");
  if (running()) return Status::Aborted("正在计算");
  started_ = std::chrono::steady_clock::now();
  error_.clear();
  Scorer scorer = scorer_;
  jobs_->report = std::async(std::launch::async,
                             [scorer, period, scope] { return scorer(period, scope, false); });
  return Status::Ok();
}

void Dashboard::Poll() {
  if (jobs_->evidence.valid() &&
      jobs_->evidence.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
    Result<scoring::Report> r = jobs_->evidence.get();
    const std::string& code = jobs_->evidence_for;
    auto& per_indicator = evidence_[code];
    per_indicator.clear();
    if (r.ok())
      for (const scoring::CommunityScore& c : r->communities)
        if (c.code == code)
          for (const scoring::IndicatorResult& ind : c.indicators) {
            per_indicator.emplace_back();
            for (const scoring::Evidence& e : ind.evidence)
              per_indicator.back().emplace_back(e.entity, e.what);
          }
    if (!r.ok()) error_ = r.status().message();
  }
  if (!running() || jobs_->report.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
    return;
  Result<scoring::Report> r = jobs_->report.get();
  run_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  if (!r.ok()) {
    error_ = r.status().message();
    return;
  }
  SetReport(std::move(*r));
}

void Dashboard::SetReport(scoring::Report report) {
  report_ = std::make_unique<scoring::Report>(std::move(report));
  evidence_.clear();
  // Indicators are in rules order: point them at this copy's rules, whatever they pointed at.
  for (scoring::CommunityScore& c : report_->communities)
    for (size_t i = 0; i < c.indicators.size() && i < report_->rules.rules.size(); ++i)
      c.indicators[i].rule = &report_->rules.rules[i];
  Rebuild();
}

void Dashboard::Rebuild() {
  const scoring::Report& r = *report_;
  period_ = r.period.label;
  headers_.clear();
  for (const scoring::Rule& rule : r.rules.rules)
    headers_.push_back({rule.key, rule.label, rule.group, rule.points, rule.target.value_or(0)});
  std::map<std::string, std::string> district_names;
  districts_.clear();
  for (const scoring::DistrictScore& d : r.districts) {
    district_names[d.code] = d.name;
    districts_.push_back({d.code, d.name, d.households, d.total, d.grade, d.rank});
  }
  rows_.clear();
  mean_points_.assign(headers_.size(), 0);
  for (const scoring::CommunityScore& c : r.communities) {
    DashboardRow row;
    row.code = c.code;
    row.name = c.name;
    auto dn = district_names.find(c.district);
    row.district = dn != district_names.end() ? dn->second : c.district;
    row.households = c.households;
    row.total = c.total;
    row.grade = c.grade;
    row.rank = c.rank;
    for (size_t i = 0; i < headers_.size(); ++i) {
      const scoring::IndicatorResult* ind = i < c.indicators.size() ? &c.indicators[i] : nullptr;
      row.points.push_back(ind ? ind->points : 0);
      row.rates.push_back(ind ? ind->rate : 0);
      row.no_data.push_back(ind ? ind->no_data : true);
      mean_points_[i] += ind ? ind->points : 0;
    }
    rows_.push_back(std::move(row));
  }
  if (!rows_.empty())
    for (double& m : mean_points_) m /= static_cast<double>(rows_.size());
  Sort(sort_column_, ascending_);
  // The drill-down starts at the first-ranked community, or stays where it was.
  bool known = std::any_of(rows_.begin(), rows_.end(),
                           [&](const DashboardRow& row) { return row.code == selected_; });
  if (!known) {
    selected_.clear();
    for (const DashboardRow& row : rows_)
      if (row.rank == 1) selected_ = row.code;
  }
}

int Dashboard::GradeOrder(std::string_view grade) {
  if (grade == "优秀") return 2;
  if (grade == "合格") return 1;
  if (grade == "不合格") return 0;
  return -1;
}

Rgba Dashboard::GradeColour(std::string_view grade) {
  switch (GradeOrder(grade)) {
    case 2:
      return kGoodGreen;
    case 1:
      return kWarningAmber;
    case 0:
      return kErrorRed;
  }
  return kMutedGrey;
}

void Dashboard::Sort(int column, bool ascending) {
  sort_column_ = column;
  ascending_ = ascending;
  // -1, 0, 1 by the column; the rank (then the code) breaks ties in both directions.
  auto compare = [column](const DashboardRow& a, const DashboardRow& b) -> int {
    auto cmp = [](auto x, auto y) { return x < y ? -1 : (y < x ? 1 : 0); };
    switch (column) {
      case kRankColumn:
        return cmp(a.rank, b.rank);
      case kNameColumn:
        return cmp(a.code, b.code);  // names sort by their division code, as lists do
      case kDistrictColumn:
        return cmp(a.code.substr(0, 6), b.code.substr(0, 6));
      case kHouseholdsColumn:
        return cmp(a.households, b.households);
      case kTotalColumn:
        return cmp(a.total, b.total);
      case kGradeColumn:
        return cmp(GradeOrder(a.grade), GradeOrder(b.grade));
      default: {
        size_t i = static_cast<size_t>(column - kIndicatorColumn);
        double x = i < a.points.size() ? a.points[i] : 0, y = i < b.points.size() ? b.points[i] : 0;
        return cmp(x, y);
      }
    }
  };
  std::stable_sort(rows_.begin(), rows_.end(), [&](const DashboardRow& a, const DashboardRow& b) {
    int c = compare(a, b);
    if (c != 0) return ascending ? c < 0 : c > 0;
    if (a.rank != b.rank) return a.rank < b.rank;
    return a.code < b.code;
  });
}

void Dashboard::Select(const std::string& code) {
  selected_ = code;
  if (!report_ || !scorer_ || evidence_.count(code) || evidence_loading()) return;
  // Evidence already in the report (a recount): nothing to fetch.
  for (const scoring::CommunityScore& c : report_->communities)
    if (c.code == code)
      for (const scoring::IndicatorResult& ind : c.indicators)
        if (!ind.evidence.empty()) return;
  jobs_->evidence_for = code;
  Scorer scorer = scorer_;
  std::string period = report_->period.label;
  jobs_->evidence =
      std::async(std::launch::async, [scorer, period, code] { return scorer(period, code, true); });
}

std::vector<IndicatorDetail> Dashboard::Details() const {
  std::vector<IndicatorDetail> out;
  if (!report_) return out;
  for (const scoring::CommunityScore& c : report_->communities) {
    if (c.code != selected_) continue;
    for (size_t i = 0; i < c.indicators.size() && i < headers_.size(); ++i) {
      const scoring::IndicatorResult& ind = c.indicators[i];
      IndicatorDetail d;
      d.header = headers_[i];
      d.numerator = ind.numerator;
      d.denominator = ind.denominator;
      d.rate = ind.rate;
      d.points = ind.points;
      d.no_data = ind.no_data;
      for (const scoring::Evidence& e : ind.evidence) d.evidence.emplace_back(e.entity, e.what);
      auto recounted = evidence_.find(selected_);
      if (recounted != evidence_.end() && i < recounted->second.size())
        d.evidence = recounted->second[i];
      out.push_back(std::move(d));
    }
  }
  return out;
}

}  // namespace shequ::ui
