#include "devices/id_reader.h"

#include <chrono>

namespace shequ::devices {

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Garbage tolerated before a frame (line noise after power-up) before giving up.
constexpr size_t kMaxSkipped = 2 * kIdMaxLength;

}  // namespace

Result<IdCardReader> IdCardReader::Open(const std::string& path, Options options) {
  SerialPort::Options po;
  po.baud = options.baud;
  ASSIGN_OR_RETURN(SerialPort port, SerialPort::Open(path, po));
  return IdCardReader(std::move(port), options);
}

Result<Bytes> IdCardReader::ReadFrame(int timeout_ms) {
  int64_t deadline = NowMs() + timeout_ms;
  size_t skipped = 0;
  uint8_t buf[1024];
  for (;;) {
    IdFrameScan s = ScanIdFrame(rx_);
    if (s.kind == IdFrameScan::kFrame) {
      Bytes frame(rx_.begin(), rx_.begin() + static_cast<long>(s.size));
      rx_.erase(rx_.begin(), rx_.begin() + static_cast<long>(s.size));
      return frame;
    }
    if (s.kind == IdFrameScan::kSkip || s.kind == IdFrameScan::kBadLength) {
      if (s.kind == IdFrameScan::kBadLength) {
        size_t len = static_cast<size_t>(rx_[5]) << 8 | rx_[6];
        rx_.clear();
        return Status::Corruption("reader sent a frame length of " + std::to_string(len));
      }
      skipped += s.size;
      rx_.erase(rx_.begin(), rx_.begin() + static_cast<long>(s.size));
      if (skipped > kMaxSkipped)
        return Status::Corruption("reader sent " + std::to_string(skipped) +
                                  " bytes that are not a frame");
      continue;
    }
    int64_t left = deadline - NowMs();
    if (left <= 0) {
      std::string got =
          rx_.empty() ? "nothing" : std::to_string(rx_.size()) + " bytes of an unfinished frame";
      rx_.clear();
      return Status::Unavailable("no answer from the reader within " + std::to_string(timeout_ms) +
                                 " ms (received " + got + ")");
    }
    ASSIGN_OR_RETURN(size_t n, port_.Read(buf, sizeof buf, static_cast<int>(left)));
    rx_.insert(rx_.end(), buf, buf + n);
  }
}

Result<IdResponse> IdCardReader::Transact(const IdRequest& request, int timeout_ms) {
  // An answer to an earlier command that timed out must not pass for this one's.
  port_.DiscardInput();
  rx_.clear();
  RETURN_IF_ERROR(port_.Write(EncodeIdRequest(request), timeout_ms));
  ASSIGN_OR_RETURN(Bytes frame, ReadFrame(timeout_ms));
  ASSIGN_OR_RETURN(Bytes body, DecodeIdFrame(frame));
  return ParseIdResponse(body);
}

Result<IdResponse> IdCardReader::Expect(const uint8_t (&command)[2], uint8_t want_sw3,
                                        std::string_view what, int timeout_ms) {
  IdRequest req;
  req.command = command[0];
  req.parameter = command[1];
  auto r = Transact(req, timeout_ms);
  if (!r.ok()) return r.status().With(what);
  if (r->sw3 != want_sw3) return Sw3Error(r->sw3, what);
  return r;
}

Status IdCardReader::ResetSam() {
  return Expect(idcmd::kSamReset, sw3::kSuccess, "resetting the SAM (10 FF)", options_.timeout_ms)
      .status();
}

Status IdCardReader::SamStatus() {
  return Expect(idcmd::kSamStatus, sw3::kSuccess, "SAM status (11 FF)", options_.timeout_ms)
      .status();
}

Result<std::string> IdCardReader::SamId() {
  ASSIGN_OR_RETURN(IdResponse r, Expect(idcmd::kSamId, sw3::kSuccess, "reading the SAM id (12 FF)",
                                        options_.timeout_ms));
  return FormatSamId(r.data);
}

Status IdCardReader::FindCard() {
  return Expect(idcmd::kFindCard, sw3::kCardFound, "finding a card (20 01)", options_.timeout_ms)
      .status();
}

Status IdCardReader::SelectCard() {
  return Expect(idcmd::kSelectCard, sw3::kSuccess, "selecting the card (20 02)",
                options_.timeout_ms)
      .status();
}

Result<IdBaseMessage> IdCardReader::ReadBase() {
  ASSIGN_OR_RETURN(IdResponse r, Expect(idcmd::kReadBase, sw3::kSuccess, "reading the card (30 01)",
                                        options_.read_timeout_ms));
  auto m = ParseBaseMessage(r.data);
  if (!m.ok()) return m.status().With("reading the card (30 01)");
  return m;
}

Result<IdCardReader::RawRead> IdCardReader::ReadCard() {
  RawRead out;
  ASSIGN_OR_RETURN(out.sam_id, SamId());
  RETURN_IF_ERROR(FindCard());
  RETURN_IF_ERROR(SelectCard());
  ASSIGN_OR_RETURN(IdBaseMessage m, ReadBase());
  auto text = DecodeIdText(m.text);
  if (!text.ok()) return text.status().With("decoding the card's text");
  out.text = std::move(*text);
  out.photo = std::move(m.photo);
  return out;
}

}  // namespace shequ::devices
