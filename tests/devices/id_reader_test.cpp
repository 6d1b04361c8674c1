// The real reader driver, over a real pseudo-terminal, against the simulator: every virtual card
// of devices/virtual_cards.json and every error the protocol has.
#include "devices/id_reader.h"

#include <doctest/doctest.h>

#include <set>

#include "devices/id_sim.h"

using namespace shequ;
using namespace shequ::devices;

namespace {

const Date kToday{2026, 11, 26};

const model::Reference& Ref() {
  static const model::Reference* ref = [] {
    auto r = model::Reference::Load();
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    return new model::Reference(std::move(r).value());
  }();
  return *ref;
}

VirtualCardFile ExampleCards() {
  auto f = LoadVirtualCards(std::string(SHEQU_SOURCE_DIR) + "/devices/virtual_cards.json");
  REQUIRE_MESSAGE(f.ok(), f.status().ToString());
  return std::move(f).value();
}

// Generous timeouts: a loaded machine must not fail a read that would succeed.
IdCardReader::Options Generous() {
  IdCardReader::Options o;
  o.timeout_ms = 5000;
  o.read_timeout_ms = 10000;
  return o;
}

std::string Hex2(uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", b);
  return buf;
}

// Reads whatever frame comes back on a raw port.
Result<IdResponse> RawExchange(SerialPort& port, ByteView request) {
  RETURN_IF_ERROR(port.Write(request, 5000));
  Bytes rx;
  uint8_t buf[512];
  for (int i = 0; i < 100; ++i) {
    IdFrameScan s = ScanIdFrame(rx);
    if (s.kind == IdFrameScan::kFrame) {
      ASSIGN_OR_RETURN(Bytes body, DecodeIdFrame(ByteView(rx).first(s.size)));
      return ParseIdResponse(body);
    }
    ASSIGN_OR_RETURN(size_t n, port.Read(buf, sizeof buf, 5000));
    if (n == 0) break;
    rx.insert(rx.end(), buf, buf + n);
  }
  return Status::Unavailable("no response frame");
}

}  // namespace

TEST_CASE("the example file has every document type, an expired card, a bad ID and every fault") {
  VirtualCardFile f = ExampleCards();
  std::set<IdDocKind> kinds;
  std::set<CardFault> faults;
  bool expired = false, bad_id = false, for_life = false;
  for (const VirtualCard& c : f.cards) {
    faults.insert(c.fault);
    if (c.fault != CardFault::kNone) continue;
    kinds.insert(c.text.kind);
    IdCardRead r = InterpretIdCard(c.text, c.photo, Ref(), kToday);
    expired |= r.expired;
    for_life |= c.text.valid_to == "长期";
    for (const auto& p : r.problems) bad_id |= p.code == "id_check";
  }
  CHECK(kinds.size() == 4);
  CHECK(faults.size() == 8);
  CHECK(expired);
  CHECK(bad_id);
  CHECK(for_life);
}

TEST_CASE("the driver reads every virtual card through the pty simulator") {
  VirtualCardFile file = ExampleCards();
  auto sim = IdReaderSimulator::Create(file);
  REQUIRE_MESSAGE(sim.ok(), sim.status().ToString());
  (*sim)->Start();
  IdCardReader::Options o = Generous();
  auto reader = IdCardReader::Open((*sim)->port(), o);
  REQUIRE_MESSAGE(reader.ok(), reader.status().ToString());
  IdCardReader::Options quick = o;
  quick.read_timeout_ms = 1000;  // only for the card whose answer is cut off
  auto quick_reader = IdCardReader::Open((*sim)->port(), quick);
  REQUIRE(quick_reader.ok());

  CHECK(reader->SamStatus().ok());
  CHECK(reader->ResetSam().ok());
  auto sam = reader->SamId();
  REQUIRE(sam.ok());
  CHECK(*sam == file.sam_id);

  for (size_t i = 0; i < file.cards.size(); ++i) {
    const VirtualCard& card = file.cards[i];
    CAPTURE(card.label);
    (*sim)->Present(i);
    IdCardReader& r = card.fault == CardFault::kCut ? *quick_reader : *reader;
    auto read = r.ReadCard();
    switch (card.fault) {
      case CardFault::kNone: {
        REQUIRE_MESSAGE(read.ok(), read.status().ToString());
        CHECK(read->sam_id == file.sam_id);
        CHECK(read->text == card.text);
        CHECK(read->photo == card.photo);
        IdCardRead interpreted = InterpretIdCard(read->text, read->photo, Ref(), kToday);
        CHECK(interpreted.fields.at("doc_type") == std::string(DocTypeCode(card.text.kind)));
        break;
      }
      case CardFault::kNoCard:
        CHECK(read.status().code() == Code::kNotFound);
        CHECK(read.status().message().find("no card on the reader") != std::string::npos);
        CHECK(read.status().message().find("[SW3 0x80]") != std::string::npos);
        break;
      case CardFault::kSelectFailed:
        CHECK(read.status().code() == Code::kUnavailable);
        CHECK(read.status().message().find("[SW3 0x81]") != std::string::npos);
        break;
      case CardFault::kLifted:
        CHECK(read.status().code() == Code::kUnavailable);
        CHECK(read.status().message().find("was it lifted") != std::string::npos);
        CHECK(read.status().message().find("[SW3 0x41]") != std::string::npos);
        break;
      case CardFault::kNoContent:
        CHECK(read.status().code() == Code::kNotFound);
        CHECK(read.status().message().find("[SW3 0x91]") != std::string::npos);
        break;
      case CardFault::kBadChecksum:
        CHECK(read.status().code() == Code::kCorruption);
        CHECK(read.status().message().find("checksum") != std::string::npos);
        break;
      case CardFault::kCut:
        CHECK(read.status().code() == Code::kUnavailable);
        CHECK(read.status().message().find("no answer from the reader within 1000 ms") !=
              std::string::npos);
        CHECK(read.status().message().find("unfinished frame") != std::string::npos);
        break;
      case CardFault::kStatus:
        CHECK(read.status().code() == Code::kInternal);
        CHECK(read.status().message().find("unknown status " + Hex2(card.sw3)) !=
              std::string::npos);
        break;
    }
    // Whatever happened, the line is usable again.
    CHECK(reader->SamStatus().ok());
  }
}

