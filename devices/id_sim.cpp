#include "devices/id_sim.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "node/base/file.h"
#include "node/base/text.h"

namespace shequ::devices {

namespace {

using nlohmann::json;

struct FaultName {
  CardFault fault;
  std::string_view name;
};
constexpr FaultName kFaults[] = {
    {CardFault::kNone, "none"},
    {CardFault::kNoCard, "no_card"},
    {CardFault::kSelectFailed, "select_failed"},
    {CardFault::kLifted, "lifted"},
    {CardFault::kNoContent, "no_content"},
    {CardFault::kBadChecksum, "bad_checksum"},
    {CardFault::kCut, "cut"},
    {CardFault::kStatus, "status"},
};

// Deterministic stand-in bytes for a photo (the real format is licensed; nobody decodes it).
Bytes PhotoBytes(std::string_view seed) {
  uint64_t h = 1469598103934665603ull;
  for (char c : seed) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  Bytes b(kIdPhotoLen);
  for (uint8_t& x : b) {
    h ^= h << 13, h ^= h >> 7, h ^= h << 17;
    x = static_cast<uint8_t>(h);
  }
  return b;
}

Result<uint8_t> ParseHexByte(std::string_view s) {
  if (StartsWith(s, "0x") || StartsWith(s, "0X")) s.remove_prefix(2);
  auto b = Unhex(s);
  if (!b.ok() || b->size() != 1) return Status::Invalid("sw3 must be one hex byte like \"0x5A\"");
  return (*b)[0];
}

Result<VirtualCard> ParseCard(const json& j, size_t index) {
  std::string where = "virtual card " + std::to_string(index + 1);
  if (!j.is_object()) return Status::Invalid(where + " is not a JSON object");
  VirtualCard c;
  std::string* text_fields[] = {&c.text.name,        &c.text.english_name, &c.text.gender,
                                &c.text.ethnicity,   &c.text.birth,        &c.text.address,
                                &c.text.id_number,   &c.text.authority,    &c.text.valid_from,
                                &c.text.valid_to,    &c.text.nationality,  &c.text.pass_number,
                                &c.text.issue_count, &c.text.card_version, &c.text.previous_link};
  static constexpr std::string_view kTextKeys[] = {
      "name",        "english_name", "gender",      "ethnicity",    "birth",
      "address",     "id_number",    "authority",   "valid_from",   "valid_to",
      "nationality", "pass_number",  "issue_count", "card_version", "previous_link"};
  std::string fault = "none", sw3;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    if (!it->is_string()) return Status::Invalid(where + ": " + key + " must be a string");
    std::string v = it->get<std::string>();
    if (key == "label") {
      c.label = v;
    } else if (key == "kind") {
      auto k = ParseIdDocKind(v);
      if (!k)
        return Status::Invalid(where + ": kind " + Quote(v) +
                               " is not resident_id, hmt_permit, foreign_2017 or foreign_2023");
      c.text.kind = *k;
    } else if (key == "fault") {
      fault = v;
    } else if (key == "sw3") {
      sw3 = v;
    } else {
      bool found = false;
      for (size_t i = 0; i < std::size(kTextKeys) && !found; ++i) {
        if (key == kTextKeys[i]) {
          *text_fields[i] = v;
          found = true;
        }
      }
      if (!found) return Status::Invalid(where + ": unknown key " + Quote(key));
    }
  }
  bool known = false;
  for (const FaultName& f : kFaults) {
    if (fault == f.name) {
      c.fault = f.fault;
      known = true;
    }
  }
  if (!known) return Status::Invalid(where + ": unknown fault " + Quote(fault));
  if (c.fault == CardFault::kStatus) {
    auto b = ParseHexByte(sw3);
    if (!b.ok()) return b.status().With(where);
    c.sw3 = *b;
  } else if (!sw3.empty()) {
    return Status::Invalid(where + ": sw3 belongs with fault \"status\"");
  }
  if (c.label.empty())
    c.label = c.text.name.empty() ? "card " + std::to_string(index + 1) : c.text.name;
  c.photo = PhotoBytes(c.label + "/" + c.text.id_number);
  return c;
}

}  // namespace

std::string_view CardFaultName(CardFault f) {
  for (const FaultName& n : kFaults)
    if (n.fault == f) return n.name;
  return "?";
}

Result<VirtualCardFile> ParseVirtualCards(std::string_view text) {
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Invalid("virtual card file is not valid JSON");
  if (!j.is_object()) return Status::Invalid("virtual card file must be a JSON object");
  VirtualCardFile f;
  f.sam_id = "05.01-20240315-0000123456-0000098765";
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "sam_id") {
      if (!it->is_string()) return Status::Invalid("sam_id must be a string");
      f.sam_id = it->get<std::string>();
      RETURN_IF_ERROR(ParseSamId(f.sam_id).status());
    } else if (it.key() == "cards") {
      if (!it->is_array()) return Status::Invalid("cards must be an array");
      for (size_t i = 0; i < it->size(); ++i) {
        ASSIGN_OR_RETURN(VirtualCard c, ParseCard((*it)[i], i));
        f.cards.push_back(std::move(c));
      }
    } else if (it.key() != "comment") {
      return Status::Invalid("virtual card file: unknown key " + Quote(it.key()));
    }
  }
  if (f.cards.empty()) return Status::Invalid("virtual card file has no cards");
  return f;
}

