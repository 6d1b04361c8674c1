#include "replication/wire/codec.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <type_traits>

#include "node/base/text.h"
#include "node/schema/capnp_io.h"
#include "replication/wire/wire.capnp.h"

namespace shequ::wire {
namespace {

namespace s = ::shequ::wire::proto;
using ::shequ::schema::DataOf;
using ::shequ::schema::ViewOf;

// Every checked rule; Encode reports a broken one as kInvalidArgument, Decode as kCorruption.
// Size limits are kResourceExhausted on both sides.
Status Bad(std::string m) { return Status::Invalid(std::move(m)); }
Status TooBig(std::string m) { return Status::Exhausted(std::move(m)); }
std::string N(size_t n) { return std::to_string(n); }

// Scopes and communities longer than this are refused before they are copied.
constexpr size_t kMaxShortText = 64;

// A peer's text in an error message: printable ASCII as is, anything else in hex, and short, so
// that what a hostile peer sends cannot garble the logs.
std::string Shown(std::string_view s) {
  bool printable = std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
  if (printable && s.size() <= 16) return "\"" + std::string(s) + "\"";
  std::string_view head = s.substr(0, 16);
  return "0x" + Hex(AsBytes(head)) + (s.size() > 16 ? "..." : "");
}

bool AllDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Status CheckScopes(const std::vector<std::string>& scopes, const char* what) {
  if (scopes.size() > kMaxScopes)
    return TooBig(std::string(what) + ": " + N(scopes.size()) + " scopes, at most " +
                  N(kMaxScopes));
  for (const std::string& scope : scopes) {
    if (scope.empty() || scope.size() > kCommunityDigits || !AllDigits(scope))
      return Bad(std::string(what) + ": scope " + Shown(scope) +
                 " is not a division-code prefix of 1 to 12 digits");
  }
  return Status::Ok();
}

Status CheckCertificate(const Bytes& cert, const char* what) {
  if (cert.empty()) return Bad(std::string(what) + ": empty certificate");
  if (cert.size() > kMaxCertificateBytes)
    return TooBig(std::string(what) + ": certificate of " + N(cert.size()) + " bytes, at most " +
                  N(kMaxCertificateBytes));
  return Status::Ok();
}

Status CheckVersion(uint16_t version, const char* what) {
  if (version == 0) return Bad(std::string(what) + ": protocol version 0");
  return Status::Ok();
}

Status CheckRecords(const std::vector<Bytes>& records, const char* what) {
  if (records.size() > kMaxBatchRecords)
    return TooBig(std::string(what) + ": " + N(records.size()) + " records, at most " +
                  N(kMaxBatchRecords));
  size_t total = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    const Bytes& r = records[i];
    if (r.empty()) return Bad(std::string(what) + ": record " + N(i) + " is empty");
    if (r.size() > kMaxRecordBytes)
      return TooBig(std::string(what) + ": record " + N(i) + " has " + N(r.size()) +
                    " bytes, at most " + N(kMaxRecordBytes));
    total += r.size();
  }
  if (total > kMaxBatchBytes)
    return TooBig(std::string(what) + ": " + N(total) + " bytes of records, at most " +
                  N(kMaxBatchBytes));
  return Status::Ok();
}

Status CheckBody(const Hello& m) {
  RETURN_IF_ERROR(CheckVersion(m.version, "hello"));
  RETURN_IF_ERROR(CheckCertificate(m.certificate, "hello"));
  return CheckScopes(m.scopes, "hello");
}
Status CheckBody(const Accept& m) {
  RETURN_IF_ERROR(CheckVersion(m.version, "accept"));
  RETURN_IF_ERROR(CheckCertificate(m.certificate, "accept"));
  return CheckScopes(m.scopes, "accept");
}
Status CheckBody(const Busy&) { return Status::Ok(); }
Status CheckBody(const Certificates& m) {
  if (m.certificates.size() > kMaxCertificates)
    return TooBig("certificates: " + N(m.certificates.size()) + ", at most " + N(kMaxCertificates));
  for (const Bytes& c : m.certificates) RETURN_IF_ERROR(CheckCertificate(c, "certificates"));
  if (m.revocations.size() > kMaxRevocations)
    return TooBig("certificates: " + N(m.revocations.size()) + " revocations, at most " +
                  N(kMaxRevocations));
  for (const Bytes& r : m.revocations) {
    if (r.empty()) return Bad("certificates: empty revocation");
    if (r.size() > kMaxRevocationBytes)
      return TooBig("certificates: revocation of " + N(r.size()) + " bytes, at most " +
                    N(kMaxRevocationBytes));
  }
  return Status::Ok();
}
Status CheckBody(const Reconcile& m) {
  if (m.community.size() != kCommunityDigits || !AllDigits(m.community))
    return Bad("reconcile: community " + Shown(m.community) + " is not a 12-digit division code");
  if (m.message.empty()) return Bad("reconcile: empty negentropy message");
  if (m.message.size() > kMaxReconcileBytes)
    return TooBig("reconcile: negentropy message of " + N(m.message.size()) + " bytes, at most " +
                  N(kMaxReconcileBytes));
  return Status::Ok();
}
Status CheckBody(const ChangeRequest& m) {
  if (m.ids.size() > kMaxRequestIds)
    return TooBig("change_request: " + N(m.ids.size()) + " ids, at most " + N(kMaxRequestIds));
  return Status::Ok();
}
Status CheckBody(const ChangeBatch& m) { return CheckRecords(m.records, "change_batch"); }
Status CheckBody(const Ack& m) {
  uint64_t sum = uint64_t{m.applied} + m.duplicate + m.rejected;
  if (sum > kMaxBatchRecords)
    return Bad("ack: counts add up to " + std::to_string(sum) + ", more than a batch holds");
  return Status::Ok();
}
Status CheckBody(const Push& m) { return CheckRecords(m.records, "push"); }
Status CheckBody(const SyncDone&) { return Status::Ok(); }
Status CheckBody(const Error& m) {
  if (static_cast<uint16_t>(m.code) > static_cast<uint16_t>(ErrorCode::kExpired))
    return Bad("error: unknown code " + N(static_cast<uint16_t>(m.code)));
  if (m.text.size() > kMaxErrorText)
    return TooBig("error: text of " + N(m.text.size()) + " bytes, at most " + N(kMaxErrorText));
  if (!IsValidUtf8(m.text) || m.text.find('\0') != std::string::npos)
    return Bad("error: text is not UTF-8 without NUL");
  return Status::Ok();
}
Status CheckBody(const Ping&) { return Status::Ok(); }
Status CheckBody(const Pong&) { return Status::Ok(); }

Status Check(const Message& m) {
  return std::visit([](const auto& body) { return CheckBody(body); }, m.body);
}

// --- reading (inside ReadFlat's try block; every getter on a pointer is called once, so the
// traversal count stays close to the frame size)

Result<Bytes> ReadData(capnp::Data::Reader d, size_t max, const char* what) {
  if (d.size() > max)
    return TooBig(std::string(what) + ": " + N(d.size()) + " bytes, at most " + N(max));
  return Bytes(d.begin(), d.end());
}

Result<std::string> ReadText(capnp::Text::Reader t, size_t max, const char* what) {
  if (t.size() > max)
    return TooBig(std::string(what) + ": " + N(t.size()) + " bytes, at most " + N(max));
  return std::string(t.cStr(), t.size());
}

Result<std::vector<std::string>> ReadScopes(capnp::List<capnp::Text>::Reader list,
                                            const char* what) {
  if (list.size() > kMaxScopes)
    return TooBig(std::string(what) + ": " + N(list.size()) + " scopes, at most " + N(kMaxScopes));
  std::vector<std::string> out;
  out.reserve(list.size());
  for (capnp::Text::Reader t : list) {
    // Over-long scopes are read (up to a bound) so that CheckScopes names them.
    ASSIGN_OR_RETURN(std::string scope, ReadText(t, kMaxShortText, what));
    out.push_back(std::move(scope));
  }
  return out;
}

Result<std::vector<Bytes>> ReadDataList(capnp::List<capnp::Data>::Reader list, size_t max_count,
                                        size_t max_each, const char* what) {
  if (list.size() > max_count)
    return TooBig(std::string(what) + ": " + N(list.size()) + " items, at most " + N(max_count));
  std::vector<Bytes> out;
  out.reserve(list.size());
  for (capnp::Data::Reader d : list) {
    ASSIGN_OR_RETURN(Bytes item, ReadData(d, max_each, what));
    out.push_back(std::move(item));
  }
  return out;
}

// --- packed records (wire.capnp, "Packed records")

// zstd level 3: a batch of person changes shrinks about 3 times (the key blocks, field names and
// signers it repeats), at well over 100 MB/s on one core; inflating runs at over 1 GB/s.
constexpr int kPackLevel = 3;

// One compression and one decompression context per thread, made on first use.
struct ZstdContexts {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_DCtx* d = ZSTD_createDCtx();
  ZstdContexts() = default;
  ZstdContexts(const ZstdContexts&) = delete;
  ZstdContexts& operator=(const ZstdContexts&) = delete;
  ~ZstdContexts() {
    ZSTD_freeCCtx(c);
    ZSTD_freeDCtx(d);
  }
};
ZstdContexts& Zstd() {
  thread_local ZstdContexts contexts;
  return contexts;
}

// The packed form of `records` (already checked), or empty when packing would not save bytes.
Result<Bytes> PackRecords(const std::vector<Bytes>& records) {
  size_t total = 0;
  for (const Bytes& r : records) total += r.size();
  if (total < kMinPackBytes) return Bytes{};
  Bytes plain;
  plain.reserve(total + 3 * records.size());
  for (const Bytes& r : records) {
    PutVarint(plain, r.size());
    Append(plain, r);
  }
  Bytes out(ZSTD_compressBound(plain.size()));
  size_t n =
      ZSTD_compressCCtx(Zstd().c, out.data(), out.size(), plain.data(), plain.size(), kPackLevel);
  if (ZSTD_isError(n)) return Status::Internal(std::string("zstd: ") + ZSTD_getErrorName(n));
  if (n >= total) return Bytes{};
  out.resize(n);
  return out;
}

// The records of a packed batch. Refuses a frame without its content size, content over
// kMaxPackedContent, bytes after the frame, and lengths that do not tile the content.
Result<std::vector<Bytes>> UnpackRecords(capnp::Data::Reader packed, const char* what) {
  const std::string w(what);
  unsigned long long size = ZSTD_getFrameContentSize(packed.begin(), packed.size());
  if (size == ZSTD_CONTENTSIZE_ERROR) return Bad(w + ": packed records are not a zstd frame");
  if (size == ZSTD_CONTENTSIZE_UNKNOWN) return Bad(w + ": packed records do not state their size");
  if (size > kMaxPackedContent)
    return TooBig(w + ": packed records inflate to " + N(size) + " bytes, at most " +
                  N(kMaxPackedContent));
  size_t frame = ZSTD_findFrameCompressedSize(packed.begin(), packed.size());
  if (ZSTD_isError(frame) || frame != packed.size())
    return Bad(w + ": packed records are not exactly one zstd frame");
  Bytes plain(static_cast<size_t>(size));
  size_t n =
      ZSTD_decompressDCtx(Zstd().d, plain.data(), plain.size(), packed.begin(), packed.size());
  if (ZSTD_isError(n) || n != plain.size())
    return Bad(w + ": packed records do not inflate: " +
               (ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short content"));
  std::vector<Bytes> records;
  ByteReader in(plain);
  while (!in.done()) {
    uint64_t len = 0;
    ByteView rec;
    if (records.size() == kMaxBatchRecords)
      return TooBig(w + ": more than " + N(kMaxBatchRecords) + " packed records");
    if (!in.Varint(&len) || len > kMaxRecordBytes || !in.Fixed(static_cast<size_t>(len), &rec))
      return Bad(w + ": packed record " + N(records.size()) + " has a bad length");
    records.emplace_back(rec.begin(), rec.end());
  }
  return records;
}

// The records of a ChangeBatch or Push: listed or packed, not both.
template <typename Reader>
Result<std::vector<Bytes>> ReadRecords(Reader r, const char* what) {
  if (r.hasPacked()) {
    if (r.hasRecords() && r.getRecords().size() != 0)
      return Bad(std::string(what) + ": both records and packed records");
    return UnpackRecords(r.getPacked(), what);
  }
  return ReadDataList(r.getRecords(), kMaxBatchRecords, kMaxRecordBytes, what);
}

template <typename Reader, typename Out>
Status ReadHandshake(Reader r, Out& out, const char* what) {
  out.version = r.getVersion();
  ASSIGN_OR_RETURN(out.certificate, ReadData(r.getCertificate(), kMaxCertificateBytes, what));
  ASSIGN_OR_RETURN(out.scopes, ReadScopes(r.getScopes(), what));
  out.hlc = r.getHlc();
  out.full_sync = r.getFullSync();
  return Status::Ok();
}

Result<Body> ReadBody(s::Envelope::Body::Reader b) {
  switch (b.which()) {
    case s::Envelope::Body::HELLO: {
      Hello m;
      RETURN_IF_ERROR(ReadHandshake(b.getHello(), m, "hello"));
      return Body(std::move(m));
    }
    case s::Envelope::Body::ACCEPT: {
      Accept m;
      RETURN_IF_ERROR(ReadHandshake(b.getAccept(), m, "accept"));
      return Body(std::move(m));
    }
    case s::Envelope::Body::BUSY:
      return Body(Busy{b.getBusy().getRetryAfterMs()});
    case s::Envelope::Body::CERTIFICATES: {
      Certificates m;
      auto c = b.getCertificates();
      ASSIGN_OR_RETURN(m.certificates, ReadDataList(c.getCertificates(), kMaxCertificates,
                                                    kMaxCertificateBytes, "certificates"));
      ASSIGN_OR_RETURN(m.revocations, ReadDataList(c.getRevocations(), kMaxRevocations,
                                                   kMaxRevocationBytes, "revocations"));
      return Body(std::move(m));
    }
    case s::Envelope::Body::RECONCILE: {
      auto r = b.getReconcile();
      Reconcile m;
      ASSIGN_OR_RETURN(m.community, ReadText(r.getCommunity(), kMaxShortText, "reconcile"));
      ASSIGN_OR_RETURN(m.message, ReadData(r.getMessage(), kMaxReconcileBytes, "reconcile"));
      return Body(std::move(m));
    }
    case s::Envelope::Body::CHANGE_REQUEST: {
      capnp::Data::Reader ids = b.getChangeRequest().getIds();
      if (ids.size() % 32 != 0)
        return Bad("change_request: " + N(ids.size()) + " bytes of ids, not a multiple of 32");
      if (ids.size() / 32 > kMaxRequestIds)
        return TooBig("change_request: " + N(ids.size() / 32) + " ids, at most " +
                      N(kMaxRequestIds));
      ChangeRequest m;
      m.ids.resize(ids.size() / 32);
      if (ids.size() != 0) std::memcpy(m.ids.data(), ids.begin(), ids.size());
      return Body(std::move(m));
    }
    case s::Envelope::Body::CHANGE_BATCH: {
      auto r = b.getChangeBatch();
      ChangeBatch m;
      m.seq = r.getSeq();
      m.last = r.getLast();
      ASSIGN_OR_RETURN(m.records, ReadRecords(r, "change_batch"));
      return Body(std::move(m));
    }
    case s::Envelope::Body::ACK: {
      auto r = b.getAck();
      return Body(Ack{r.getSeq(), r.getApplied(), r.getDuplicate(), r.getRejected()});
    }
    case s::Envelope::Body::PUSH: {
      Push m;
      ASSIGN_OR_RETURN(m.records, ReadRecords(b.getPush(), "push"));
      return Body(std::move(m));
    }
    case s::Envelope::Body::SYNC_DONE: {
      auto r = b.getSyncDone();
      return Body(SyncDone{r.getSent(), r.getReceived()});
    }
    case s::Envelope::Body::ERROR: {
      auto r = b.getError();
      Error m;
      // Enum values we do not know arrive as their number; CheckBody refuses them.
      m.code = static_cast<ErrorCode>(static_cast<uint16_t>(r.getCode()));
      ASSIGN_OR_RETURN(m.text, ReadText(r.getText(), kMaxErrorText, "error"));
      return Body(std::move(m));
    }
    case s::Envelope::Body::PING:
      return Body(Ping{b.getPing().getToken()});
    case s::Envelope::Body::PONG:
      return Body(Pong{b.getPong().getToken()});
  }
  return Bad("unknown message type " + N(static_cast<uint16_t>(b.which())));
}

// --- writing

capnp::Text::Reader TextOf(const std::string& s) { return capnp::Text::Reader(s.data(), s.size()); }

void WriteScopes(capnp::List<capnp::Text>::Builder list, const std::vector<std::string>& scopes) {
  for (size_t i = 0; i < scopes.size(); ++i) list.set(i, TextOf(scopes[i]));
}

void WriteDataList(capnp::List<capnp::Data>::Builder list, const std::vector<Bytes>& items) {
  for (size_t i = 0; i < items.size(); ++i) list.set(i, DataOf(items[i]));
}

template <typename Builder, typename In>
void WriteHandshake(Builder w, const In& m) {
  w.setVersion(m.version);
  w.setCertificate(DataOf(m.certificate));
  WriteScopes(w.initScopes(m.scopes.size()), m.scopes);
  w.setHlc(m.hlc);
  w.setFullSync(m.full_sync);
}

struct BodyWriter {
  s::Envelope::Body::Builder b;
  const Bytes& packed;  // the records packed, or empty to list them
  template <typename Builder>
  void Records(Builder w, const std::vector<Bytes>& records) const {
    if (!packed.empty())
      w.setPacked(DataOf(packed));
    else
      WriteDataList(w.initRecords(records.size()), records);
  }
  void operator()(const Hello& m) { WriteHandshake(b.initHello(), m); }
  void operator()(const Accept& m) { WriteHandshake(b.initAccept(), m); }
  void operator()(const Busy& m) { b.initBusy().setRetryAfterMs(m.retry_after_ms); }
  void operator()(const Certificates& m) {
    auto w = b.initCertificates();
    WriteDataList(w.initCertificates(m.certificates.size()), m.certificates);
    if (!m.revocations.empty())
      WriteDataList(w.initRevocations(m.revocations.size()), m.revocations);
  }
  void operator()(const Reconcile& m) {
    auto w = b.initReconcile();
    w.setCommunity(TextOf(m.community));
    w.setMessage(DataOf(m.message));
  }
  void operator()(const ChangeRequest& m) {
    b.initChangeRequest().setIds(
        capnp::Data::Reader(m.ids.empty() ? nullptr : m.ids[0].data(), m.ids.size() * 32));
  }
  void operator()(const ChangeBatch& m) {
    auto w = b.initChangeBatch();
    w.setSeq(m.seq);
    w.setLast(m.last);
    Records(w, m.records);
  }
  void operator()(const Ack& m) {
    auto w = b.initAck();
    w.setSeq(m.seq);
    w.setApplied(m.applied);
    w.setDuplicate(m.duplicate);
    w.setRejected(m.rejected);
  }
  void operator()(const Push& m) { Records(b.initPush(), m.records); }
  void operator()(const SyncDone& m) {
    auto w = b.initSyncDone();
    w.setSent(m.sent);
    w.setReceived(m.received);
  }
  void operator()(const Error& m) {
    auto w = b.initError();
    w.setCode(static_cast<s::ErrorCode>(m.code));
    w.setText(TextOf(m.text));
  }
  void operator()(const Ping& m) { b.initPing().setToken(m.token); }
  void operator()(const Pong& m) { b.initPong().setToken(m.token); }
};

// Words a message will take, generously, so that the builder allocates one segment.
size_t EstimateWords(const Message& m, const Bytes& packed) {
  size_t bytes = 256 + packed.size();
  auto add_list = [&](const std::vector<Bytes>& v) {
    for (const Bytes& b : v) bytes += b.size() + 16;
  };
  auto add_scopes = [&](const std::vector<std::string>& v) {
    for (const std::string& t : v) bytes += t.size() + 16;
  };
  std::visit(
      [&](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, Hello> || std::is_same_v<T, Accept>) {
          bytes += body.certificate.size();
          add_scopes(body.scopes);
        } else if constexpr (std::is_same_v<T, Certificates>) {
          add_list(body.certificates);
          add_list(body.revocations);
        } else if constexpr (std::is_same_v<T, Reconcile>) {
          bytes += body.community.size() + body.message.size();
        } else if constexpr (std::is_same_v<T, ChangeRequest>) {
          bytes += body.ids.size() * 32;
        } else if constexpr (std::is_same_v<T, ChangeBatch> || std::is_same_v<T, Push>) {
          if (packed.empty()) add_list(body.records);
        } else if constexpr (std::is_same_v<T, Error>) {
          bytes += body.text.size();
        }
      },
      m.body);
  return bytes / 8 + 16;
}

}  // namespace

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kBadMessage:
      return "bad_message";
    case ErrorCode::kNotEnrolled:
      return "not_enrolled";
    case ErrorCode::kRevoked:
      return "revoked";
    case ErrorCode::kOutOfScope:
      return "out_of_scope";
    case ErrorCode::kBusy:
      return "busy";
    case ErrorCode::kTooLarge:
      return "too_large";
    case ErrorCode::kInternal:
      return "internal";
    case ErrorCode::kProtocolVersion:
      return "protocol_version";
    case ErrorCode::kExpired:
      return "expired";
  }
  return "unknown";
}

