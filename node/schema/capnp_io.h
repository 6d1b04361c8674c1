// The only way shequ reads and writes Cap'n Proto: eager decoding inside a try block with
// explicit limits, on a copy in 8-byte-aligned memory, so that no Reader and no kj::Exception
// escapes into the rest of the program (STYLE: "decode eagerly inside one codec").
#pragma once

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <cstring>
#include <exception>
#include <vector>

#include "node/base/bytes.h"
#include "node/base/status.h"

namespace shequ::schema {

struct ReadLimits {
  uint64_t max_bytes = 1 << 20;  // reject larger input before looking at it
  uint64_t traversal_words = 1 << 18;
  int nesting = 16;
  // Signed bodies are canonical single segments without a segment table (what
  // capnp::canonicalize returns) and must be canonical, so that ids are unique. Everything else
  // is a flat message with its segment table.
  bool canonical_segment = false;
};

// Parses a flat single-message encoding and calls fn(root reader), which must copy out what it
// needs and return a Status. Any Cap'n Proto failure becomes kCorruption naming `what`.
template <typename T, typename Fn>
Status ReadFlat(ByteView bytes, const ReadLimits& limits, const char* what, Fn&& fn) {
  if (bytes.size() > limits.max_bytes)
    return Status::Exhausted(std::string(what) + ": " + std::to_string(bytes.size()) +
                             " bytes exceeds the limit of " + std::to_string(limits.max_bytes));
  if (bytes.size() % 8 != 0 || bytes.empty())
    return Status::Corruption(std::string(what) + ": length " + std::to_string(bytes.size()) +
                              " is not a whole number of words");
  std::vector<capnp::word> words(bytes.size() / 8);
  std::memcpy(words.data(), bytes.data(), bytes.size());
  try {
    capnp::ReaderOptions opts;
    opts.traversalLimitInWords = limits.traversal_words;
    opts.nestingLimit = limits.nesting;
    if (limits.canonical_segment) {
      kj::ArrayPtr<const capnp::word> segment(words.data(), words.size());
      capnp::SegmentArrayMessageReader reader(kj::arrayPtr(&segment, 1), opts);
      if (!reader.isCanonical())
        return Status::Corruption(std::string(what) + ": not in canonical form");
      return fn(reader.getRoot<T>());
    }
    capnp::FlatArrayMessageReader reader(kj::arrayPtr(words.data(), words.size()), opts);
    if (reader.getEnd() != words.data() + words.size())
      return Status::Corruption(std::string(what) + ": trailing bytes after the message");
    return fn(reader.getRoot<T>());
  } catch (const kj::Exception& e) {
    return Status::Corruption(std::string(what) + ": " + e.getDescription().cStr());
  } catch (const std::exception& e) {
    return Status::Corruption(std::string(what) + ": " + e.what());
  } catch (...) {
    return Status::Corruption(std::string(what) + ": undecodable");
  }
}

// Builds a message with fn(root builder) and returns its canonical single-segment encoding.
template <typename T, typename Fn>
Result<Bytes> BuildCanonical(const char* what, Fn&& fn) {
  try {
    capnp::MallocMessageBuilder msg;
    fn(msg.initRoot<T>());
    auto words = capnp::canonicalize(msg.getRoot<T>().asReader());
    auto bytes = words.asBytes();
    return Bytes(bytes.begin(), bytes.end());
  } catch (const kj::Exception& e) {
    return Status::Internal(std::string(what) + ": " + e.getDescription().cStr());
  }
}

// Builds a message and returns its flat (single message, not necessarily canonical) encoding.
template <typename T, typename Fn>
Result<Bytes> BuildFlat(const char* what, Fn&& fn) {
  try {
    capnp::MallocMessageBuilder msg;
    fn(msg.initRoot<T>());
    auto words = capnp::messageToFlatArray(msg);
    auto bytes = words.asBytes();
    return Bytes(bytes.begin(), bytes.end());
  } catch (const kj::Exception& e) {
    return Status::Internal(std::string(what) + ": " + e.getDescription().cStr());
  }
}

inline capnp::Data::Reader DataOf(ByteView b) { return capnp::Data::Reader(b.data(), b.size()); }
inline ByteView ViewOf(capnp::Data::Reader d) { return ByteView(d.begin(), d.size()); }
inline std::string StringOf(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }

}  // namespace shequ::schema
