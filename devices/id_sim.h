// A simulated ID card reader: a pseudo-terminal that answers the reader protocol byte for byte,
// from a file of virtual cards (format: docs/DEVICES.md, "Virtual cards"; example:
// devices/virtual_cards.json). The real driver talks to it exactly as to a reader.
//
// Cards are presented one at a time. A presentation ends after the reader answered a read
// (30 01), whatever the outcome, or a find that reported no card; then the next card of the
// file lies on the reader (cycling), unless a test pinned one with Present().
//
// Thread safety: Start() serves on its own thread; Present() may be called from any thread.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "devices/id_frame.h"
#include "devices/id_text.h"
#include "devices/serial_port.h"

namespace shequ::devices {

// What a virtual card does wrong, if anything.
enum class CardFault {
  kNone,
  kNoCard,        // no card on the reader: find answers 0x80
  kSelectFailed,  // select answers 0x81
  kLifted,        // card lifted during the read: 30 01 answers 0x41
  kNoContent,     // 30 01 answers 0x91
  kBadChecksum,   // the 30 01 response frame carries a wrong checksum
  kCut,           // the 30 01 response stops half way (the line goes quiet)
  kStatus,        // 30 01 answers the SW3 given in `sw3`
};
std::string_view CardFaultName(CardFault f);

struct VirtualCard {
  std::string label;
  CardFault fault = CardFault::kNone;
  uint8_t sw3 = 0;  // for kStatus
  IdCardText text;
  Bytes photo;  // 1024 bytes
};

struct VirtualCardFile {
  std::string sam_id;
  std::vector<VirtualCard> cards;
};

// Parses the JSON file format; every problem is an InvalidArgument naming the card.
Result<VirtualCardFile> ParseVirtualCards(std::string_view json);
Result<VirtualCardFile> LoadVirtualCards(const std::string& path);

class IdReaderSimulator {
 public:
  static Result<std::unique_ptr<IdReaderSimulator>> Create(VirtualCardFile cards);
  ~IdReaderSimulator();

  // The path the driver opens.
  const std::string& port() const { return pty_.slave_path(); }

  // Serves until `stop` becomes true (checked at least every 100 ms).
  void Serve(const std::atomic<bool>& stop);
  // Serves on a thread until Stop() or destruction.
  void Start();
  void Stop();

  // Pins the card at `index` on the reader (no cycling); nullopt resumes cycling.
  void Present(std::optional<size_t> index);
  // Frames answered so far (for tests).
  size_t answered() const { return answered_.load(); }

 private:
  explicit IdReaderSimulator(PseudoTerminal pty, VirtualCardFile cards)
      : pty_(std::move(pty)), cards_(std::move(cards)) {}
  // Answers one complete request frame (or a damaged one) with the bytes to send back.
  Bytes Answer(ByteView frame);
  void EndPresentation();
  const VirtualCard& Current();

  PseudoTerminal pty_;
  VirtualCardFile cards_;
  Bytes sam_bytes_;
  std::mutex mu_;
  size_t current_ = 0;
  std::optional<size_t> pinned_;
  std::atomic<size_t> answered_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace shequ::devices
