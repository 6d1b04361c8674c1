// 户籍浏览: the households of a community in a virtualised list (thousands of rows, only the
// visible ones drawn), a search, the selected household with its members, and the selected
// person with every field's source, conflicts, proposals, its history and the audited reveal.
#include <cfloat>

#include "imgui.h"
#include "imgui_stdlib.h"
#include "ui/panels/panels.h"

namespace shequ::ui {

namespace {

float Em() { return ImGui::GetFontSize(); }

// The fields of a record as label / value rows, the source in a tooltip.
void DrawRecord(Widgets& w, const std::string& prefix, const RecordView& r) {
  ImGuiTableFlags flags =
      ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerH | ImGuiTableFlags_SizingFixedFit;
  if (!ImGui::BeginTable((prefix + "##fields").c_str(), 3, flags)) return;
  ImGui::TableSetupColumn("项目", ImGuiTableColumnFlags_WidthFixed, 7 * Em());
  ImGui::TableSetupColumn("值", ImGuiTableColumnFlags_WidthFixed, 14 * Em());
  ImGui::TableSetupColumn("来源", ImGuiTableColumnFlags_WidthStretch);
  for (const FieldLine& f : r.fields) {
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(f.label.c_str());
    ImGui::TableNextColumn();
    if (f.revealed)
      ImGui::TextColored(ToImVec4(kDeviceBlue), "%s", f.value.c_str());
    else
      ImGui::TextUnformatted(f.value.c_str());
    w.Mark(prefix + "." + f.key, f.value);
    for (const std::string& c : f.conflicts) ColouredText(kErrorRed, "冲突：" + c);
    for (const std::string& p : f.proposals) ColouredText(kWarningAmber, "待部门确认：" + p);
    ImGui::TableNextColumn();
    ImGui::TextDisabled("%s", f.source.c_str());
  }
  ImGui::EndTable();
  for (const std::string& warning : r.warnings) ColouredText(kWarningAmber, "警告：" + warning);
  if (!r.withheld.empty()) {
    std::string line = "无权查看：";
    for (size_t i = 0; i < r.withheld.size(); ++i) line += (i ? "、" : "") + r.withheld[i];
    ColouredText(kMutedGrey, line);
  }
  for (const std::string& d : r.damaged) ColouredText(kErrorRed, "存储损坏：" + d);
}

}  // namespace

BrowserPanel::BrowserPanel(Session& session, Navigator nav, TransferOut transfer_out)
    : Panel("browse", "户籍浏览"),
      session_(session),
      browser_(session),
      nav_(std::move(nav)),
      transfer_out_(std::move(transfer_out)) {}

void BrowserPanel::OnShow() {
  if (loaded_ || browser_.community().empty()) return;
  Status st = browser_.Reload();
  loaded_ = true;
  message_error_ = !st.ok();
  message_ = st.ok() ? std::string() : st.message();
}

void BrowserPanel::DrawList(Widgets& w, float height) {
  std::vector<std::string> communities = session_.Communities();
  if (communities.size() > 1) {
    ImGui::SetNextItemWidth(16 * Em());
    std::string current = browser_.community() + " " + session_.CommunityName(browser_.community());
    if (ImGui::BeginCombo("##community", current.c_str())) {
      for (const std::string& c : communities) {
        std::string label = c + " " + session_.CommunityName(c);
        if (ImGui::Selectable(label.c_str(), c == browser_.community())) {
          Status st = browser_.Load(c);
          selected_row_ = -1;
          message_error_ = !st.ok();
          message_ = st.ok() ? std::string() : st.message();
        }
      }
      ImGui::EndCombo();
    }
    w.Mark("browse.community", current);
    ImGui::SameLine();
  } else {
    ImGui::TextUnformatted(session_.CommunityName(browser_.community()).c_str());
    ImGui::SameLine();
  }
  ImGui::SetNextItemWidth(14 * Em());
  bool enter = ImGui::InputTextWithHint("##query", "姓名、证件号码、登记卡编号或地址", &query_,
                                        ImGuiInputTextFlags_EnterReturnsTrue);
  w.Mark("browse.query", query_);
  ImGui::SameLine();
  if (NamedButton(w, "browse.search", "查找") || enter) {
    Status st = browser_.Search(query_);
    selected_row_ = -1;
    message_error_ = !st.ok();
    message_ = st.ok() ? std::string() : st.message();
  }
  ImGui::SameLine();
  if (NamedButton(w, "browse.reload", "刷新")) {
    Status st = browser_.Reload();
    query_.clear();
    selected_row_ = -1;
    message_error_ = !st.ok();
    message_ = st.ok() ? std::string() : st.message();
  }
  std::string count = browser_.searching()
                          ? "找到 " + std::to_string(browser_.shown()) + " 户（共 " +
                                std::to_string(browser_.total()) + " 户）"
                          : "共 " + std::to_string(browser_.total()) + " 户";
  ImGui::TextDisabled("%s", count.c_str());
  w.Mark("browse.count", count);

  ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersOuter |
                          ImGuiTableFlags_BordersV | ImGuiTableFlags_ScrollY |
                          ImGuiTableFlags_SizingFixedFit;
  if (!ImGui::BeginTable("##households", 5, flags, ImVec2(0, height - 3.5f * Em()))) return;
  ImGui::TableSetupScrollFreeze(0, 1);
  ImGui::TableSetupColumn("登记卡编号", ImGuiTableColumnFlags_WidthFixed, 9 * Em());
  ImGui::TableSetupColumn("现住址", ImGuiTableColumnFlags_WidthStretch);
  ImGui::TableSetupColumn("户别", ImGuiTableColumnFlags_WidthFixed, 5 * Em());
  ImGui::TableSetupColumn("人数", ImGuiTableColumnFlags_WidthFixed, 2.5f * Em());
  ImGui::TableSetupColumn("冲突", ImGuiTableColumnFlags_WidthFixed, 2.5f * Em());
  ImGui::TableHeadersRow();
  ImGuiListClipper clipper;
  clipper.Begin(static_cast<int>(browser_.shown()));
  while (clipper.Step()) {
    for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
      const HouseholdRow& row = browser_.row(static_cast<size_t>(i));
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::PushID(i);
      if (ImGui::Selectable(row.card_no.c_str(), selected_row_ == i,
                            ImGuiSelectableFlags_SpanAllColumns)) {
        selected_row_ = i;
        Status st = browser_.SelectRow(static_cast<size_t>(i));
        message_error_ = !st.ok();
        message_ = st.ok() ? std::string() : st.message();
      }
      w.Mark("browse.row." + std::to_string(i), row.card_no);
      ImGui::PopID();
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(row.address.c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(row.household_type.c_str());
      ImGui::TableNextColumn();
      ImGui::Text("%zu", row.members);
      ImGui::TableNextColumn();
      if (row.conflicted) ImGui::TextColored(ToImVec4(kErrorRed), "冲突");
    }
  }
  ImGui::EndTable();
}

void BrowserPanel::DrawHousehold(Widgets& w) {
  const auto& h = browser_.household();
  if (!h) {
    ImGui::TextDisabled("在左侧选择一户");
    return;
  }
  Heading("户：登记卡 " + h->Value("card_no"));
  DrawRecord(w, "household", *h);
  Heading("成员");
  ImGuiTableFlags flags =
      ImGuiTableFlags_RowBg | ImGuiTableFlags_Borders | ImGuiTableFlags_SizingFixedFit;
  if (ImGui::BeginTable("##members", 6, flags)) {
    ImGui::TableSetupColumn("姓名");
    ImGui::TableSetupColumn("性别");
    ImGui::TableSetupColumn("出生日期");
    ImGui::TableSetupColumn("证件号码");
    ImGui::TableSetupColumn("与户主关系");
    ImGui::TableSetupColumn("状态");
    ImGui::TableHeadersRow();
    int i = 0;
    for (const MemberRow& m : browser_.members()) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::PushID(i);
      bool selected = browser_.person() && browser_.person()->entity == m.entity;
      if (ImGui::Selectable(m.name.empty() ? "（无姓名）" : m.name.c_str(), selected,
                            ImGuiSelectableFlags_SpanAllColumns)) {
        Status st = browser_.SelectPerson(m.entity);
        message_error_ = !st.ok();
        message_ = st.ok() ? std::string() : st.message();
        purpose_.clear();
      }
      w.Mark("browse.member." + std::to_string(i), m.name);
      ImGui::PopID();
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(m.gender.c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(m.birth_date.c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(m.id_number.c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(m.relationship.c_str());
      ImGui::TableNextColumn();
      if (m.active)
        ImGui::TextUnformatted(m.status.empty() ? "在册" : m.status.c_str());
      else
        ImGui::TextColored(ToImVec4(kMutedGrey), "%s", m.status.c_str());
      ++i;
    }
    ImGui::EndTable();
  }
}

void BrowserPanel::DrawPerson(Widgets& w) {
  const auto& p = browser_.person();
  if (!p) return;
  Heading("人员：" + p->Value("name"));
  if (session_.Can(Capability::kReveal)) {
    ImGui::SetNextItemWidth(12 * Em());
    ImGui::InputTextWithHint("##purpose", "事由（记入访问日志）", &purpose_);
    w.Mark("browse.purpose", purpose_);
    ImGui::SameLine();
    if (NamedButton(w, "browse.reveal", "显示完整信息")) {
      Status st = browser_.RevealPerson(purpose_);
      message_error_ = !st.ok();
      message_ = st.ok() ? "已显示完整信息，本次查看已记入访问日志" : st.message();
    }
    ImGui::SameLine();
  }
  if (session_.Can(Capability::kTransfer) && transfer_out_) {
    if (NamedButton(w, "browse.transfer_out", "办理迁出")) {
      transfer_out_(p->entity, p->Value("name"));
      if (nav_.show) nav_.show("transfers");
    }
  }
  DrawRecord(w, "person", *p);
  std::string title = "变更历史（" + std::to_string(browser_.history().size()) + " 条）###history";
  if (ImGui::CollapsingHeader(title.c_str(), ImGuiTreeNodeFlags_DefaultOpen)) {
    ImGuiTableFlags flags =
        ImGuiTableFlags_RowBg | ImGuiTableFlags_Borders | ImGuiTableFlags_SizingFixedFit;
    if (ImGui::BeginTable("##history", 4, flags)) {
      ImGui::TableSetupColumn("时间", ImGuiTableColumnFlags_WidthFixed, 9.5f * Em());
      ImGui::TableSetupColumn("节点 · 操作员", ImGuiTableColumnFlags_WidthFixed, 8 * Em());
      ImGui::TableSetupColumn("工具", ImGuiTableColumnFlags_WidthFixed, 3 * Em());
      ImGui::TableSetupColumn("写入的项目", ImGuiTableColumnFlags_WidthStretch);
      ImGui::TableHeadersRow();
      int i = 0;
      for (const HistoryEntry& h : browser_.history()) {
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(h.time.c_str());
        w.Mark("browse.history." + std::to_string(i++), h.change);
        ImGui::TableNextColumn();
        ImGui::TextUnformatted((h.node + (h.op.empty() ? "" : " · " + h.op)).c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(h.tool.c_str());
        if (!h.device.empty() && ImGui::IsItemHovered())
          ImGui::SetTooltip("设备 %s", h.device.c_str());
        ImGui::TableNextColumn();
        for (const HistoryWrite& hw : h.writes) {
          Rgba colour = hw.outcome == "当前值"       ? kGoodGreen
                        : hw.outcome == "冲突待审核" ? kErrorRed
                        : hw.outcome == "待部门确认" ? kWarningAmber
                                                     : kMutedGrey;
          ImGui::TextUnformatted((hw.label + "：" + hw.value).c_str());
          ImGui::SameLine();
          ImGui::TextColored(ToImVec4(colour), "[%s]", hw.outcome.c_str());
        }
        for (const std::string& n : h.notes) ColouredText(kWarningAmber, "警告：" + n);
      }
      ImGui::EndTable();
    }
  }
}

void BrowserPanel::DrawContents(Widgets& w) {
  if (!session_.Can(Capability::kBrowse)) {
    ColouredText(kMutedGrey, "本节点的证书没有读取个人信息的授权（read），不能浏览住户。");
    return;
  }
  if (!message_.empty()) {
    ColouredText(message_error_ ? kErrorRed : kGoodGreen, message_);
    w.Mark("browse.message", message_);
  }
  float height = ImGui::GetContentRegionAvail().y;
  float width = ImGui::GetContentRegionAvail().x;
  ImGui::BeginChild("##list", ImVec2(width * 0.46f, height), false);
  DrawList(w, height);
  ImGui::EndChild();
  ImGui::SameLine();
  ImGui::BeginChild("##detail", ImVec2(0, height), true);
  DrawHousehold(w);
  DrawPerson(w);
  ImGui::EndChild();
}

}  // namespace shequ::ui
