// 考核: the assessment of every community in scope — a sortable table with coloured grades, the
// totals against the grade bands and each indicator against its maximum as bar charts, and the
// drill-down from an indicator's deduction to the records behind it.
#include <algorithm>
#include <cfloat>
#include <cstdio>

#include "imgui.h"
#include "imgui_stdlib.h"
#include "ui/panels/panels.h"

namespace shequ::ui {

namespace {

float Em() { return ImGui::GetFontSize(); }

ImU32 Colour(Rgba c, float alpha = 1) {
  return ImGui::ColorConvertFloat4ToU32(ImVec4(c.r, c.g, c.b, c.a * alpha));
}

std::string Points(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string Percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", v * 100);
  return buf;
}

}  // namespace

DashboardPanel::DashboardPanel(Session& session) : Panel("assess", "考核") {
  dashboard_.set_scorer(Dashboard::NodeScorer(session));
  period_ = Dashboard::CurrentQuarter(session.today());
}

void DashboardPanel::OnShow() {
  if (ran_ || dashboard_.has_report() || !dashboard_.has_scorer()) return;
  ran_ = true;
  Status st = dashboard_.Start(period_, scope_);
  error_ = st.ok() ? std::string() : st.message();
}

void DashboardPanel::DrawTable(Widgets& w, float height) {
  const std::vector<IndicatorHeader>& headers = dashboard_.headers();
  int columns = kIndicatorColumn + static_cast<int>(headers.size());
  ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_Borders |
                          ImGuiTableFlags_ScrollY | ImGuiTableFlags_ScrollX |
                          ImGuiTableFlags_Sortable | ImGuiTableFlags_SizingFixedFit;
  if (!ImGui::BeginTable("##assessment", columns, flags, ImVec2(0, height))) return;
  ImGui::TableSetupScrollFreeze(2, 1);
  ImGui::TableSetupColumn("名次", ImGuiTableColumnFlags_DefaultSort, 2.6f * Em(), kRankColumn);
  ImGui::TableSetupColumn("社区", ImGuiTableColumnFlags_WidthFixed, 8.5f * Em(), kNameColumn);
  ImGui::TableSetupColumn("区", ImGuiTableColumnFlags_WidthFixed, 4 * Em(), kDistrictColumn);
  ImGui::TableSetupColumn("户数", ImGuiTableColumnFlags_WidthFixed, 3 * Em(), kHouseholdsColumn);
  ImGui::TableSetupColumn("总分", ImGuiTableColumnFlags_WidthFixed, 3 * Em(), kTotalColumn);
  ImGui::TableSetupColumn("等级", ImGuiTableColumnFlags_WidthFixed, 3 * Em(), kGradeColumn);
  for (size_t i = 0; i < headers.size(); ++i) {
    // Short headers: the first four characters, the full label and maximum in the tooltip.
    std::string label = headers[i].label;
    ImGui::TableSetupColumn(label.c_str(), ImGuiTableColumnFlags_WidthFixed, 4.2f * Em(),
                            static_cast<ImGuiID>(kIndicatorColumn + static_cast<int>(i)));
  }
  ImGui::TableHeadersRow();
  for (int c = 0; c < columns; ++c) {
    if (c >= kIndicatorColumn && ImGui::TableGetColumnFlags(c) & ImGuiTableColumnFlags_IsHovered) {
      const IndicatorHeader& h = headers[static_cast<size_t>(c - kIndicatorColumn)];
      ImGui::SetTooltip("%s · %s\n满分 %s%s", h.group.c_str(), h.label.c_str(),
                        Points(h.max_points).c_str(),
                        h.target > 0 ? ("，目标 " + Percent(h.target)).c_str() : "");
    }
  }
  if (ImGuiTableSortSpecs* specs = ImGui::TableGetSortSpecs()) {
    if (specs->SpecsDirty && specs->SpecsCount > 0) {
      const ImGuiTableColumnSortSpecs& s = specs->Specs[0];
      dashboard_.Sort(static_cast<int>(s.ColumnUserID),
                      s.SortDirection == ImGuiSortDirection_Ascending);
      specs->SpecsDirty = false;
    }
  }
  const std::vector<DashboardRow>& rows = dashboard_.rows();
  ImGuiListClipper clipper;
  clipper.Begin(static_cast<int>(rows.size()));
  while (clipper.Step()) {
    for (int r = clipper.DisplayStart; r < clipper.DisplayEnd; ++r) {
      const DashboardRow& row = rows[static_cast<size_t>(r)];
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::PushID(r);
      std::string rank = std::to_string(row.rank);
      if (ImGui::Selectable(rank.c_str(), dashboard_.selected() == row.code,
                            ImGuiSelectableFlags_SpanAllColumns))
        dashboard_.Select(row.code);
      w.Mark("assess.row." + std::to_string(r), row.code + " " + row.name);
      ImGui::PopID();
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(row.name.c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(row.district.c_str());
      ImGui::TableNextColumn();
      ImGui::Text("%llu", static_cast<unsigned long long>(row.households));
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(Points(row.total).c_str());
      ImGui::TableNextColumn();
      ImGui::TextColored(ToImVec4(Dashboard::GradeColour(row.grade)), "%s", row.grade.c_str());
      w.Mark("assess.grade." + std::to_string(r), row.grade);
      for (size_t i = 0; i < headers.size(); ++i) {
        ImGui::TableNextColumn();
        if (i < row.no_data.size() && row.no_data[i]) {
          ImGui::TextDisabled("无数据");
          continue;
        }
        double p = i < row.points.size() ? row.points[i] : 0;
        bool full = p >= headers[i].max_points - 1e-9;
        if (full)
          ImGui::TextUnformatted(Points(p).c_str());
        else
          ImGui::TextColored(ToImVec4(p <= 0 ? kErrorRed : kWarningAmber), "%s", Points(p).c_str());
      }
    }
  }
  ImGui::EndTable();
}

void DashboardPanel::DrawCharts(Widgets& w) {
  const std::vector<DashboardRow>& rows = dashboard_.rows();
  // Totals in rank order, coloured by grade, against the bands (90 优秀, 60 合格).
  std::vector<const DashboardRow*> ranked;
  for (const DashboardRow& r : rows) ranked.push_back(&r);
  std::sort(ranked.begin(), ranked.end(),
            [](const DashboardRow* a, const DashboardRow* b) { return a->rank < b->rank; });
  ImGui::TextUnformatted("各社区总分（按名次；虚线：90 优秀，60 合格）");
  ImVec2 origin = ImGui::GetCursorScreenPos();
  float width = ImGui::GetContentRegionAvail().x, height = 8 * Em();
  ImGui::InvisibleButton("##totals", ImVec2(width, height));
  w.Mark("assess.chart.totals");
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(origin, ImVec2(origin.x + width, origin.y + height),
                    IM_COL32(250, 250, 252, 255));
  auto y_of = [&](double v) { return origin.y + height - static_cast<float>(v / 100.0) * height; };
  if (!ranked.empty()) {
    float bar = std::min(width / static_cast<float>(ranked.size()), 2 * Em());
    for (size_t i = 0; i < ranked.size(); ++i) {
      float x0 = origin.x + bar * static_cast<float>(i);
      ImVec2 a(x0 + std::min(1.0f, bar * 0.1f), y_of(ranked[i]->total));
      ImVec2 b(x0 + bar - std::min(1.0f, bar * 0.1f), origin.y + height);
      bool selected = ranked[i]->code == dashboard_.selected();
      dl->AddRectFilled(a, b,
                        Colour(Dashboard::GradeColour(ranked[i]->grade), selected ? 1 : 0.75f));
      if (ImGui::IsItemHovered() && ImGui::GetIO().MousePos.x >= x0 &&
          ImGui::GetIO().MousePos.x < x0 + bar) {
        ImGui::SetTooltip("%d. %s：%s 分（%s）", ranked[i]->rank, ranked[i]->name.c_str(),
                          Points(ranked[i]->total).c_str(), ranked[i]->grade.c_str());
        if (ImGui::IsMouseClicked(0)) dashboard_.Select(ranked[i]->code);
      }
    }
  }
  for (double band : {90.0, 60.0}) {
    float y = y_of(band);
    for (float x = origin.x; x < origin.x + width; x += 8)
      dl->AddLine(ImVec2(x, y), ImVec2(std::min(x + 4, origin.x + width), y),
                  IM_COL32(60, 60, 60, 200));
  }

  // Indicators: points against the maximum — the selected community's, else the mean.
  const std::vector<IndicatorHeader>& headers = dashboard_.headers();
  const DashboardRow* selected = nullptr;
  for (const DashboardRow& r : rows)
    if (r.code == dashboard_.selected()) selected = &r;
  ImGui::Spacing();
  ImGui::TextUnformatted(selected ? ("指标得分（" + selected->name + "，满分为框）").c_str()
                                  : "指标得分（各社区平均，满分为框）");
  float label_w = 9.5f * Em(), line = ImGui::GetTextLineHeightWithSpacing();
  for (size_t i = 0; i < headers.size(); ++i) {
    double p = selected ? (i < selected->points.size() ? selected->points[i] : 0)
                        : dashboard_.mean_points()[i];
    double max = headers[i].max_points;
    ImGui::TextUnformatted(headers[i].label.c_str());
    ImGui::SameLine(label_w);
    ImVec2 a = ImGui::GetCursorScreenPos();
    float full = std::max(0.0f, ImGui::GetContentRegionAvail().x - 5 * Em());
    // Bars share one scale (12 points the widest), so the weights are visible too.
    float scale = full / 12.0f;
    ImVec2 box_end(a.x + static_cast<float>(max) * scale, a.y + line - 4);
    float filled = static_cast<float>(std::clamp(p, 0.0, max)) * scale;
    double ratio = max > 0 ? p / max : 0;
    Rgba colour = ratio >= 0.999 ? kGoodGreen : ratio >= 0.6 ? kWarningAmber : kErrorRed;
    dl->AddRectFilled(ImVec2(a.x, a.y + 2), ImVec2(a.x + filled, box_end.y), Colour(colour, 0.8f));
    dl->AddRect(ImVec2(a.x, a.y + 2), box_end, IM_COL32(90, 90, 90, 255));
    ImGui::Dummy(ImVec2(box_end.x - a.x, line - 2));
    ImGui::SameLine();
    ImGui::Text("%s / %s", Points(p).c_str(), Points(max).c_str());
    w.Mark("assess.indicator." + headers[i].key, Points(p));
  }
}

void DashboardPanel::DrawDetail(Widgets& w) {
  std::vector<IndicatorDetail> details = dashboard_.Details();
  if (details.empty()) {
    ImGui::TextDisabled("在表中或总分图上选择一个社区，查看每项扣分及其依据的记录。");
    return;
  }
  const DashboardRow* row = nullptr;
  for (const DashboardRow& r : dashboard_.rows())
    if (r.code == dashboard_.selected()) row = &r;
  if (row) {
    ImGui::TextUnformatted((std::to_string(row->rank) + ". " + row->name + "（" + row->code +
                            "）：" + Points(row->total) + " 分")
                               .c_str());
    ImGui::SameLine();
    ImGui::TextColored(ToImVec4(Dashboard::GradeColour(row->grade)), "%s", row->grade.c_str());
    w.Mark("assess.selected", row->code + " " + row->grade);
    ImGui::Separator();
  }
  if (dashboard_.evidence_loading()) ImGui::TextDisabled("正在重新计数本社区，列出扣分依据的记录…");
  int i = 0;
  for (const IndicatorDetail& d : details) {
    ImGui::PushID(i);
    std::string head =
        d.header.label + "  " + Points(d.points) + " / " + Points(d.header.max_points);
    if (d.no_data)
      head += "  无数据";
    else if (d.denominator > 0)
      head += "  " + std::to_string(d.numerator) + " / " + std::to_string(d.denominator) + " = " +
              Percent(d.rate) +
              (d.header.target > 0 ? "（目标 " + Percent(d.header.target) + "）" : std::string());
    bool lost = d.points < d.header.max_points - 1e-9;
    ImGui::PushStyleColor(ImGuiCol_Text, ToImVec4(lost ? (d.points <= 0 ? kErrorRed : kWarningAmber)
                                                       : Rgba{0.1f, 0.1f, 0.1f, 1}));
    bool open = ImGui::TreeNodeEx((head + "###ind").c_str(),
                                  d.evidence.empty() ? ImGuiTreeNodeFlags_Leaf : 0);
    ImGui::PopStyleColor();
    w.Mark("assess.detail." + d.header.key, head);
    if (open) {
      int k = 0;
      for (const auto& [entity, what] : d.evidence) {
        ImGui::BulletText("%s", what.c_str());
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", entity.c_str());
        w.Mark("assess.evidence." + d.header.key + "." + std::to_string(k++), what);
      }
      ImGui::TreePop();
    }
    ImGui::PopID();
    ++i;
  }
}

void DashboardPanel::DrawContents(Widgets& w) {
  ImGui::TextUnformatted("考核期");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(11 * Em());
  ImGui::InputTextWithHint("##period", "2026Q4、2026-11", &period_);
  w.Mark("assess.period", period_);
  ImGui::SameLine();
  ImGui::TextUnformatted("范围");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(8 * Em());
  ImGui::InputTextWithHint("##scope", "区划代码前缀", &scope_);
  w.Mark("assess.scope", scope_);
  ImGui::SameLine();
  ImGui::BeginDisabled(!dashboard_.has_scorer() || dashboard_.running());
  if (NamedButton(w, "assess.run", dashboard_.running() ? "计算中…" : "计算")) {
    Status st = dashboard_.Start(period_, scope_);
    error_ = st.ok() ? std::string() : st.message();
  }
  ImGui::EndDisabled();
  if (dashboard_.has_report()) {
    ImGui::SameLine();
    std::string summary = "考核期 " + dashboard_.period_label() + "，" +
                          std::to_string(dashboard_.rows().size()) + " 个社区";
    ImGui::TextDisabled("%s", summary.c_str());
    w.Mark("assess.summary", summary);
  }
  if (!dashboard_.has_scorer()) ColouredText(kMutedGrey, "本程序未接入考核模块（scoring）。");
  if (!error_.empty()) ColouredText(kErrorRed, error_);
  if (!dashboard_.error().empty()) ColouredText(kErrorRed, "未能计算：" + dashboard_.error());
  if (dashboard_.running()) {
    ColouredText(kMutedGrey, "正在按复制到本节点的数据重新计数，计算考核…");
    w.Mark("assess.running");
  }
  if (!dashboard_.has_report()) return;
  if (!dashboard_.districts().empty()) {
    std::string line = "各区：";
    for (const DistrictRow& d : dashboard_.districts())
      line +=
          std::to_string(d.rank) + ". " + d.name + " " + Points(d.total) + "（" + d.grade + "）  ";
    ImGui::TextUnformatted(line.c_str());
    w.Mark("assess.districts", line);
  }
  float avail = ImGui::GetContentRegionAvail().y;
  float rows_h = (static_cast<float>(dashboard_.rows().size()) + 1.5f) *
                     (ImGui::GetTextLineHeight() + 2 * ImGui::GetStyle().CellPadding.y + 1) +
                 ImGui::GetStyle().ScrollbarSize;
  DrawTable(w, std::clamp(rows_h, 5 * Em(), std::max(5 * Em(), avail * 0.48f)));
  ImGui::BeginChild("##charts", ImVec2(ImGui::GetContentRegionAvail().x * 0.55f, 0), false);
  DrawCharts(w);
  ImGui::EndChild();
  ImGui::SameLine();
  ImGui::BeginChild("##drill", ImVec2(0, 0), true);
  DrawDetail(w);
  ImGui::EndChild();
}

}  // namespace shequ::ui
