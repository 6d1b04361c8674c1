// A lost terminal, wrong passphrases, a missing operator and a damaged sealed value (issue 4),
// through the shequ binary as a community worker would use it.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "node/base/file.h"
#include "node/service/access.h"
#include "tests/service/service_support.h"

namespace shequ::testing {
namespace {

using trust::NodeKind;

// Every file under `dir`, searched for `needle` as bytes.
std::vector<std::string> FilesHolding(const std::string& dir, const std::string& needle) {
  std::vector<std::string> hits;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (data.find(needle) != std::string::npos) hits.push_back(entry.path().string());
  }
  return hits;
}

struct Terminal {
  Testbed tb;
  std::string dir, pass, card, bin = ShequBin();
  Terminal() {
    setenv("SHEQU_SCRYPT_N", "1024", 1);
    tb.AddNode("t1", NodeKind::kTerminal, {kHeping}, std::nullopt);
    dir = tb.dir("t1");
    pass = tb.dir("pass.txt");
    card = tb.dir("card.json");
    REQUIRE(WriteFileAtomic(pass, "正确的口令 2026\n").ok());
    REQUIRE(WriteFileAtomic(card, FamilyCard()).ok());
  }
  int Shequ(const std::string& args, std::string* out = nullptr) {
    if (out) out->clear();
    return Run(
        "SHEQU_TODAY=2026-11-26 SHEQU_SCRYPT_N=1024 " + bin + " " + args + " </dev/null 2>&1", out);
  }
  std::string Login() { return " --operator 王芳 --passphrase-file " + pass; }
};

TEST_CASE("a lost terminal's directory gives up no ID number, name, phone or address") {
  Terminal t;
  std::string out;
  REQUIRE(t.Shequ("operator add --dir " + t.dir + " --name 王芳 --passphrase-file " + t.pass,
                  &out) == 0);
  REQUIRE(t.Shequ("card import --dir " + t.dir + " --tool terminal" + t.Login() + " " + t.card,
                  &out) == 0);
  INFO(out);
  // The thief copies the directory.
  std::string copy = t.tb.dir("stolen");
  REQUIRE(Run("cp -a " + t.dir + " " + copy) == 0);
  const char* kSecrets[] = {"150302198001010015",
                            "150302198205030026",
                            "150302201209010019",
                            "张伟",
                            "李娜",
                            "张小明",
                            "13904730001",
                            "3栋2单元401",
                            "1980-01-01",
                            "1982-05-03"};
  for (const char* s : kSecrets) {
    INFO("searching the copy for " << s);
    CHECK(FilesHolding(copy, s).empty());
  }
  // The search does reach the data: ordinary values are there in the clear.
  CHECK_FALSE(FilesHolding(copy, "HBW-2026-000123").empty());
  CHECK_FALSE(FilesHolding(copy, "HP-03").empty());
  // Without the passphrase the copy shows nothing personal.
  CHECK(t.Shequ("person show --dir " + copy + " --id 150302198001010015", &out) == 4);
  CHECK(out.find("--operator NAME --passphrase-file FILE") != std::string::npos);
  // With it, the operator reads (masked) and reveals (audited).
  REQUIRE(t.Shequ("person show --dir " + t.dir + " --id 150302198001010015 --json" + t.Login(),
                  &out) == 0);
  CHECK(out.find("张*") != std::string::npos);
  CHECK(out.find("150302********0015") != std::string::npos);
  CHECK(out.find("张伟") == std::string::npos);
}

TEST_CASE("wrong passphrase, unknown operator: clear errors, recorded, nothing lost") {
  Terminal t;
  std::string out;
  REQUIRE(t.Shequ("operator add --dir " + t.dir + " --name 王芳 --passphrase-file " + t.pass) == 0);
  REQUIRE(t.Shequ("card import --dir " + t.dir + " --tool terminal" + t.Login() + " " + t.card) ==
          0);
  std::string wrong = t.tb.dir("wrong.txt");
  REQUIRE(WriteFileAtomic(wrong, "不对的口令 0000\n").ok());
  CHECK(t.Shequ("person show --dir " + t.dir +
                    " --id 150302198001010015 --operator 王芳 --passphrase-file " + wrong,
                &out) == 4);
  CHECK(out.find("wrong passphrase for operator «王芳»") != std::string::npos);
  CHECK(t.Shequ("person show --dir " + t.dir +
                    " --id 150302198001010015 --operator 李四 --passphrase-file " + t.pass,
                &out) == 2);
  CHECK(out.find("no operator «李四»") != std::string::npos);
  // A second operator needs the first one's login.
  CHECK(t.Shequ("operator add --dir " + t.dir + " --name 李四 --passphrase-file " + t.pass, &out) ==
        4);
  REQUIRE(t.Shequ("operator add --dir " + t.dir + " --name 李四 --passphrase-file " + t.pass +
                      " --by 王芳 --by-passphrase-file " + t.pass,
                  &out) == 0);
  // Both failures are access events; the data is intact for the right operator.
  REQUIRE(t.Shequ("audit --dir " + t.dir + " --json", &out) == 0);
  INFO(out);
  auto events = nlohmann::json::parse(out, nullptr, false);
  REQUIRE(events.is_array());
  int failed = 0, logins = 0;
  for (const auto& e : events) {
    failed += e["action"] == "login_failed";
    logins += e["action"] == "login";
  }
  CHECK(failed == 2);
  CHECK(logins >= 2);
  // The data is intact: the operator reads it (masked; a terminal holds no reveal grant).
  REQUIRE(t.Shequ("person show --dir " + t.dir + " --id 150302198001010015" + t.Login(), &out) ==
          0);
  CHECK(out.find("张*") != std::string::npos);
  CHECK(out.find("150302********0015") != std::string::npos);
  CHECK(t.Shequ("person show --dir " + t.dir +
                    " --id 150302198001010015 --reveal --fields name --purpose 核对身份" +
                    t.Login(),
                &out) == 4);
  CHECK(out.find("no reveal grant") != std::string::npos);
  REQUIRE(t.Shequ("verify --dir " + t.dir, &out) == 0);
}

TEST_CASE("a damaged sealed value is reported by name; the rest of the record stays readable") {
  Testbed tb;
  tb.AddNode("heping", NodeKind::kCommunity, {kHeping});
  auto node = tb.Open("heping");
  crdt::EntityRef p{kHeping, model::EntityKind::kPerson, Id16{9}};
  Id32 id{};
  REQUIRE(node->store()
              .Write([&](store::Txn& txn) -> Status {
                ASSIGN_OR_RETURN(
                    id,
                    node->Commit(
                        txn, p, {{"name", "张伟"}, {"gender", "1"}, {"phone", "13904730001"}}, {}));
                return Status::Ok();
              })
              .ok());
  // Flip one byte of the key wrapped for the phone's audience group (the last group: name is
  // sealed to the community, the police and the basics, the phone to the community alone), as
  // a failing disk would, keeping the record's key.
  REQUIRE(
      node->store()
          .Write([&](store::Txn& txn) -> Status {
            ASSIGN_OR_RETURN(auto c, node->replica().LoadChange(txn, id));
            crdt::ChangeBody body = c->body;
            body.keys.back() ^= 0x20;
            ASSIGN_OR_RETURN(crdt::Change damaged, crdt::PrepareChange(body, node->key().suite()));
            damaged.signature = c->signature;
            return txn.Put(node->store().dbi(store::Db::kChanges), id, crdt::EncodeRecord(damaged));
          })
          .ok());
  auto v = service::ReadEntity(*node, p, {true, {}, "核对"});
  REQUIRE(v.ok());
  CHECK(v->Value("name") == "张伟");
  CHECK(v->Value("gender") == "1");
  REQUIRE(v->damaged.size() == 1);
  CHECK(v->damaged[0].rfind("phone: ", 0) == 0);
  CHECK(v->damaged[0].find("does not authenticate") != std::string::npos);
}

}  // namespace
}  // namespace shequ::testing
