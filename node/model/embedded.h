// The reference data under data/ (code tables, divisions, the field catalog), compiled in.
#pragma once

#include <cstddef>
#include <string_view>

namespace shequ::model {

struct EmbeddedFile {
  std::string_view name;
  std::string_view data;
};
extern const EmbeddedFile kEmbeddedFiles[];
extern const size_t kEmbeddedFileCount;

}  // namespace shequ::model
