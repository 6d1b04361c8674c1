// 登记卡录入: the registration card laid out like the paper card (CARD.md) — the card number and
// community, the household block, one grid row per member, the selected member's other items,
// the visit — keyboard first: Tab follows the card, code fields take the code or part of its
// label with a filtered drop-down (Up/Down, Enter or Tab), Ctrl+S saves, Ctrl+M adds a member.
#include <algorithm>
#include <cfloat>

#include "imgui.h"
#include "imgui_stdlib.h"
#include "ui/panels/panels.h"

namespace shequ::ui {

namespace {

const ImVec4 kDeviceFill{0.86f, 0.92f, 1.00f, 1.00f};
constexpr size_t kMaxSuggestions = 8;
// ImGui's key indices are GLFW's key codes (the GLFW backend), which are ASCII for letters.
constexpr int kKeyS = 'S';
constexpr int kKeyM = 'M';

float Em() { return ImGui::GetFontSize(); }

// The drop-down under a code field: drawn over everything, without taking the keyboard from the
// input (the foreground draw list, not a popup window).
void DrawSuggestions(Widgets& w, const std::string& name, const std::vector<Suggestion>& list,
                     int highlight, ImVec2 under_min, ImVec2 under_max) {
  ImDrawList* dl = ImGui::GetForegroundDrawList();
  float line = ImGui::GetTextLineHeight() + 6;
  float width = std::max(under_max.x - under_min.x, 16 * Em());
  ImVec2 p(under_min.x, under_max.y + 2);
  ImVec2 end(p.x + width, p.y + line * static_cast<float>(list.size()) + 4);
  dl->AddRectFilled(p, end, IM_COL32(255, 255, 255, 250), 3);
  dl->AddRect(p, end, IM_COL32(120, 120, 140, 255), 3);
  for (size_t i = 0; i < list.size(); ++i) {
    ImVec2 a(p.x + 2, p.y + 2 + line * static_cast<float>(i));
    ImVec2 b(p.x + width - 2, a.y + line);
    if (static_cast<int>(i) == highlight) dl->AddRectFilled(a, b, IM_COL32(200, 220, 250, 255), 2);
    std::string text = list[i].code + "  " + list[i].label;
    dl->AddText(ImVec2(a.x + 4, a.y + 3), IM_COL32(20, 20, 30, 255), text.c_str());
    w.MarkRect("suggest." + name + "." + std::to_string(i), a, b, text);
  }
}

}  // namespace

CardEntryPanel::CardEntryPanel(Session& session)
    : Panel("card", "登记卡录入"), session_(session), form_(session) {}

void CardEntryPanel::DrawField(Widgets& w, const FieldKey& k, float width, bool in_grid) {
  const model::FieldDef* def = form_.Def(k);
  if (!def) return;
  std::string name = WidgetName(k);
  std::string value = form_.Get(k);
  std::optional<ShownProblem> problem = form_.ProblemAt(k);
  bool device = form_.from_device(k);
  bool code = form_.IsCode(k);
  // Part of a label typed in a code field is not a mistake while the list offers codes for it.
  if (problem && problem->code == "bad_code" && !form_.Suggest(k, 1).empty()) problem.reset();
  ImGui::PushID(name.c_str());

  // A click on a drop-down row of the last frame picks that row (the click also ends the input;
  // leaving the field then takes the highlighted row).
  if (ImGui::IsMouseClicked(0)) {
    for (size_t i = 0; i < kMaxSuggestions; ++i) {
      const Widgets::Entry* e = w.Find("suggest." + name + "." + std::to_string(i));
      if (e && ImGui::IsMouseHoveringRect(e->min, e->max, false))
        form_.set_highlight(static_cast<int>(i));
    }
  }

  int colours = 0, vars = 0;
  if (problem) {
    ImGui::PushStyleColor(ImGuiCol_Border, ToImVec4(problem->error ? kErrorRed : kWarningAmber));
    ImGui::PushStyleVar(ImGuiStyleVar_FrameBorderSize, 2.0f);
    ++colours;
    ++vars;
  }
  if (device) {
    ImGui::PushStyleColor(ImGuiCol_FrameBg, kDeviceFill);
    ++colours;
  }
  if (focus_name_ == name) {
    ImGui::SetKeyboardFocusHere();
    focus_name_.clear();
  }
  // A code field: a narrow input for the code, its label beside it.
  float avail = width > 0 ? width : ImGui::GetContentRegionAvail().x;
  ImGui::SetNextItemWidth(code ? std::clamp(avail * 0.4f, 2.8f * Em(), 4.5f * Em()) : width);
  bool changed = ImGui::InputText("##v", &value, ImGuiInputTextFlags_AutoSelectAll);
  w.Mark(name, value);
  bool active = ImGui::IsItemActive();
  ImVec2 rmin = ImGui::GetItemRectMin(), rmax = ImGui::GetItemRectMax();
  if (ImGui::IsItemHovered()) {
    std::string tip = def->label;
    if (def->required.kind != model::Requirement::kNever)
      tip += "（必填" +
             (def->required.kind == model::Requirement::kAlways ? std::string()
                                                                : "：" + def->required.Describe()) +
             "）";
    if (code) tip += "\n可输入代码，或输入名称中的几个字后从列表选择";
    if (device) tip += "\n由身份证阅读器读取，保存时同时记为终端数据";
    if (problem) tip += "\n" + std::string(problem->error ? "错误：" : "警告：") + problem->message;
    ImGui::SetTooltip("%s", tip.c_str());
  }
  ImGui::PopStyleVar(vars);
  ImGui::PopStyleColor(colours);

  if (changed) {
    form_.Set(k, value);
    form_.set_highlight(0);
  }
  if (active && k.block == Block::kMember) form_.Select(k.member);
  // A field left because the card was just saved or cleared belongs to the old card.
  bool left = ImGui::IsItemDeactivated();
  if (left && skip_left_frames_ == 0) form_.Left(k);
  // Enter ends a single-line input; on the card it moves on to the next field, as Tab does.
  if (left && ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Enter), false))
    ImGui::SetKeyboardFocusHere();

  if (code) {
    std::vector<Suggestion> list =
        active ? form_.Suggest(k, kMaxSuggestions) : std::vector<Suggestion>{};
    if (!list.empty()) {
      if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_DownArrow)))
        form_.MoveHighlight(1, list.size());
      if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_UpArrow)))
        form_.MoveHighlight(-1, list.size());
      DrawSuggestions(w, name, list, form_.highlight(), rmin, rmax);
    }
    std::string label = form_.CodeLabel(k);
    if (!label.empty()) {
      ImGui::SameLine(0, 4);
      ImGui::TextColored(ToImVec4(device ? kDeviceBlue : kMutedGrey), "%s", label.c_str());
      w.Mark(name + ".label", label);
    }
  }
  if (problem) {
    std::string text = problem->message;
    ImGui::PushStyleColor(ImGuiCol_Text, ToImVec4(problem->error ? kErrorRed : kWarningAmber));
    if (in_grid) {
      ImGui::TextUnformatted(text.c_str());  // clipped by the cell; the tooltip has it all
    } else {
      ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + std::max(width, 12 * Em()));
      ImGui::TextUnformatted(text.c_str());
      ImGui::PopTextWrapPos();
    }
    ImGui::PopStyleColor();
    w.Mark("problem." + name, problem->code + " " + problem->message);
  }
  ImGui::PopID();
}

