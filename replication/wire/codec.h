// The replication protocol's messages as plain structs, and the one codec that turns them into
// frames and back (docs/PROTOCOL.md). Decode() copies the frame into 8-byte-aligned memory, reads
// it with traversal and nesting limits, validates every field eagerly and returns plain values:
// no Cap'n Proto Reader and no exception ever leaves codec.cpp. Encode() applies the same checks,
// so what we send is always what a peer accepts.
//
// Thread safety: free functions without shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "node/base/bytes.h"
#include "node/base/status.h"

namespace shequ::wire {

// The protocol version we speak. 2: ChangeBatch and Push may carry their records zstd-packed.
inline constexpr uint16_t kVersion = 2;

// --- limits (docs/PROTOCOL.md, "Limits")

// Largest frame either side sends or accepts. The transport's ZMQ_MAXMSGSIZE is derived from it.
inline constexpr size_t kMaxFrameBytes = 2u << 20;
// Sum of the record sizes in one ChangeBatch or Push (DESIGN section 5: batches of at most 1 MiB).
inline constexpr size_t kMaxBatchBytes = 1u << 20;
// One change record: crdt::kMaxChangeBytes of body plus a signature and the record header.
inline constexpr size_t kMaxRecordBytes = (256u << 10) + 1024;
inline constexpr size_t kMaxBatchRecords = 8192;
// Largest inflated content of a packed batch: every record with a 3-byte length.
inline constexpr size_t kMaxPackedContent = kMaxBatchBytes + 3 * kMaxBatchRecords;
// Batches whose records add up to fewer bytes travel unpacked.
inline constexpr size_t kMinPackBytes = 512;
inline constexpr size_t kMaxCertificateBytes = 8u << 10;
inline constexpr size_t kMaxCertificates = 128;
inline constexpr size_t kMaxRevocationBytes = 2u << 10;  // trust::kMaxRevocationBytes
inline constexpr size_t kMaxRevocations = 128;
inline constexpr size_t kMaxScopes = 512;  // a node may hold every community of a city
inline constexpr size_t kMaxRequestIds = 16384;
inline constexpr size_t kMaxReconcileBytes = 1u << 20;
inline constexpr size_t kMaxErrorText = 1024;
inline constexpr size_t kCommunityDigits = 12;

using SessionId = Id16;

// --- messages

struct Hello {
  uint16_t version = kVersion;
  Bytes certificate;                // signed certificate, trust::Certificate::Encode()
  std::vector<std::string> scopes;  // division-code prefixes, 1 to 12 ASCII digits each
  uint64_t hlc = 0;                 // sender's clock, for skew detection
  bool full_sync = false;           // a full reconciliation is requested
  bool operator==(const Hello&) const = default;
};

struct Accept {
  uint16_t version = kVersion;
  Bytes certificate;
  std::vector<std::string> scopes;  // what the listener will sync with this peer
  uint64_t hlc = 0;
  bool full_sync = false;  // granted
  bool operator==(const Accept&) const = default;
};

struct Busy {
  uint32_t retry_after_ms = 0;
  bool operator==(const Busy&) const = default;
};

struct Certificates {
  std::vector<Bytes> certificates;
  std::vector<Bytes> revocations;
  bool operator==(const Certificates&) const = default;
};

struct Reconcile {
  std::string community;  // 12 ASCII digits
  Bytes message;          // one Negentropy V1 message, non-empty
  bool operator==(const Reconcile&) const = default;
};

struct ChangeRequest {
  std::vector<Id32> ids;
  bool operator==(const ChangeRequest&) const = default;
};

struct ChangeBatch {
  uint64_t seq = 0;
  std::vector<Bytes> records;  // crdt::EncodeRecord output, each non-empty; on the wire they
                               // are zstd-packed when that is smaller (Encode/Decode do it)
  bool last = false;
  bool operator==(const ChangeBatch&) const = default;
};

struct Ack {
  uint64_t seq = 0;
  uint32_t applied = 0, duplicate = 0, rejected = 0;
  bool operator==(const Ack&) const = default;
};

struct Push {
  std::vector<Bytes> records;
  bool operator==(const Push&) const = default;
};

struct SyncDone {
  uint64_t sent = 0, received = 0;
  bool operator==(const SyncDone&) const = default;
};

enum class ErrorCode : uint16_t {
  kBadMessage = 0,
  kNotEnrolled = 1,
  kRevoked = 2,
  kOutOfScope = 3,
  kBusy = 4,
  kTooLarge = 5,
  kInternal = 6,
  kProtocolVersion = 7,
  kExpired = 8,
};
std::string_view ErrorCodeName(ErrorCode code);  // "bad_message", ...

struct Error {
  ErrorCode code = ErrorCode::kBadMessage;
  std::string text;  // at most kMaxErrorText bytes of UTF-8
  bool operator==(const Error&) const = default;
};

struct Ping {
  uint64_t token = 0;
  bool operator==(const Ping&) const = default;
};

struct Pong {
  uint64_t token = 0;
  bool operator==(const Pong&) const = default;
};

using Body = std::variant<Hello, Accept, Busy, Certificates, Reconcile, ChangeRequest, ChangeBatch,
                          Ack, Push, SyncDone, Error, Ping, Pong>;

// One frame. `session` is the dialler's random 16-byte session nonce, chosen for its Hello and
// carried by every message of that session, so that either side can drop stale messages of an
// earlier session (ZeroMQ reconnects under us).
struct Message {
  SessionId session{};
  Body body;
  bool operator==(const Message&) const = default;
};

std::string_view MessageName(const Body& body);  // "hello", "change_batch", ...

// The frame for a message. kInvalidArgument for a field that breaks a rule above,
// kResourceExhausted for a message over a size limit (e.g. a batch over kMaxBatchBytes).
Result<Bytes> Encode(const Message& message);

// The message in a frame. kResourceExhausted for a frame over kMaxFrameBytes; kCorruption for
// anything malformed, with a message that names the field.
Result<Message> Decode(ByteView frame);

// The Status a peer's Error is best represented by locally (e.g. kBusy -> kUnavailable).
Status StatusOf(const Error& error);

}  // namespace shequ::wire
