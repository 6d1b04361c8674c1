// 冲突审核: every conflicted identity field with its concurrent values side by side, each with its
// source (tool, node, operator, time); choosing one writes the change that resolves the conflict.
#include "imgui.h"
#include "ui/panels/panels.h"

namespace shequ::ui {

ConflictsPanel::ConflictsPanel(Session& session)
    : Panel("conflicts", "冲突审核"), session_(session), queue_(session) {}

void ConflictsPanel::OnShow() {
  Status st = queue_.Load();
  error_ = st.ok() ? std::string() : st.message();
}

void ConflictsPanel::DrawContents(Widgets& w) {
  float em = ImGui::GetFontSize();
  if (NamedButton(w, "conflicts.reload", "刷新")) OnShow();
  ImGui::SameLine();
  std::string count = "待审核 " + std::to_string(queue_.items().size()) + " 项";
  ImGui::TextUnformatted(count.c_str());
  w.Mark("conflicts.count", count);
  if (!error_.empty()) ColouredText(kErrorRed, error_);
  if (!queue_.message().empty()) {
    bool failed = queue_.message().rfind("未处理", 0) == 0;
    ColouredText(failed ? kErrorRed : kGoodGreen, queue_.message());
    w.Mark("conflicts.message", queue_.message());
  }
  ImGui::TextDisabled(
      "两个节点或两种工具同时改了同一身份项目：选定一个值，写入一条取代全部并发值的变更。");
  if (queue_.items().empty()) {
    ImGui::Spacing();
    ColouredText(kMutedGrey, "没有待审核的冲突。");
    return;
  }
  bool can = session_.Can(Capability::kReview);
  // Items may change under the loop when one is resolved (the queue reloads): copy first.
  std::vector<ConflictItem> items = queue_.items();
  for (size_t i = 0; i < items.size(); ++i) {
    const ConflictItem& item = items[i];
    ImGui::PushID(static_cast<int>(i));
    std::string title = (item.name.empty() ? item.kind : item.name) + " · " + item.label + " · " +
                        session_.CommunityName(item.community) + " · " + item.entity.substr(0, 12);
    Heading(title);
    w.Mark("conflict." + std::to_string(i), item.field + " " + item.entity);
    if (!item.revealed && session_.Can(Capability::kReveal)) {
      if (NamedButton(w, "conflict." + std::to_string(i) + ".reveal", "显示完整值")) {
        (void)queue_.Reveal(i);
        items[i] = queue_.items()[i];
      }
      if (ImGui::IsItemHovered())
        ImGui::SetTooltip("遮蔽后的值可能看起来相同；显示完整值将记入访问日志（事由：冲突审核）");
    }
    int columns = static_cast<int>(item.values.size());
    ImGuiTableFlags flags = ImGuiTableFlags_Borders | ImGuiTableFlags_SizingFixedFit;
    if (ImGui::BeginTable("##values", columns, flags)) {
      for (int c = 0; c < columns; ++c)
        ImGui::TableSetupColumn(c == 0 ? "当前采用的值" : "并发的值",
                                ImGuiTableColumnFlags_WidthFixed, 22 * em);
      ImGui::TableHeadersRow();
      ImGui::TableNextRow();
      for (int c = 0; c < columns; ++c) {
        const ConflictValue& v = item.values[static_cast<size_t>(c)];
        ImGui::TableNextColumn();
        ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.05f, 0.05f, 0.15f, 1));
        ImGui::TextUnformatted(v.display.c_str());
        ImGui::PopStyleColor();
        w.Mark("conflict." + std::to_string(i) + ".value." + std::to_string(c), v.display);
        ImGui::TextDisabled("%s · %s", v.tool.c_str(), v.node.c_str());
        bool op = !v.op.empty() && v.op != v.node;
        ImGui::TextDisabled("%s%s%s", op ? v.op.c_str() : "", op ? " · " : "", v.time.c_str());
        ImGui::PushID(c);
        ImGui::BeginDisabled(!can || session_.busy());
        if (NamedButton(w, "conflict." + std::to_string(i) + ".use." + std::to_string(c),
                        "采用此值")) {
          (void)queue_.Resolve(item, v.change);
        }
        ImGui::EndDisabled();
        ImGui::PopID();
      }
      ImGui::EndTable();
    }
    ImGui::PopID();
  }
  if (!can) ColouredText(kMutedGrey, "本节点的证书没有审核（review）授权：只能查看。");
}

}  // namespace shequ::ui
