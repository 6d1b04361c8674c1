// Small formatting helpers the view models share: times, sizes and colours as the screens show
// them. No ImGui here: colours are plain RGBA that the panels convert.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace shequ::ui {

// A colour, components 0..1.
struct Rgba {
  float r = 0, g = 0, b = 0, a = 1;
  bool operator==(const Rgba&) const = default;
};

// The colours of validation and grades, one place for every screen.
inline constexpr Rgba kErrorRed{0.80f, 0.08f, 0.08f, 1};
inline constexpr Rgba kWarningAmber{0.78f, 0.48f, 0.00f, 1};
inline constexpr Rgba kGoodGreen{0.10f, 0.52f, 0.16f, 1};
inline constexpr Rgba kMutedGrey{0.42f, 0.42f, 0.42f, 1};
inline constexpr Rgba kDeviceBlue{0.10f, 0.32f, 0.70f, 1};

// "2026-11-20 14:03" (UTC+8), or "从未" for 0.
std::string TimeText(uint64_t ms);
// "3.2 KiB", "1.5 MiB".
std::string SizeText(uint64_t bytes);
// "12 分钟前", "3 天前": how long ago `ms` was at `now_ms`; "从未" for 0.
std::string AgoText(uint64_t ms, uint64_t now_ms);

}  // namespace shequ::ui
