#include "ui/script/script.h"

#include <cctype>
#include <cstdlib>

#include "node/base/text.h"

namespace shequ::ui {

namespace {

// GLFW 3 key codes (GLFW/glfw3.h), repeated here so that parsing needs no GLFW header.
struct NamedKey {
  std::string_view name;
  int code;
};
constexpr NamedKey kKeys[] = {
    {"space", 32},   {"escape", 256}, {"enter", 257},    {"tab", 258},  {"backspace", 259},
    {"insert", 260}, {"delete", 261}, {"right", 262},    {"left", 263}, {"down", 264},
    {"up", 265},     {"pageup", 266}, {"pagedown", 267}, {"home", 268}, {"end", 269},
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Result<int> Count(std::string_view s, int line) {
  if (s.empty()) return 1;
  if (!AllDigits(s) || s.size() > 4)
    return Status::Invalid("script line " + std::to_string(line) +
                           ": not a count: " + std::string(s));
  return std::atoi(std::string(s).c_str());
}

}  // namespace

int KeyCode(std::string_view name) {
  std::string n = Lower(name);
  for (const NamedKey& k : kKeys)
    if (k.name == n) return k.code;
  if (n.size() == 1 && n[0] >= 'a' && n[0] <= 'z') return 'A' + (n[0] - 'a');
  if (n.size() == 1 && n[0] >= '0' && n[0] <= '9') return n[0];
  if (n.size() >= 2 && n[0] == 'f' && AllDigits(n.substr(1))) {
    int f = std::atoi(n.c_str() + 1);
    if (f >= 1 && f <= 12) return 290 + f - 1;
  }
  return 0;
}

Result<std::vector<ScriptStep>> ParseScript(std::string_view text) {
  std::vector<ScriptStep> steps;
  int line_no = 0;
  for (std::string_view raw : Split(text, '\n')) {
    ++line_no;
    std::string_view line = raw;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::string_view trimmed = Trim(line);
    if (trimmed.empty() || trimmed[0] == '#') continue;
    size_t sp = trimmed.find(' ');
    std::string verb = Lower(trimmed.substr(0, sp));
    std::string_view rest =
        sp == std::string_view::npos ? std::string_view() : trimmed.substr(sp + 1);
    auto fail = [&](const std::string& why) {
      return Status::Invalid("script line " + std::to_string(line_no) + ": " + why);
    };
    ScriptStep s;
    s.line = line_no;
    if (verb == "type") {
      // Everything after "type " as written, leading spaces included beyond the first.
      size_t at = line.find("type");
      std::string_view t = line.substr(at + 4);
      if (!t.empty() && t[0] == ' ') t.remove_prefix(1);
      s.kind = ScriptStep::Kind::kType;
      s.arg = std::string(t);
      steps.push_back(std::move(s));
      continue;
    }
    std::vector<std::string_view> words;
    for (std::string_view w : Split(rest, ' '))
      if (!w.empty()) words.push_back(w);
    if (verb == "screen" || verb == "click" || verb == "shot" || verb == "expect-not") {
      if (words.size() != 1) return fail(verb + " takes one argument");
      s.kind = verb == "screen"  ? ScriptStep::Kind::kScreen
               : verb == "click" ? ScriptStep::Kind::kClick
               : verb == "shot"  ? ScriptStep::Kind::kShot
                                 : ScriptStep::Kind::kExpectNot;
      s.arg = std::string(words[0]);
    } else if (verb == "expect") {
      if (words.empty()) return fail("expect takes a widget name");
      s.kind = ScriptStep::Kind::kExpect;
      s.arg = std::string(words[0]);
      size_t at = rest.find(words[0]) + words[0].size();
      s.text = std::string(Trim(rest.substr(at)));
    } else if (verb == "key" || verb == "tab") {
      std::string_view name = verb == "tab" ? std::string_view("Tab") : std::string_view();
      size_t count_at = 0;
      if (verb == "key") {
        if (words.empty() || words.size() > 2) return fail("key takes KEY [N]");
        name = words[0];
        count_at = 1;
      } else if (words.size() > 1) {
        return fail("tab takes [N]");
      }
      std::string n = Lower(name);
      for (;;) {
        if (n.rfind("ctrl+", 0) == 0) {
          s.ctrl = true;
          n = n.substr(5);
        } else if (n.rfind("shift+", 0) == 0) {
          s.shift = true;
          n = n.substr(6);
        } else if (n.rfind("alt+", 0) == 0) {
          s.alt = true;
          n = n.substr(4);
        } else {
          break;
        }
      }
      s.kind = ScriptStep::Kind::kKey;
      s.arg = std::string(name);
      s.key = KeyCode(n);
      if (s.key == 0) return fail("unknown key " + std::string(name));
      ASSIGN_OR_RETURN(s.count, Count(words.size() > count_at ? words[count_at] : "", line_no));
    } else if (verb == "wait") {
      if (words.size() > 1) return fail("wait takes [N]");
      s.kind = ScriptStep::Kind::kWait;
      ASSIGN_OR_RETURN(s.count, Count(words.empty() ? "" : words[0], line_no));
    } else {
      return fail("unknown command " + verb);
    }
    steps.push_back(std::move(s));
  }
  return steps;
}

}  // namespace shequ::ui
