#include "ui/app/png.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <fstream>
#include <unordered_map>

// The deflate compressor of libstb's stb_image_write (exported, not in its header).
extern "C" unsigned char* stbi_zlib_compress(unsigned char* data, int data_len, int* out_len,
                                             int quality);

namespace shequ::ui {

namespace {

uint32_t Crc32(const uint8_t* p, size_t n, uint32_t crc = 0) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

void Put32(std::string& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>((v >> s) & 0xFF));
}

void Chunk(std::string& out, const char* type, const std::string& data) {
  Put32(out, static_cast<uint32_t>(data.size()));
  std::string body = std::string(type, 4) + data;
  out += body;
  Put32(out, Crc32(reinterpret_cast<const uint8_t*>(body.data()), body.size()));
}

int Distance(uint32_t a, uint32_t b) {
  int dr = int(a >> 16 & 0xFF) - int(b >> 16 & 0xFF);
  int dg = int(a >> 8 & 0xFF) - int(b >> 8 & 0xFF);
  int db = int(a & 0xFF) - int(b & 0xFF);
  return 2 * dr * dr + 4 * dg * dg + 3 * db * db;
}

}  // namespace

Status WritePalettePng(const std::string& path, int width, int height,
                       const std::vector<uint8_t>& rgba, const std::vector<uint32_t>& keep) {
  size_t pixels = static_cast<size_t>(width) * static_cast<size_t>(height);
  if (width <= 0 || height <= 0 || rgba.size() < pixels * 4)
    return Status::Invalid("no pixels to write");
  auto colour = [&](size_t i) {
    return uint32_t(rgba[4 * i]) << 16 | uint32_t(rgba[4 * i + 1]) << 8 | rgba[4 * i + 2];
  };
  // The palette: the colours to keep, then the commonest.
  std::unordered_map<uint32_t, size_t> count;
  for (size_t i = 0; i < pixels; ++i) ++count[colour(i)];
  std::vector<std::pair<size_t, uint32_t>> by_count;
  for (const auto& [c, n] : count) by_count.emplace_back(n, c);
  std::sort(by_count.begin(), by_count.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<uint32_t> palette;
  std::unordered_map<uint32_t, uint8_t> index;
  auto add = [&](uint32_t c) {
    if (palette.size() < 256 && index.emplace(c, static_cast<uint8_t>(palette.size())).second)
      palette.push_back(c);
  };
  for (uint32_t c : keep) add(c & 0xFFFFFF);
  for (const auto& [n, c] : by_count) add(c);
  // Scanlines: a filter byte (none) and one index per pixel; other colours take the nearest.
  std::vector<uint8_t> raw;
  raw.reserve(pixels + static_cast<size_t>(height));
  for (int y = 0; y < height; ++y) {
    raw.push_back(0);
    for (int x = 0; x < width; ++x) {
      uint32_t c =
          colour(static_cast<size_t>(y) * static_cast<size_t>(width) + static_cast<size_t>(x));
      auto it = index.find(c);
      if (it == index.end()) {
        size_t best = 0;
        for (size_t k = 1; k < palette.size(); ++k)
          if (Distance(c, palette[k]) < Distance(c, palette[best])) best = k;
        it = index.emplace(c, static_cast<uint8_t>(best)).first;
      }
      raw.push_back(it->second);
    }
  }
  int zlen = 0;
  unsigned char* z = stbi_zlib_compress(raw.data(), static_cast<int>(raw.size()), &zlen, 9);
  if (!z) return Status::Internal("cannot compress the image");
  std::string idat(reinterpret_cast<const char*>(z), static_cast<size_t>(zlen));
  std::free(z);

  std::string png = "\x89PNG\r\n\x1a\n";
  std::string ihdr;
  Put32(ihdr, static_cast<uint32_t>(width));
  Put32(ihdr, static_cast<uint32_t>(height));
  ihdr += std::string("\x08\x03\x00\x00\x00", 5);  // 8 bits, palette, deflate, no interlace
  Chunk(png, "IHDR", ihdr);
  std::string plte;
  for (uint32_t c : palette) {
    plte.push_back(static_cast<char>(c >> 16 & 0xFF));
    plte.push_back(static_cast<char>(c >> 8 & 0xFF));
    plte.push_back(static_cast<char>(c & 0xFF));
  }
  Chunk(png, "PLTE", plte);
  Chunk(png, "IDAT", idat);
  Chunk(png, "IEND", "");
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(png.data(), static_cast<std::streamsize>(png.size()));
  f.close();
  if (!f) return Status::Unavailable("cannot write " + path);
  return Status::Ok();
}

}  // namespace shequ::ui