Result<VirtualCardFile> LoadVirtualCards(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  auto f = ParseVirtualCards(text);
  if (!f.ok()) return f.status().With(path);
  return f;
}

Result<std::unique_ptr<IdReaderSimulator>> IdReaderSimulator::Create(VirtualCardFile cards) {
  if (cards.cards.empty()) return Status::Invalid("the simulator needs at least one card");
  ASSIGN_OR_RETURN(Bytes sam, ParseSamId(cards.sam_id));
  ASSIGN_OR_RETURN(PseudoTerminal pty, PseudoTerminal::Open());
  std::unique_ptr<IdReaderSimulator> sim(new IdReaderSimulator(std::move(pty), std::move(cards)));
  sim->sam_bytes_ = std::move(sam);
  return sim;
}

IdReaderSimulator::~IdReaderSimulator() { Stop(); }

void IdReaderSimulator::Start() {
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Serve(stop_); });
}

void IdReaderSimulator::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void IdReaderSimulator::Present(std::optional<size_t> index) {
  std::lock_guard<std::mutex> lock(mu_);
  pinned_ = index && *index < cards_.cards.size() ? index : std::nullopt;
}

const VirtualCard& IdReaderSimulator::Current() {
  std::lock_guard<std::mutex> lock(mu_);
  return cards_.cards[pinned_ ? *pinned_ : current_];
}

void IdReaderSimulator::EndPresentation() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!pinned_) current_ = (current_ + 1) % cards_.cards.size();
}

Bytes IdReaderSimulator::Answer(ByteView frame) {
  auto reply = [](uint8_t code, Bytes data = {}) {
    IdResponse r;
    r.sw3 = code;
    r.data = std::move(data);
    return EncodeIdResponse(r);
  };
  auto body = DecodeIdFrame(frame);
  if (!body.ok()) return reply(sw3::kChecksumError);
  auto req = ParseIdRequest(*body);
  if (!req.ok()) return reply(sw3::kLengthError);
  const VirtualCard& card = Current();
  uint8_t cmd = req->command, par = req->parameter;
  if (cmd == 0x10 && par == 0xFF) return reply(sw3::kSuccess);
  if (cmd == 0x11 && par == 0xFF) return reply(sw3::kSuccess);
  if (cmd == 0x12 && par == 0xFF) return reply(sw3::kSuccess, sam_bytes_);
  if (cmd == 0x20 && par == 0x01) {
    if (card.fault == CardFault::kNoCard) {
      EndPresentation();
      return reply(sw3::kNoCard);
    }
    return reply(sw3::kCardFound, Bytes(4, 0));
  }
  if (cmd == 0x20 && par == 0x02) {
    if (card.fault == CardFault::kNoCard || card.fault == CardFault::kSelectFailed) {
      EndPresentation();
      return reply(sw3::kSelectFailed);
    }
    return reply(sw3::kSuccess, Bytes(8, 0));
  }
  if (cmd == 0x30 && par == 0x01) {
    EndPresentation();
    switch (card.fault) {
      case CardFault::kNoCard:
      case CardFault::kLifted:
        return reply(sw3::kReadFailed);
      case CardFault::kNoContent:
        return reply(sw3::kNoContent);
      case CardFault::kStatus:
        return reply(card.sw3);
      default:
        break;
    }
    IdBaseMessage m;
    m.text = EncodeIdText(card.text);
    m.photo = card.photo;
    Bytes out = reply(sw3::kSuccess, EncodeBaseMessage(m));
    if (card.fault == CardFault::kBadChecksum) out.back() ^= 0x5A;
    if (card.fault == CardFault::kCut) out.resize(out.size() / 2);
    return out;
  }
  return reply(sw3::kCommandError);
}

void IdReaderSimulator::Serve(const std::atomic<bool>& stop) {
  Bytes rx;
  uint8_t buf[4096];
  int fd = pty_.master_fd();
  while (!stop.load()) {
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, 100);
    if (r <= 0) continue;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) {
      if (n < 0 && errno != EAGAIN && errno != EINTR && errno != EIO) return;
      if (n < 0 && errno == EIO) ::usleep(20000);  // no slave open right now
      continue;
    }
    rx.insert(rx.end(), buf, buf + n);
    for (;;) {
      IdFrameScan s = ScanIdFrame(rx);
      if (s.kind == IdFrameScan::kNeedMore) break;
      Bytes out;
      if (s.kind == IdFrameScan::kBadLength) {
        IdResponse bad;
        bad.sw3 = sw3::kLengthError;
        out = EncodeIdResponse(bad);
      } else if (s.kind == IdFrameScan::kFrame) {
        out = Answer(ByteView(rx).first(s.size));
      }
      rx.erase(rx.begin(), rx.begin() + static_cast<long>(s.size));
      if (!out.empty()) {
        (void)WriteAll(fd, out, 2000);
        answered_.fetch_add(1);
      }
    }
  }
}

}  // namespace shequ::devices