TEST_CASE("without a pinned card the simulator presents the cards in turn, one per read") {
  VirtualCardFile file = ExampleCards();
  file.cards.resize(3);
  file.cards[1].fault = CardFault::kNoCard;
  auto sim = IdReaderSimulator::Create(file);
  REQUIRE(sim.ok());
  (*sim)->Start();
  auto reader = IdCardReader::Open((*sim)->port(), Generous());
  REQUIRE(reader.ok());
  auto a = reader->ReadCard();
  REQUIRE(a.ok());
  CHECK(a->text.name == file.cards[0].text.name);
  CHECK(reader->ReadCard().status().code() == Code::kNotFound);  // the card that is not there
  auto c = reader->ReadCard();
  REQUIRE(c.ok());
  CHECK(c->text.name == file.cards[2].text.name);
  auto again = reader->ReadCard();  // cycles
  REQUIRE(again.ok());
  CHECK(again->text.name == file.cards[0].text.name);
}

TEST_CASE("damaged requests get the reader's checksum, length and command errors") {
  auto sim = IdReaderSimulator::Create(ExampleCards());
  REQUIRE(sim.ok());
  (*sim)->Start();
  auto port = SerialPort::Open((*sim)->port());
  REQUIRE(port.ok());

  Bytes bad_sum = {0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x20, 0x01, 0x23};
  auto r = RawExchange(*port, bad_sum);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(r->sw3 == 0x10);
  CHECK(Sw3Error(r->sw3, "find").code() == Code::kUnavailable);

  Bytes bad_len = {0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x00};
  r = RawExchange(*port, bad_len);
  REQUIRE(r.ok());
  CHECK(r->sw3 == 0x11);

  Bytes short_body = {0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x02, 0x20, 0x22};  // no parameter
  r = RawExchange(*port, short_body);
  REQUIRE(r.ok());
  CHECK(r->sw3 == 0x11);

  // Noise before a good frame is skipped by the reader as by us.
  Bytes noisy = {0x00, 0x13, 0xAA};
  Append(noisy, EncodeIdRequest(IdRequest{0x11, 0xFF, {}}));
  r = RawExchange(*port, noisy);
  REQUIRE(r.ok());
  CHECK(r->sw3 == 0x90);

  // An unknown command, through the driver.
  auto reader = IdCardReader::Open((*sim)->port(), Generous());
  REQUIRE(reader.ok());
  auto resp = reader->Transact(IdRequest{0x55, 0x01, {}}, 5000);
  REQUIRE(resp.ok());
  CHECK(resp->sw3 == 0x21);
  Status st = Sw3Error(resp->sw3, "command 55 01");
  CHECK(st.code() == Code::kInternal);
  CHECK(st.message().find("does not know the command") != std::string::npos);
}

TEST_CASE("a silent reader times out; a missing port is not found; a file is not a serial line") {
  auto pty = PseudoTerminal::Open();  // nobody answers on it
  REQUIRE(pty.ok());
  IdCardReader::Options o;
  o.timeout_ms = 300;
  auto reader = IdCardReader::Open(pty->slave_path(), o);
  REQUIRE(reader.ok());
  Status st = reader->FindCard();
  CHECK(st.code() == Code::kUnavailable);
  CHECK(st.message().find("no answer from the reader within 300 ms (received nothing)") !=
        std::string::npos);

  CHECK(IdCardReader::Open("/dev/does-not-exist-shequ").status().code() == Code::kNotFound);
  CHECK(IdCardReader::Open("/dev/null").status().code() == Code::kInvalidArgument);
  IdCardReader::Options odd;
  odd.baud = 12345;
  CHECK(IdCardReader::Open(pty->slave_path(), odd).status().code() == Code::kInvalidArgument);
  odd.baud = 9600;  // configurable
  CHECK(IdCardReader::Open(pty->slave_path(), odd).ok());
}

TEST_CASE("virtual card files: unknown keys and faults are refused with the card named") {
  CHECK(ParseVirtualCards("[]").status().code() == Code::kInvalidArgument);
  CHECK(ParseVirtualCards("{\"cards\": []}").status().message().find("no cards") !=
        std::string::npos);
  auto r = ParseVirtualCards("{\"cards\": [{\"name\": \"a\"}, {\"nmae\": \"b\"}]}");
  CHECK(r.status().message().find("virtual card 2: unknown key") != std::string::npos);
  r = ParseVirtualCards("{\"cards\": [{\"fault\": \"melted\"}]}");
  CHECK(r.status().message().find("unknown fault") != std::string::npos);
  r = ParseVirtualCards("{\"cards\": [{\"fault\": \"status\", \"sw3\": \"zz\"}]}");
  CHECK(r.status().code() == Code::kInvalidArgument);
  r = ParseVirtualCards("{\"sam_id\": \"1\", \"cards\": [{}]}");
  CHECK(r.status().code() == Code::kInvalidArgument);
  r = ParseVirtualCards("{\"cards\": [{\"kind\": \"passport\"}]}");
  CHECK(r.status().message().find("kind") != std::string::npos);
  CHECK(ParseVirtualCards("{not json").status().code() == Code::kInvalidArgument);
}
