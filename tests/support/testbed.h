// A throw-away city for tests: a root, nodes of every kind in temporary directories, real LMDB,
// real keys. Nothing here is mocked.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "node/model/reference.h"
#include "node/service/node.h"

namespace shequ::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The reference data, loaded once per test binary.
const model::Reference& Ref();

// The crypto suite of the test cities: SHEQU_TEST_SUITE=ed25519 (the default) or sm2, so that
// every replication test runs under both (tests/CMakeLists.txt registers the *_sm2 runs).
// An unknown value stops the test binary rather than silently testing the default.
crypto::Suite TestSuite();
// "--suite ed25519" or "--suite sm2", for tests that create cities with `shequ city init`.
std::string SuiteFlag();

class Testbed {
 public:
  explicit Testbed(crypto::Suite suite = TestSuite());

  const std::string& city_dir() const { return city_dir_; }
  std::string dir(const std::string& name) const { return root_.path() + "/" + name; }

  // Enrols a node under `name` (its directory name too).
  trust::Certificate AddNode(const std::string& name, trust::NodeKind kind,
                             std::vector<std::string> scopes,
                             std::optional<model::Department> dept = std::nullopt,
                             uint64_t not_before_ms = 0, uint64_t valid_days = 3650);
  std::unique_ptr<service::Node> Open(const std::string& name,
                                      service::Node::Options options = {}) const;

 private:
  TempDir root_;
  std::string city_dir_;
};

// Runs a shell command, returns its exit status; output captured into *out if given.
int Run(const std::string& command, std::string* out = nullptr);
// Path of the shequ binary under test ($SHEQU_BIN).
std::string ShequBin();

}  // namespace shequ::testing
