// The assessment's report writers: a terminal table, CSV, JSON and a printable HTML page with
// inline SVG charts (no network, no script).
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "node/base/text.h"
#include "scoring/score.h"

namespace shequ::scoring {

namespace {

std::string Num(double x, int decimals = 2) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
  return buf;
}

std::string Pct(const IndicatorResult& r) {
  if (r.no_data) return "无数据";
  if (r.rule->kind == "leak") return std::to_string(r.numerator) + "条";
  return Num(100.0 * r.rate, 1) + "%";
}

std::string Html(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string CsvCell(const std::string& v) {
  if (v.find_first_of(",\"\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

const char* GradeColour(const std::string& g) {
  return g == "优秀" ? "#2e7d32" : g == "合格" ? "#f9a825" : "#c62828";
}

}  // namespace

std::string ReportTable(const Report& r) {
  std::string out = "绩效考核 " + r.period.label + " (" + r.period.from.ToString() + " .. " +
                    r.period.to.ToString() + ")\n\n";
  out += "名次  社区                              ";
  for (const Rule& rule : r.rules.rules) out += " " + rule.key.substr(0, 6);
  out += "   总分  等级\n";
  for (const CommunityScore& c : r.communities) {
    char head[160];
    std::snprintf(head, sizeof head, "%4d  %s %-24s", c.rank, c.code.c_str(), "");
    out += head;
    out.resize(out.size() - 24);
    out += " " + c.name;
    int pad = 24 - Utf8Length(c.name) * 2;
    out += std::string(static_cast<size_t>(std::max(1, pad)), ' ');
    for (const IndicatorResult& i : c.indicators) {
      char cell[16];
      std::snprintf(cell, sizeof cell, " %6s", i.no_data ? "无数据" : Num(i.points).c_str());
      out += cell;
    }
    out += "  " + Num(c.total) + "  " + c.grade + "\n";
  }
  out += "\n区县（按户数加权）\n";
  for (const DistrictScore& d : r.districts)
    out += "  " + std::to_string(d.rank) + ". " + d.code + " " + d.name + "  " + Num(d.total) +
           "  " + d.grade + "  (" + std::to_string(d.households) + "户)\n";
  return out;
}

std::string ReportCsv(const Report& r) {
  std::string out = "level,code,name,rank,total,grade,households";
  for (const Rule& rule : r.rules.rules)
    out += "," + rule.key + "_points," + rule.key + "_rate," + rule.key + "_numerator," + rule.key +
           "_denominator";
  out += "\n";
  for (const CommunityScore& c : r.communities) {
    out += "community," + c.code + "," + CsvCell(c.name) + "," + std::to_string(c.rank) + "," +
           Num(c.total) + "," + c.grade + "," + std::to_string(c.households);
    for (const IndicatorResult& i : c.indicators)
      out += "," + Num(i.points) + "," + (i.no_data ? std::string("") : Num(i.rate, 4)) + "," +
             std::to_string(i.numerator) + "," + std::to_string(i.denominator);
    out += "\n";
  }
  for (const DistrictScore& d : r.districts) {
    out += "district," + d.code + "," + CsvCell(d.name) + "," + std::to_string(d.rank) + "," +
           Num(d.total) + "," + d.grade + "," + std::to_string(d.households);
    for (double p : d.indicator_points) out += "," + Num(p) + ",,,";
    out += "\n";
  }
  return out;
}

std::string ReportJson(const Report& r) {
  using json = nlohmann::ordered_json;
  json rules = json::array();
  for (const Rule& rule : r.rules.rules) {
    json j{{"key", rule.key},       {"group", rule.group}, {"label", rule.label},
           {"points", rule.points}, {"kind", rule.kind},   {"department", rule.department}};
    if (rule.target) j["target"] = *rule.target;
    if (rule.floor) j["floor"] = *rule.floor;
    rules.push_back(j);
  }
  json comms = json::array();
  for (const CommunityScore& c : r.communities) {
    json inds = json::array();
    for (const IndicatorResult& i : c.indicators) {
      json ev = json::array();
      for (const Evidence& e : i.evidence)
        ev.push_back(json{{"record", e.entity}, {"what", e.what}});
      inds.push_back(json{{"key", i.rule->key},
                          {"points", i.points},
                          {"max", i.rule->points},
                          {"rate", i.rate},
                          {"numerator", i.numerator},
                          {"denominator", i.denominator},
                          {"no_data", i.no_data},
                          {"department", i.rule->department},
                          {"evidence", ev}});
    }
    comms.push_back(json{{"code", c.code},
                         {"name", c.name},
                         {"district", c.district},
                         {"households", c.households},
                         {"total", c.total},
                         {"grade", c.grade},
                         {"rank", c.rank},
                         {"indicators", inds}});
  }
  json dists = json::array();
  for (const DistrictScore& d : r.districts)
    dists.push_back(json{{"code", d.code},
                         {"name", d.name},
                         {"households", d.households},
                         {"total", d.total},
                         {"grade", d.grade},
                         {"rank", d.rank},
                         {"indicator_points", d.indicator_points}});
  return json{{"period", r.period.label},     {"from", r.period.from.ToString()},
              {"to", r.period.to.ToString()}, {"rules", rules},
              {"communities", comms},         {"districts", dists}}
             .dump(1) +
         "\n";
}

std::string ReportHtml(const Report& r) {
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
      "<title>社区基础信息采集绩效考核 " +
      Html(r.period.label) +
      "</title><style>body{font-family:'WenQuanYi Micro Hei',sans-serif;margin:2em;color:#222}"
      "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #999;padding:3px 6px;"
      "font-size:13px;text-align:right}th{background:#eee}td.l{text-align:left}"
      ".g{color:#fff;font-weight:bold;text-align:center}h2{page-break-before:always}"
      "h2.first{page-break-before:auto}li{font-size:12px}</style></head><body>\n";
  h += "<h1>社区基础信息采集绩效考核</h1><p>考核期 " + Html(r.period.label) + "（" +
       r.period.from.ToString() + " 至 " + r.period.to.ToString() +
       "）。依据《乌海市社区基础信息采集工作管理办法》第二十条至第二十六条："
       "信息质量30分、更新频率30分、隐私保密20分、数据交换15分、创新服务5分；"
       "90分及以上为优秀，60分及以上为合格。</p>\n";
  // Summary table.
  h += "<h2 class=\"first\">汇总</h2><table><tr><th>名次</th><th>社区</th><th>户数</th>";
  for (const Rule& rule : r.rules.rules)
    h += "<th>" + Html(rule.label) + "<br>(" + Num(rule.points, 0) + ")</th>";
  h += "<th>总分</th><th>等级</th></tr>\n";
  for (const CommunityScore& c : r.communities) {
    h += "<tr><td>" + std::to_string(c.rank) + "</td><td class=\"l\">" + Html(c.name) + "<br>" +
         c.code + "</td><td>" + std::to_string(c.households) + "</td>";
    for (const IndicatorResult& i : c.indicators)
      h += "<td title=\"" + Html(Pct(i)) + "\">" + (i.no_data ? "无数据" : Num(i.points)) + "</td>";
    h += "<td><b>" + Num(c.total) +
         "</b></td><td class=\"g\" style=\"background:" + GradeColour(c.grade) + "\">" + c.grade +
         "</td></tr>\n";
  }
  h += "</table>\n<table><tr><th>区县</th><th>户数</th><th>总分（按户数加权）</th><th>等级</th></"
       "tr>";
  for (const DistrictScore& d : r.districts)
    h += "<tr><td class=\"l\">" + Html(d.name) + "</td><td>" + std::to_string(d.households) +
         "</td><td>" + Num(d.total) +
         "</td><td class=\"g\" style=\"background:" + GradeColour(d.grade) + "\">" + d.grade +
         "</td></tr>";
  h += "</table>\n";
  // Chart: totals by community, with the grade lines.
  const int bar = 18, width = 560, left = 180;
  int height = static_cast<int>(r.communities.size()) * (bar + 4) + 30;
  h += "<h3>总分</h3><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
       std::to_string(left + width + 60) + "\" height=\"" + std::to_string(height) + "\">";
  for (double line : {60.0, 90.0}) {
    int x = left + static_cast<int>(width * line / 100);
    h += "<line x1=\"" + std::to_string(x) + "\" y1=\"0\" x2=\"" + std::to_string(x) + "\" y2=\"" +
         std::to_string(height - 20) + "\" stroke=\"#888\" stroke-dasharray=\"4\"/>" +
         "<text x=\"" + std::to_string(x - 8) + "\" y=\"" + std::to_string(height - 5) +
         "\" font-size=\"11\">" + Num(line, 0) + "</text>";
  }
  int y = 4;
  for (const CommunityScore& c : r.communities) {
    int w = static_cast<int>(width * std::clamp(c.total, 0.0, 100.0) / 100);
    h += "<text x=\"" + std::to_string(left - 6) + "\" y=\"" + std::to_string(y + 13) +
         "\" font-size=\"12\" text-anchor=\"end\">" + Html(c.name) + "</text><rect x=\"" +
         std::to_string(left) + "\" y=\"" + std::to_string(y) + "\" width=\"" + std::to_string(w) +
         "\" height=\"" + std::to_string(bar) + "\" fill=\"" + GradeColour(c.grade) +
         "\"/><text x=\"" + std::to_string(left + w + 4) + "\" y=\"" + std::to_string(y + 13) +
         "\" font-size=\"12\">" + Num(c.total) + "</text>";
    y += bar + 4;
  }
  h += "</svg>\n";
  // Per community: each indicator against its target, and the records behind each deduction.
  for (const CommunityScore& c : r.communities) {
    h += "<h2>" + Html(c.name) + "（" + c.code + "）　" + Num(c.total) + "分　" + c.grade + "　第" +
         std::to_string(c.rank) + "名</h2>\n";
    int rows = static_cast<int>(c.indicators.size());
    h += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"760\" height=\"" +
         std::to_string(rows * 20 + 10) + "\">";
    int yy = 4;
    for (const IndicatorResult& i : c.indicators) {
      double share = i.rule->points > 0 ? i.points / i.rule->points : 0;
      int w = static_cast<int>(300 * share);
      h += "<text x=\"200\" y=\"" + std::to_string(yy + 12) +
           "\" font-size=\"12\" text-anchor=\"end\">" + Html(i.rule->label) + "</text>" +
           "<rect x=\"210\" y=\"" + std::to_string(yy) + "\" width=\"300\" height=\"14\" " +
           "fill=\"#eee\"/><rect x=\"210\" y=\"" + std::to_string(yy) + "\" width=\"" +
           std::to_string(w) + "\" height=\"14\" fill=\"" + (share >= 1 ? "#2e7d32" : "#ef6c00") +
           "\"/><text x=\"520\" y=\"" + std::to_string(yy + 12) + "\" font-size=\"12\">" +
           Num(i.points) + " / " + Num(i.rule->points, 0) + "　" + Html(Pct(i)) +
           (i.rule->target ? "（目标" + Num(100 * *i.rule->target, 0) + "%）" : std::string()) +
           "</text>";
      yy += 20;
    }
    h += "</svg>\n<table><tr><th>指标</th><th>责任部门</th><th>分子/分母</th><th>得分</th>"
         "<th>扣分记录（已脱敏）</th></tr>\n";
    for (const IndicatorResult& i : c.indicators) {
      h += "<tr><td class=\"l\">" + Html(i.rule->label) + "</td><td class=\"l\">" +
           Html(i.rule->department) + "</td><td>" + std::to_string(i.numerator) + "/" +
           std::to_string(i.denominator) + "</td><td>" + Num(i.points) + "</td><td class=\"l\">";
      if (i.points + 1e-9 < i.rule->points || i.no_data) {
        h += "<ul>";
        for (const Evidence& e : i.evidence) h += "<li>" + Html(e.what) + "</li>";
        if (i.evidence.size() >= 20) h += "<li>……（仅列出前20条）</li>";
        h += "</ul>";
      }
      h += "</td></tr>\n";
    }
    h += "</table>\n";
  }
  h += "</body></html>\n";
  return h;
}

}  // namespace shequ::scoring
