// Whole-file reads and atomic writes.
#pragma once

#include <string>
#include <string_view>

#include "node/base/bytes.h"
#include "node/base/status.h"

namespace shequ {

Result<std::string> ReadFile(const std::string& path);
// Writes to path.tmp, fsyncs, renames over path. mode applies to the new file.
Status WriteFileAtomic(const std::string& path, std::string_view data, int mode = 0644);
bool FileExists(const std::string& path);
Status MakeDirs(const std::string& path, int mode = 0755);

}  // namespace shequ
