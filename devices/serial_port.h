// A serial line (termios, raw, 8N1, no flow control) and the pseudo-terminal the simulators
// answer on. Both are move-only owners of one file descriptor. Reads take a deadline; nothing
// blocks forever.
//
// Thread safety: one thread per object.
#pragma once

#include <string>

#include "node/base/bytes.h"
#include "node/base/status.h"

namespace shequ::devices {

// A file descriptor that closes itself.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// Baud rates a port may be set to.
bool SupportedBaud(int baud);

// Writes all of `data` (polling a non-blocking descriptor) before `timeout_ms` passes.
Status WriteAll(int fd, ByteView data, int timeout_ms);
// Reads what is available, waiting up to `timeout_ms` for the first byte; 0 bytes means the
// time passed. Unavailable when the other side hung up.
Result<size_t> ReadSome(int fd, uint8_t* buf, size_t cap, int timeout_ms);

class SerialPort {
 public:
  struct Options {
    int baud = 115200;  // 8 data bits, no parity, 1 stop bit
  };
  // Opens a terminal device (a real UART, a USB serial adapter or a pty), raw mode, and drops
  // whatever was waiting in its queues.
  static Result<SerialPort> Open(const std::string& path, Options options);
  static Result<SerialPort> Open(const std::string& path) { return Open(path, Options{}); }

  const std::string& path() const { return path_; }
  int fd() const { return fd_.get(); }

  Status Write(ByteView data, int timeout_ms) { return WriteAll(fd_.get(), data, timeout_ms); }
  Result<size_t> Read(uint8_t* buf, size_t cap, int timeout_ms) {
    return ReadSome(fd_.get(), buf, cap, timeout_ms);
  }
  // Discards unread input (stale answers to a command that timed out).
  void DiscardInput();

 private:
  SerialPort() = default;
  UniqueFd fd_;
  std::string path_;
};

// The master side of a fresh pseudo-terminal whose slave is in raw mode. It keeps the slave open
// itself, so that a driver closing and reopening the slave does not hang it up.
class PseudoTerminal {
 public:
  static Result<PseudoTerminal> Open();

  // The path a driver opens, e.g. /dev/pts/7.
  const std::string& slave_path() const { return slave_path_; }
  int master_fd() const { return master_.get(); }

 private:
  PseudoTerminal() = default;
  UniqueFd master_, slave_;
  std::string slave_path_;
};

}  // namespace shequ::devices
