#include "devices/serial_port.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace shequ::devices {

namespace {

std::string Errno(std::string_view what) { return std::string(what) + ": " + std::strerror(errno); }

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

speed_t SpeedOf(int baud) {
  switch (baud) {
    case 9600:
      return B9600;
    case 19200:
      return B19200;
    case 38400:
      return B38400;
    case 57600:
      return B57600;
    case 115200:
      return B115200;
    case 230400:
      return B230400;
    case 460800:
      return B460800;
    case 921600:
      return B921600;
  }
  return B0;
}

// Raw 8N1, no flow control, reads return what is there (poll does the waiting).
Status MakeRaw(int fd, int baud) {
  termios t{};
  if (tcgetattr(fd, &t) != 0) return Status::Invalid(Errno("not a terminal (tcgetattr)"));
  cfmakeraw(&t);
  t.c_cflag &= ~static_cast<tcflag_t>(PARENB | CSTOPB | CSIZE | CRTSCTS);
  t.c_cflag |= CS8 | CLOCAL | CREAD;
  t.c_iflag &= ~static_cast<tcflag_t>(IXON | IXOFF | IXANY);
  t.c_cc[VMIN] = 0;
  t.c_cc[VTIME] = 0;
  speed_t speed = SpeedOf(baud);
  if (cfsetispeed(&t, speed) != 0 || cfsetospeed(&t, speed) != 0)
    return Status::Invalid(Errno("setting " + std::to_string(baud) + " baud"));
  if (tcsetattr(fd, TCSANOW, &t) != 0) return Status::Unavailable(Errno("tcsetattr"));
  return Status::Ok();
}

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) reset(o.release());
  return *this;
}

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

bool SupportedBaud(int baud) { return SpeedOf(baud) != B0; }

Status WriteAll(int fd, ByteView data, int timeout_ms) {
  int64_t deadline = NowMs() + timeout_ms;
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
      return Status::Unavailable(Errno("writing to the device"));
    int64_t left = deadline - NowMs();
    if (left <= 0) return Status::Unavailable("the device did not accept data in time");
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, static_cast<int>(left)) < 0 && errno != EINTR)
      return Status::Unavailable(Errno("poll"));
  }
  return Status::Ok();
}

Result<size_t> ReadSome(int fd, uint8_t* buf, size_t cap, int timeout_ms) {
  int64_t deadline = NowMs() + timeout_ms;
  for (;;) {
    ssize_t n = ::read(fd, buf, cap);
    if (n > 0) return static_cast<size_t>(n);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EIO) return Status::Unavailable("the device hung up");
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
      return Status::Unavailable(Errno("reading from the device"));
    int64_t left = deadline - NowMs();
    if (left <= 0) return size_t{0};
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno != EINTR) return Status::Unavailable(Errno("poll"));
    if (r > 0 && (p.revents & (POLLHUP | POLLERR)) && !(p.revents & POLLIN))
      return Status::Unavailable("the device hung up");
  }
}

Result<SerialPort> SerialPort::Open(const std::string& path, Options options) {
  if (!SupportedBaud(options.baud))
    return Status::Invalid("unsupported baud rate " + std::to_string(options.baud) +
                           " (9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)");
  SerialPort p;
  p.path_ = path;
  p.fd_.reset(::open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
  if (!p.fd_.valid()) {
    int e = errno;
    std::string m = "opening " + path + ": " + std::strerror(e);
    return e == ENOENT ? Status::NotFound(m) : Status::Unavailable(m);
  }
  if (!::isatty(p.fd_.get())) return Status::Invalid(path + " is not a serial line (a tty)");
  RETURN_IF_ERROR(MakeRaw(p.fd_.get(), options.baud).With(path));
  p.DiscardInput();
  return p;
}

void SerialPort::DiscardInput() { ::tcflush(fd_.get(), TCIFLUSH); }

Result<PseudoTerminal> PseudoTerminal::Open() {
  PseudoTerminal t;
  t.master_.reset(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!t.master_.valid()) return Status::Unavailable(Errno("posix_openpt"));
  if (::grantpt(t.master_.get()) != 0 || ::unlockpt(t.master_.get()) != 0)
    return Status::Unavailable(Errno("grantpt/unlockpt"));
  char name[128];
  if (::ptsname_r(t.master_.get(), name, sizeof name) != 0)
    return Status::Unavailable(Errno("ptsname_r"));
  t.slave_path_ = name;
  t.slave_.reset(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!t.slave_.valid()) return Status::Unavailable(Errno("opening " + t.slave_path_));
  RETURN_IF_ERROR(MakeRaw(t.slave_.get(), 115200));
  int flags = ::fcntl(t.master_.get(), F_GETFL);
  if (flags < 0 || ::fcntl(t.master_.get(), F_SETFL, flags | O_NONBLOCK) != 0)
    return Status::Unavailable(Errno("fcntl O_NONBLOCK"));
  return t;
}

}  // namespace shequ::devices
