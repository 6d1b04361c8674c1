// Calendar dates (YYYY-MM-DD, proleptic Gregorian) and wall-clock time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shequ {

struct Date {
  int year = 0, month = 0, day = 0;

  // Strict YYYY-MM-DD, a real calendar day, years 1800..9999.
  static std::optional<Date> Parse(std::string_view s);
  // YYYYMMDD as in ID numbers.
  static std::optional<Date> ParseCompact(std::string_view s);
  static bool Valid(int y, int m, int d);
  // Days since 1970-01-01 (may be negative).
  int64_t DaysSinceEpoch() const;
  static Date FromDays(int64_t days);
  std::string ToString() const;  // YYYY-MM-DD
  // Whole years of age on `on` (birthday counted on the day itself).
  int AgeOn(const Date& on) const;

  auto operator<=>(const Date&) const = default;
};

// Milliseconds since the Unix epoch, from the system clock plus the offset below.
uint64_t NowMillis();
// SHEQU_CLOCK_OFFSET_MS (a signed integer, read once per process) shifts NowMillis(), and so the
// hybrid clock, certificate checks and Today(): the chaos harness (tools/chaos) runs nodes whose
// clocks are hours or days off. 0 when unset; a malformed value is reported once on stderr and
// ignored.
int64_t ClockOffsetMillis();
// Today's date in China Standard Time (UTC+8), where the collection happens.
// SHEQU_TODAY=YYYY-MM-DD overrides it (tests and replays).
Date Today();
// Date of a millisecond timestamp in UTC+8.
Date DateOfMillis(uint64_t ms);
// "2026-11-20 14:03:05" in UTC+8.
std::string FormatMillis(uint64_t ms);

}  // namespace shequ
