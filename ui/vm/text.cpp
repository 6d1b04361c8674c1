#include "ui/vm/text.h"

#include <cstdio>

#include "node/base/time.h"

namespace shequ::ui {

std::string TimeText(uint64_t ms) {
  if (ms == 0) return "从未";
  std::string s = FormatMillis(ms);  // YYYY-MM-DD HH:MM:SS
  return s.size() > 16 ? s.substr(0, 16) : s;
}

std::string SizeText(uint64_t bytes) {
  char buf[32];
  if (bytes < 1024) {
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  } else if (bytes < (uint64_t{1} << 20)) {
    std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(bytes) / 1024.0);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / 1048576.0);
  }
  return buf;
}

std::string AgoText(uint64_t ms, uint64_t now_ms) {
  if (ms == 0) return "从未";
  if (ms >= now_ms) return "刚刚";
  uint64_t s = (now_ms - ms) / 1000;
  if (s < 60) return "刚刚";
  if (s < 3600) return std::to_string(s / 60) + " 分钟前";
  if (s < 86400) return std::to_string(s / 3600) + " 小时前";
  return std::to_string(s / 86400) + " 天前";
}

}  // namespace shequ::ui
