#include "node/base/time.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "node/base/text.h"

namespace shequ {

bool Date::Valid(int y, int m, int d) {
  if (y < 1800 || y > 9999 || m < 1 || m > 12 || d < 1) return false;
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  int max = kDays[m - 1] + (m == 2 && leap ? 1 : 0);
  return d <= max;
}

std::optional<Date> Date::Parse(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  if (!AllDigits(s.substr(0, 4)) || !AllDigits(s.substr(5, 2)) || !AllDigits(s.substr(8, 2)))
    return std::nullopt;
  Date d{std::atoi(std::string(s.substr(0, 4)).c_str()),
         std::atoi(std::string(s.substr(5, 2)).c_str()),
         std::atoi(std::string(s.substr(8, 2)).c_str())};
  if (!Valid(d.year, d.month, d.day)) return std::nullopt;
  return d;
}

std::optional<Date> Date::ParseCompact(std::string_view s) {
  if (s.size() != 8 || !AllDigits(s)) return std::nullopt;
  Date d{std::atoi(std::string(s.substr(0, 4)).c_str()),
         std::atoi(std::string(s.substr(4, 2)).c_str()),
         std::atoi(std::string(s.substr(6, 2)).c_str())};
  if (!Valid(d.year, d.month, d.day)) return std::nullopt;
  return d;
}

// Howard Hinnant's days_from_civil.
int64_t Date::DaysSinceEpoch() const {
  int64_t y = year - (month <= 2 ? 1 : 0);
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t mp = (month + 9) % 12;
  int64_t doy = (153 * mp + 2) / 5 + day - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Date Date::FromDays(int64_t z) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  return Date{static_cast<int>(y + (m <= 2 ? 1 : 0)), static_cast<int>(m), static_cast<int>(d)};
}

std::string Date::ToString() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
  return buf;
}

int Date::AgeOn(const Date& on) const {
  int age = on.year - year;
  if (on.month < month || (on.month == month && on.day < day)) --age;
  return age;
}

int64_t ClockOffsetMillis() {
  static const int64_t offset = [] {
    const char* env = std::getenv("SHEQU_CLOCK_OFFSET_MS");
    if (!env || !*env) return int64_t{0};
    std::string_view text = env;
    bool negative = text[0] == '-';
    std::string_view digits = text.substr(negative || text[0] == '+' ? 1 : 0);
    // At most 15 digits: about 31,000 years, far from overflowing the millisecond clock.
    if (digits.empty() || digits.size() > 15 || !AllDigits(digits)) {
      std::fprintf(stderr,
                   "shequ: ignoring SHEQU_CLOCK_OFFSET_MS=%s: not a signed number of "
                   "milliseconds\n",
                   env);
      return int64_t{0};
    }
    int64_t v = std::stoll(std::string(digits));
    return negative ? -v : v;
  }();
  return offset;
}

uint64_t NowMillis() {
  using namespace std::chrono;
  int64_t now = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  int64_t shifted = now + ClockOffsetMillis();
  return static_cast<uint64_t>(shifted > 0 ? shifted : 0);
}

Date DateOfMillis(uint64_t ms) {
  int64_t local = static_cast<int64_t>(ms / 1000) + 8 * 3600;
  return Date::FromDays(local / 86400);
}

Date Today() {
  if (const char* env = std::getenv("SHEQU_TODAY")) {
    if (auto d = Date::Parse(env)) return *d;
  }
  return DateOfMillis(NowMillis());
}

std::string FormatMillis(uint64_t ms) {
  int64_t local = static_cast<int64_t>(ms / 1000) + 8 * 3600;
  Date d = Date::FromDays(local / 86400);
  int64_t sec = local % 86400;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s %02d:%02d:%02d", d.ToString().c_str(), int(sec / 3600),
                int(sec / 60 % 60), int(sec % 60));
  return buf;
}

}  // namespace shequ
