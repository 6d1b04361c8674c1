// UTF-8 and small text helpers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace shequ {

// Decodes UTF-8 into code points; false on malformed input (overlong, surrogates, truncated).
bool DecodeUtf8(std::string_view s, std::vector<char32_t>* out);
bool IsValidUtf8(std::string_view s);
// Number of code points, or -1 if not valid UTF-8.
int Utf8Length(std::string_view s);
void AppendUtf8(std::string& out, char32_t cp);
// First n code points (whole characters) of s.
std::string Utf8Prefix(std::string_view s, size_t n);

std::vector<std::string_view> Split(std::string_view s, char sep);
std::string Join(const std::vector<std::string>& parts, std::string_view sep);
std::string_view Trim(std::string_view s);
bool AllDigits(std::string_view s);
bool StartsWith(std::string_view s, std::string_view prefix);
// Quotes for error messages: «value», cut to 40 characters.
std::string Quote(std::string_view s);

}  // namespace shequ
