// The frame tests' main(): an X server first (tests/ui/xvfb.h), or the whole binary is skipped
// (exit 77, which CTest reports as skipped) with the reason.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

#include "tests/ui/xvfb.h"

int main(int argc, char** argv) {
  shequ::testing::XServer x;
  std::string why;
  if (!x.Start(&why)) {
    std::printf("SKIP: the front end's frame tests need an X server: %s\n", why.c_str());
    return 77;
  }
  std::printf("X server on %s\n", x.display().c_str());
  doctest::Context context(argc, argv);
  return context.run();
}
