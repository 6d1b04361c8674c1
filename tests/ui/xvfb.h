// An X server for the front end's frame tests: a private Xvfb started by the test binary (Mesa's
// llvmpipe renders into it), or the display the environment already has when Xvfb is missing.
#pragma once

#include <sys/types.h>

#include <string>

namespace shequ::testing {

class XServer {
 public:
  // Starts Xvfb (1400x900, 24 bits) and points DISPLAY at it. False when no X server can be had
  // at all, with the reason in *why.
  bool Start(std::string* why);
  ~XServer();
  const std::string& display() const { return display_; }

 private:
  pid_t pid_ = -1;
  std::string display_;
};

}  // namespace shequ::testing
