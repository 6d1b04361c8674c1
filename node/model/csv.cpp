#include "node/model/csv.h"

namespace shequ::model {

int CsvTable::Column(std::string_view name) const {
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return static_cast<int>(i);
  return -1;
}

Result<CsvTable> ParseCsv(std::string_view text, std::string_view what) {
  std::vector<std::vector<std::string>> lines;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, field_started = false;
  int line = 1;
  auto end_field = [&] {
    row.push_back(std::move(field));
    field.clear();
    field_started = false;
  };
  auto end_row = [&] {
    end_field();
    if (!(row.size() == 1 && row[0].empty())) lines.push_back(std::move(row));
    row.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        field.push_back(c);
      }
    } else if (c == '"' && !field_started) {
      quoted = field_started = true;
    } else if (c == ',') {
      end_field();
    } else if (c == '\n') {
      end_row();
      ++line;
    } else if (c == '\r') {
      // tolerate CRLF
    } else {
      field.push_back(c);
      field_started = true;
    }
  }
  if (quoted)
    return Status::Invalid(std::string(what) + ": unterminated quote at line " +
                           std::to_string(line));
  if (!field.empty() || !row.empty()) end_row();
  if (lines.empty()) return Status::Invalid(std::string(what) + ": no header row");
  CsvTable t;
  t.header = std::move(lines[0]);
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].size() != t.header.size()) {
      return Status::Invalid(std::string(what) + ": row " + std::to_string(i + 1) + " has " +
                             std::to_string(lines[i].size()) + " fields, header has " +
                             std::to_string(t.header.size()));
    }
    t.rows.push_back(std::move(lines[i]));
  }
  return t;
}

}  // namespace shequ::model
