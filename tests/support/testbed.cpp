#include "tests/support/testbed.h"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace shequ::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/shequ-test-XXXXXX";
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  if (!std::getenv("SHEQU_KEEP_TMP")) std::system(("rm -rf '" + path_ + "'").c_str());
}

const model::Reference& Ref() {
  static const model::Reference* ref = [] {
    auto r = model::Reference::Load();
    if (!r.ok()) throw std::runtime_error(r.status().ToString());
    return new model::Reference(std::move(*r));
  }();
  return *ref;
}

crypto::Suite TestSuite() {
  static const crypto::Suite suite = [] {
    const char* env = std::getenv("SHEQU_TEST_SUITE");
    if (!env || !*env) return crypto::Suite::kEd25519;
    auto s = crypto::ParseSuite(env);
    if (!s) {
      std::fprintf(stderr, "SHEQU_TEST_SUITE=%s: the suites are ed25519 and sm2\n", env);
      std::exit(2);
    }
    return *s;
  }();
  return suite;
}

std::string SuiteFlag() { return "--suite " + std::string(crypto::SuiteName(TestSuite())); }

Testbed::Testbed(crypto::Suite suite) {
  city_dir_ = root_.path() + "/city";
  service::CityInitOptions o;
  o.suite = suite;
  Status st = service::InitCity(city_dir_, o);
  if (!st.ok()) throw std::runtime_error(st.ToString());
}

trust::Certificate Testbed::AddNode(const std::string& name, trust::NodeKind kind,
                                    std::vector<std::string> scopes,
                                    std::optional<model::Department> dept, uint64_t not_before_ms,
                                    uint64_t valid_days) {
  service::NodeInitOptions o;
  o.kind = kind;
  o.scopes = std::move(scopes);
  o.department = dept;
  o.name = name;
  o.not_before_ms = not_before_ms;
  o.valid_days = valid_days;
  auto cert = service::InitNode(dir(name), city_dir_, o, Ref());
  if (!cert.ok()) throw std::runtime_error(cert.status().ToString());
  return *cert;
}

std::unique_ptr<service::Node> Testbed::Open(const std::string& name,
                                             service::Node::Options options) const {
  auto n = service::Node::Open(dir(name), Ref(), std::move(options));
  if (!n.ok()) throw std::runtime_error(n.status().ToString());
  return std::move(*n);
}

int Run(const std::string& command, std::string* out) {
  FILE* p = popen((command + (out ? " 2>&1" : "")).c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0)
    if (out) out->append(buf, n);
  int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string ShequBin() {
  const char* bin = std::getenv("SHEQU_BIN");
  return bin ? bin : "shequ";
}

}  // namespace shequ::testing