void CardEntryPanel::DrawHeader(Widgets& w) {
  if (ImGui::BeginTable("##card", 4, ImGuiTableFlags_SizingFixedFit)) {
    ImGui::TableSetupColumn("登记卡编号", ImGuiTableColumnFlags_WidthFixed, 12 * Em());
    ImGui::TableSetupColumn("所属社区", ImGuiTableColumnFlags_WidthFixed, 20 * Em());
    ImGui::TableSetupColumn("来源", ImGuiTableColumnFlags_WidthFixed, 17 * Em());
    ImGui::TableSetupColumn("保存", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::TextDisabled("登记卡编号");
    if (focus_first_) {
      ImGui::SetKeyboardFocusHere();
      focus_first_ = false;
    }
    DrawField(w, CardField("card_no"), 11.5f * Em(), false);
    ImGui::TableNextColumn();
    ImGui::TextDisabled("所属社区（12位区划代码）");
    DrawField(w, CardField("community"), 9 * Em(), false);
    const std::string& community = form_.Get(CardField("community"));
    if (!form_.ProblemAt(CardField("community")) && community.size() == 12) {
      ImGui::SameLine();
      ImGui::TextColored(ToImVec4(kMutedGrey), "%s", session_.CommunityName(community).c_str());
    }
    ImGui::TableNextColumn();
    ImGui::TextDisabled("记为");
    for (EntryTool t : {EntryTool::kCard, EntryTool::kPlatform, EntryTool::kTerminal}) {
      if (ImGui::RadioButton(std::string(EntryToolLabel(t)).c_str(), form_.tool() == t))
        form_.set_tool(t);
      w.Mark("tool." + std::string(EntryToolLabel(t)));
      ImGui::SameLine();
    }
    ImGui::NewLine();
    ImGui::TableNextColumn();
    ImGui::TextDisabled("Ctrl+S 保存  Ctrl+M 添加成员");
    ImGui::BeginDisabled(session_.busy());
    if (NamedButton(w, "card.save", "保存登记卡") ||
        (ImGui::GetIO().KeyCtrl && ImGui::IsKeyPressed(kKeyS, false))) {
      // Leaving the field in hand first, so its code look-up counts.
      form_.Save();
      if (form_.last_save() && form_.last_save()->stored) {
        focus_first_ = true;
        skip_left_frames_ = 4;
      }
    }
    ImGui::EndDisabled();
    ImGui::SameLine();
    if (NamedButton(w, "card.new", "新卡")) {
      form_.Clear();
      focus_first_ = true;
      skip_left_frames_ = 4;
    }
    ImGui::EndTable();
  }
  if (!form_.existing_household().empty())
    ColouredText(kWarningAmber,
                 "此编号的登记卡已在本社区登记：保存将更新该户（只写入有变化的项目）");
  if (const auto& s = form_.last_save()) {
    ColouredText(s->stored ? kGoodGreen : kErrorRed, s->message);
    w.Mark("card.result", s->message);
  }
}

void CardEntryPanel::DrawHousehold(Widgets& w) {
  Heading("户");
  std::span<const std::string_view> keys = CardForm::Keys(Block::kHousehold);
  if (ImGui::BeginTable("##household", static_cast<int>(keys.size()),
                        ImGuiTableFlags_SizingStretchProp)) {
    for (std::string_view k : keys) {
      float weight = k == "address" ? 3.0f : 1.0f;
      ImGui::TableSetupColumn(std::string(k).c_str(), ImGuiTableColumnFlags_WidthStretch, weight);
    }
    ImGui::TableNextRow();
    for (std::string_view k : keys) {
      ImGui::TableNextColumn();
      FieldKey key = HouseholdField(std::string(k));
      ImGui::TextDisabled("%s", form_.Def(key)->label.c_str());
      DrawField(w, key, -FLT_MIN, false);
    }
    ImGui::EndTable();
  }
}

void CardEntryPanel::DrawMembers(Widgets& w) {
  Heading("成员（每人一行；其余项目在下方）");
  std::span<const std::string_view> keys = CardForm::GridKeys();
  ImGuiTableFlags flags = ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg |
                          ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_NoHostExtendX;
  if (ImGui::BeginTable("##members", static_cast<int>(keys.size()) + 2, flags)) {
    ImGui::TableSetupColumn("序", ImGuiTableColumnFlags_WidthFixed, 1.6f * Em());
    for (std::string_view k : keys) {
      float width = k == "id_number"          ? 10.6f * Em()
                    : k == "name"             ? 5.0f * Em()
                    : k == "birth_date"       ? 6.2f * Em()
                    : k == "gender"           ? 4.3f * Em()
                    : k == "residence_status" ? 6.2f * Em()
                                              : 5.4f * Em();
      ImGui::TableSetupColumn(form_.Def(MemberField(0, std::string(k)))->label.c_str(),
                              ImGuiTableColumnFlags_WidthFixed, width);
    }
    ImGui::TableSetupColumn("身份证", ImGuiTableColumnFlags_WidthFixed, 3.2f * Em());
    ImGui::TableHeadersRow();
    for (int m = 0; m < form_.members(); ++m) {
      ImGui::TableNextRow();
      if (m == form_.selected())
        ImGui::TableSetBgColor(ImGuiTableBgTarget_RowBg1, IM_COL32(235, 240, 250, 255));
      ImGui::TableNextColumn();
      ImGui::PushID(m);
      std::string label = std::to_string(m + 1);
      if (ImGui::Selectable(label.c_str(), m == form_.selected())) form_.Select(m);
      w.Mark("m" + label);
      for (std::string_view k : keys) {
        ImGui::TableNextColumn();
        DrawField(w, MemberField(m, std::string(k)), -FLT_MIN, true);
      }
      ImGui::TableNextColumn();
      bool reading = form_.id_reading();
      ImGui::BeginDisabled(reading);
      if (NamedButton(w, "m" + label + ".read_id", "读卡")) form_.StartIdRead(m);
      ImGui::EndDisabled();
      if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
        ImGui::SetTooltip("从身份证阅读器读取第%d位成员的身份项目（记为终端数据）", m + 1);
      ImGui::PopID();
    }
    ImGui::EndTable();
  }
  if (NamedButton(w, "card.add_member", "添加成员") ||
      (ImGui::GetIO().KeyCtrl && ImGui::IsKeyPressed(kKeyM, false))) {
    form_.AddMember();
    focus_name_ = WidgetName(MemberField(form_.members() - 1, "name"));
  }
  ImGui::SameLine();
  if (form_.members() > 1) {
    std::string remove = "删除第" + std::to_string(form_.selected() + 1) + "位成员";
    if (NamedButton(w, "card.remove_member", remove)) form_.RemoveMember(form_.selected());
    ImGui::SameLine();
  }
  if (!form_.id_message().empty()) {
    ImGui::TextColored(ToImVec4(form_.id_message_error() ? kErrorRed : kDeviceBlue), "%s",
                       form_.id_message().c_str());
    w.Mark("card.id_message", form_.id_message());
  } else if (!form_.can_read_id()) {
    ImGui::TextDisabled("（未连接身份证阅读器）");
  } else {
    ImGui::NewLine();
  }
}

void CardEntryPanel::DrawDetail(Widgets& w) {
  int m = form_.selected();
  Heading("第" + std::to_string(m + 1) + "位成员的其他项目");
  std::vector<std::string_view> keys = CardForm::DetailKeys();
  constexpr int kColumns = 4;
  if (ImGui::BeginTable("##detail", kColumns * 2, ImGuiTableFlags_SizingFixedFit)) {
    for (int c = 0; c < kColumns; ++c) {
      ImGui::TableSetupColumn("label", ImGuiTableColumnFlags_WidthFixed, 6.5f * Em());
      ImGui::TableSetupColumn("value", ImGuiTableColumnFlags_WidthFixed, 11.5f * Em());
    }
    for (size_t i = 0; i < keys.size(); ++i) {
      if (i % kColumns == 0) ImGui::TableNextRow();
      FieldKey key = MemberField(m, std::string(keys[i]));
      ImGui::TableNextColumn();
      ImGui::AlignTextToFramePadding();
      ImGui::TextUnformatted(form_.Def(key)->label.c_str());
      ImGui::TableNextColumn();
      DrawField(w, key, -FLT_MIN, true);
    }
    ImGui::EndTable();
  }
}

void CardEntryPanel::DrawVisit(Widgets& w) {
  Heading("入户走访");
  std::span<const std::string_view> keys = CardForm::Keys(Block::kVisit);
  if (ImGui::BeginTable("##visit", static_cast<int>(keys.size()) + 1,
                        ImGuiTableFlags_SizingFixedFit)) {
    for (std::string_view k : keys)
      ImGui::TableSetupColumn(std::string(k).c_str(), ImGuiTableColumnFlags_WidthFixed, 12 * Em());
    ImGui::TableSetupColumn("rest", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableNextRow();
    for (std::string_view k : keys) {
      ImGui::TableNextColumn();
      FieldKey key = VisitField(std::string(k));
      ImGui::TextDisabled("%s", form_.Def(key)->label.c_str());
      DrawField(w, key, 11 * Em(), false);
    }
    ImGui::EndTable();
  }
}

void CardEntryPanel::DrawProblems(Widgets& w) {
  // Before a save: the card-level findings (each field shows its own); after a refused save:
  // everything; after a stored save: the warnings stored with that card.
  const auto& saved = form_.last_save();
  std::vector<ShownProblem> list = form_.save_attempted() ? form_.problems() : form_.CardProblems();
  bool stored_warnings =
      saved && saved->stored && !form_.save_attempted() && !saved->problems.empty();
  if (list.empty() && !stored_warnings) return;
  Heading("检查结果");
  int i = 0;
  for (const ShownProblem& p : list)
    ProblemLine(w, "problems." + std::to_string(i++) + "." + p.code, p.error, p.where, p.code,
                p.message);
  if (stored_warnings) {
    ImGui::TextDisabled("已保存的登记卡 %s 带有以下警告（计入信息质量）：", saved->card_no.c_str());
    for (const ShownProblem& p : saved->problems)
      ProblemLine(w, "saved." + std::to_string(i++) + "." + p.code, p.error, p.where, p.code,
                  p.message);
  }
}

void CardEntryPanel::DrawContents(Widgets& w) {
  if (!session_.Can(Capability::kCollect)) {
    ColouredText(kMutedGrey, "本节点的证书没有采集（collect）授权，不能录入登记卡。");
    return;
  }
  if (skip_left_frames_ > 0) --skip_left_frames_;
  DrawHeader(w);
  DrawHousehold(w);
  DrawMembers(w);
  DrawDetail(w);
  DrawVisit(w);
  DrawProblems(w);
  ImGui::Dummy(ImVec2(0, 10 * Em()));  // room for a drop-down under the last fields
}

}  // namespace shequ::ui
