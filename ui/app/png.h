// PNG files of frames: 8-bit palette images. A screen holds few colours (anti-aliased text adds
// shades, which take the nearest of the 256 commonest), so they are a third of the size of RGB
// ones: screenshots for the documentation stay small.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "node/base/status.h"

namespace shequ::ui {

// `rgba`: width * height pixels, top row first; alpha is ignored. `keep`: colours (0xRRGGBB) the
// palette holds whatever their count (the screens' meaningful colours: red errors, amber
// warnings).
Status WritePalettePng(const std::string& path, int width, int height,
                       const std::vector<uint8_t>& rgba, const std::vector<uint32_t>& keep = {});

}  // namespace shequ::ui