std::string_view MessageName(const Body& body) {
  static constexpr std::string_view kNames[] = {
      "hello",          "accept",       "busy", "certificates", "reconcile",
      "change_request", "change_batch", "ack",  "push",         "sync_done",
      "error",          "ping",         "pong"};
  static_assert(std::size(kNames) == std::variant_size_v<Body>);
  return kNames[body.index()];
}

Result<Bytes> Encode(const Message& message) {
  RETURN_IF_ERROR(Check(message));
  Bytes packed;
  if (const auto* batch = std::get_if<ChangeBatch>(&message.body)) {
    ASSIGN_OR_RETURN(packed, PackRecords(batch->records));
  } else if (const auto* push = std::get_if<Push>(&message.body)) {
    ASSIGN_OR_RETURN(packed, PackRecords(push->records));
  }
  try {
    capnp::MallocMessageBuilder builder(static_cast<unsigned>(EstimateWords(message, packed)));
    auto env = builder.initRoot<s::Envelope>();
    env.setSession(DataOf(message.session));
    std::visit(BodyWriter{env.initBody(), packed}, message.body);
    kj::Array<capnp::word> words = capnp::messageToFlatArray(builder);
    kj::ArrayPtr<const kj::byte> bytes = words.asBytes();
    if (bytes.size() > kMaxFrameBytes)
      return TooBig(std::string(MessageName(message.body)) + ": frame of " + N(bytes.size()) +
                    " bytes, at most " + N(kMaxFrameBytes));
    return Bytes(bytes.begin(), bytes.end());
  } catch (const kj::Exception& e) {
    return Status::Internal(std::string("encoding ") + std::string(MessageName(message.body)) +
                            ": " + e.getDescription().cStr());
  } catch (const std::exception& e) {
    return Status::Internal(std::string("encoding: ") + e.what());
  }
}

