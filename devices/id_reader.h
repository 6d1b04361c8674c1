// Driver for second-generation ID card readers on a serial line (docs/DEVICES.md, "Reader
// protocol"). Every command is one request frame and one response frame; every non-success SW3
// becomes a Status naming the command and the code (Sw3Error), a silent reader becomes
// Unavailable after the timeout, a damaged response frame Corruption.
//
// Thread safety: one thread per reader.
#pragma once

#include <string>

#include "devices/id_frame.h"
#include "devices/id_text.h"
#include "devices/serial_port.h"

namespace shequ::devices {

class IdCardReader {
 public:
  struct Options {
    int baud = 115200;
    int timeout_ms = 2000;       // per command
    int read_timeout_ms = 5000;  // 30 01: the card transfers ~1.3 KB over the air first
  };
  static Result<IdCardReader> Open(const std::string& path, Options options);
  static Result<IdCardReader> Open(const std::string& path) { return Open(path, Options{}); }

  Status ResetSam();                 // 10 FF
  Status SamStatus();                // 11 FF: the security module is working
  Result<std::string> SamId();       // 12 FF: the reader's serial for provenance
  Status FindCard();                 // 20 01: 9F when a card lies on the reader
  Status SelectCard();               // 20 02
  Result<IdBaseMessage> ReadBase();  // 30 01: text block and photo

  // Find, select, read and decode one card, with the SAM id. Does not validate (see
  // InterpretIdCard).
  struct RawRead {
    std::string sam_id;
    IdCardText text;
    Bytes photo;
  };
  Result<RawRead> ReadCard();

  // One request, its response, any SW3 (for diagnostics and tests).
  Result<IdResponse> Transact(const IdRequest& request, int timeout_ms);

  SerialPort& port() { return port_; }

 private:
  explicit IdCardReader(SerialPort port, Options o) : port_(std::move(port)), options_(o) {}
  Result<IdResponse> Expect(const uint8_t (&command)[2], uint8_t want_sw3, std::string_view what,
                            int timeout_ms);
  Result<Bytes> ReadFrame(int timeout_ms);

  SerialPort port_;
  Options options_;
  Bytes rx_;  // bytes received but not yet consumed
};

}  // namespace shequ::devices