Result<Message> Decode(ByteView frame) {
  if (frame.size() > kMaxFrameBytes)
    return TooBig("frame of " + N(frame.size()) + " bytes, at most " + N(kMaxFrameBytes));
  schema::ReadLimits limits;
  limits.max_bytes = kMaxFrameBytes;
  // Eager decoding reads every word about once; twice the frame is room for the segment table
  // and pointers while refusing frames whose pointers share (amplify) their targets.
  limits.traversal_words = 2 * (frame.size() / 8) + 64;
  limits.nesting = 8;
  Message out;
  Status st = schema::ReadFlat<s::Envelope>(
      frame, limits, "wire frame", [&](s::Envelope::Reader env) -> Status {
        capnp::Data::Reader session = env.getSession();
        if (session.size() != out.session.size())
          return Bad("session id of " + N(session.size()) + " bytes, expected 16");
        std::memcpy(out.session.data(), session.begin(), out.session.size());
        ASSIGN_OR_RETURN(out.body, ReadBody(env.getBody()));
        return Status::Ok();
      });
  if (st.ok()) st = Check(out);
  if (!st.ok()) {
    if (st.code() == Code::kInvalidArgument) return Status::Corruption(st.message());
    return st;
  }
  return out;
}

Status StatusOf(const Error& error) {
  std::string m = "peer error " + std::string(ErrorCodeName(error.code)) + ": " + error.text;
  switch (error.code) {
    case ErrorCode::kBusy:
      return Status::Unavailable(std::move(m));
    case ErrorCode::kNotEnrolled:
    case ErrorCode::kRevoked:
    case ErrorCode::kOutOfScope:
    case ErrorCode::kExpired:
      return Status::Denied(std::move(m));
    case ErrorCode::kTooLarge:
      return Status::Exhausted(std::move(m));
    case ErrorCode::kBadMessage:
      return Status::Corruption(std::move(m));
    case ErrorCode::kProtocolVersion:
      return Status::Invalid(std::move(m));
    case ErrorCode::kInternal:
      return Status::Internal(std::move(m));
  }
  return Status::Internal(std::move(m));
}

}  // namespace shequ::wire
