// Privacy and access (issue 4): sealed values and their audiences, masking, the keyring and its
// operators, and the role-by-operation matrix through real nodes (real LMDB, real OpenSSL).
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>

#include "node/base/file.h"
#include "node/service/access.h"
#include "node/service/bundle.h"
#include "node/service/export.h"
#include "replication/crdt/seal.h"
#include "tests/support/testbed.h"

namespace shequ::testing {
namespace {

using model::EntityKind;
using service::Op;
using trust::NodeKind;

constexpr char kHeping[] = "150302001002";    // 和平社区
constexpr char kGongyuan[] = "150302001003";  // 公园社区, a neighbour

const model::FieldDef& Field(EntityKind k, std::string_view key) {
  const model::FieldDef* f = Ref().catalog().Find(k, key);
  REQUIRE(f);
  return *f;
}

// --- sealed values

TEST_CASE("a sealed value opens only for its audience; equal values have equal tokens") {
  std::map<std::string, Bytes, std::less<>> secrets, publics;
  for (std::string id : {"c:150302001002", "d:police", "basic"}) {
    auto kp = *crypto::GenerateX25519();
    secrets[id] = kp.private_key;
    publics[id] = kp.public_key;
  }
  auto created = crdt::Sealer::Create();
  REQUIRE(created.ok());
  auto& sealer = *created;
  crdt::ChangeBody body;
  body.community = kHeping;
  body.entity = Id16{1};
  body.kind = EntityKind::kPerson;
  body.writes = {{"gender", crdt::ValueKind::kText, "1", {}},
                 {"id_number", crdt::ValueKind::kText, "150302198001010015", {}},
                 {"name", crdt::ValueKind::kText, "张伟", {}}};
  Bytes token_key(32, 9);
  REQUIRE(sealer
              ->Seal(body,
                     {{1, {"c:150302001002", "d:police"}, token_key},
                      {2, {"basic", "c:150302001002", "d:police"}, token_key}},
                     publics)
              .ok());
  CHECK(body.writes[0].kind == crdt::ValueKind::kText);
  REQUIRE(body.writes[1].kind == crdt::ValueKind::kSealed);
  CHECK(body.writes[1].value.find("150302198001010015") == std::string::npos);
  auto kb = crdt::ParseKeyBlock(body.keys);
  REQUIRE(kb.ok());
  CHECK(kb->groups.size() == 2);  // two audience sets
  Id32 change{7};
  auto open = [&](std::vector<std::string> held, size_t w) {
    std::map<std::string, Bytes, std::less<>> mine;
    for (const auto& h : held) mine[h] = secrets[h];
    crdt::Opener opener(mine);
    return opener.Open(change, body.keys, body.entity, body.kind, body.writes[w].field,
                       body.writes[w].value);
  };
  CHECK(**open({"c:150302001002"}, 1) == "150302198001010015");
  CHECK(**open({"d:police"}, 2) == "张伟");
  CHECK(**open({"basic"}, 2) == "张伟");
  CHECK_FALSE(open({"basic"}, 1)->has_value());  // the ID number is not a basic
  CHECK_FALSE(open({"c:150302001001"}, 1)->has_value());
  // Moved to another field, or a changed byte: it does not authenticate.
  {
    crdt::Opener opener(secrets);
    auto moved =
        opener.Open(change, body.keys, body.entity, body.kind, "former_name", body.writes[2].value);
    CHECK(moved.status().code() == Code::kCorruption);
    std::string bad = body.writes[1].value;
    bad.back() ^= 1;
    CHECK(
        opener.Open(Id32{8}, body.keys, body.entity, body.kind, "id_number", bad).status().code() ==
        Code::kCorruption);
  }
  // Tokens: the same value sealed twice differs as ciphertext, not as token.
  crdt::ChangeBody again = body;
  again.writes[1] = {"id_number", crdt::ValueKind::kText, "150302198001010015", {}};
  REQUIRE(sealer->Seal(again, {{1, {"c:150302001002"}, token_key}}, publics).ok());
  CHECK(again.writes[1].value != body.writes[1].value);
  CHECK(*crdt::TokenOf(again.writes[1].value) == *crdt::TokenOf(body.writes[1].value));
  CHECK(*crdt::TokenOf(body.writes[1].value) ==
        crdt::ValueToken(token_key, EntityKind::kPerson, "id_number", "150302198001010015"));
  CHECK(*crdt::TokenOf(body.writes[1].value) !=
        crdt::ValueToken(Bytes(32, 8), EntityKind::kPerson, "id_number", "150302198001010015"));
}

TEST_CASE("key blocks: every truncation and out-of-range count is refused") {
  auto created = crdt::Sealer::Create();
  REQUIRE(created.ok());
  auto& sealer = *created;
  auto kp = *crypto::GenerateX25519();
  crdt::ChangeBody body;
  body.community = kHeping;
  body.kind = EntityKind::kPerson;
  body.writes = {{"name", crdt::ValueKind::kText, "李娜", {}}};
  REQUIRE(sealer->Seal(body, {{0, {"c:x"}, {}}}, {{"c:x", kp.public_key}}).ok());
  REQUIRE(crdt::ParseKeyBlock(body.keys).ok());
  for (size_t n = 0; n < body.keys.size(); ++n)
    CHECK_FALSE(crdt::ParseKeyBlock(ByteView(body.keys).first(n)).ok());
  Bytes longer = body.keys;
  longer.push_back(0);
  CHECK_FALSE(crdt::ParseKeyBlock(longer).ok());
  Bytes zero_groups = body.keys;
  zero_groups[1 + 32 + 16] = 0;  // the group count
  CHECK_FALSE(crdt::ParseKeyBlock(zero_groups).ok());
  // No token key: no token (all zero), so no equality claim either.
  CHECK_FALSE(crdt::TokenOf(body.writes[0].value).has_value());
}

// --- masking

TEST_CASE("masking: ID number, names, phones, addresses, dates, sensitive values") {
  using service::Mask;
  CHECK(Mask(Field(EntityKind::kPerson, "id_number"), "150302198001010015") ==
        "150302********0015");
  CHECK(Mask(Field(EntityKind::kPerson, "name"), "张三") == "张*");
  CHECK(Mask(Field(EntityKind::kPerson, "name"), "张三明") == "张*明");
  CHECK(Mask(Field(EntityKind::kPerson, "name"), "欧阳小明") == "欧**明");
  CHECK(Mask(Field(EntityKind::kPerson, "phone"), "13900000001") == "139****0001");
  CHECK(Mask(Field(EntityKind::kHousehold, "phone"), "0473-3912345") == "0473-***2345");
  CHECK(Mask(Field(EntityKind::kHousehold, "address"), "海勃湾区和平社区3栋2单元401") ==
        "海勃湾区和平社区3栋***");
  CHECK(Mask(Field(EntityKind::kHousehold, "address"), "海勃湾区新华街12号楼") ==
        "海勃湾区新华街12号楼");
  CHECK(Mask(Field(EntityKind::kPerson, "birth_date"), "1980-01-01") == "1980-**-**");
  CHECK(Mask(Field(EntityKind::kPerson, "dibao"), "1") == "***");
  CHECK(Mask(Field(EntityKind::kPerson, "gender"), "1") == "1");  // ordinary: not masked
}

// --- the keyring

TEST_CASE("keyring: the first operator seals it; wrong passphrase, unknown operator, damage") {
  setenv("SHEQU_SCRYPT_N", "1024", 1);
  Testbed tb;
  tb.AddNode("heping", NodeKind::kCommunity, {kHeping});
  std::string dir = tb.dir("heping");
  auto k = service::Keyring::Load(dir);
  REQUIRE(k.ok());
  CHECK_FALSE(k->sealed());
  auto plain = k->OpenPlain();
  REQUIRE(plain.ok());
  CHECK(plain->secrets.audiences.count("c:150302001002"));
  CHECK(plain->secrets.token_keys.count(kHeping));
  CHECK(plain->secrets.token_master.empty());
  REQUIRE(k->AddOperator("王芳", "correct horse", *plain, service::DefaultScryptParams()).ok());
  CHECK(k->AddOperator("王芳", "another one", *plain, {}).code() == Code::kAlreadyExists);
  CHECK(k->AddOperator("短", "short", *plain, {}).code() == Code::kInvalidArgument);

  auto reloaded = service::Keyring::Load(dir);
  REQUIRE(reloaded.ok());
  CHECK(reloaded->sealed());
  CHECK_FALSE(reloaded->OpenPlain().ok());
  auto text = ReadFile(service::Keyring::PathIn(dir));
  CHECK(text->find(Base64(plain->secrets.audiences.at("c:150302001002"))) == std::string::npos);
  auto wrong = reloaded->Unlock("王芳", "wrong horse");
  CHECK(wrong.status().code() == Code::kPermissionDenied);
  CHECK(wrong.status().message().find("wrong passphrase") != std::string::npos);
  CHECK(reloaded->Unlock("李四", "correct horse").status().code() == Code::kNotFound);
  auto ok = reloaded->Unlock("王芳", "correct horse");
  REQUIRE(ok.ok());
  CHECK(ok->secrets == plain->secrets);
  // A second operator needs the first one's login; both open the same secrets.
  service::Unlocked nobody;
  CHECK(reloaded->AddOperator("李四", "battery staple", nobody, {}).code() ==
        Code::kPermissionDenied);
  REQUIRE(
      reloaded->AddOperator("李四", "battery staple", *ok, service::DefaultScryptParams()).ok());
  CHECK(service::Keyring::Load(dir)->Unlock("李四", "battery staple")->secrets == plain->secrets);
  // A damaged file: a clear error, the secrets never half-read.
  std::string damaged = *ReadFile(service::Keyring::PathIn(dir));
  size_t at = damaged.find("\"sealed\": \"") + 20;
  damaged[at] = damaged[at] == 'A' ? 'B' : 'A';
  REQUIRE(WriteFileAtomic(service::Keyring::PathIn(dir), damaged).ok());
  auto broken = service::Keyring::Load(dir);
  REQUIRE(broken.ok());
  CHECK(broken->Unlock("王芳", "correct horse").status().code() == Code::kCorruption);
}

// --- nodes

struct City {
  Testbed tb;
  std::map<std::string, std::unique_ptr<service::Node>> nodes;
  crdt::EntityRef person{kHeping, EntityKind::kPerson, Id16{0x42, 1}};
  TempDir scratch;

  City() {
    tb.AddNode("terminal", NodeKind::kTerminal, {kHeping});
    tb.AddNode("community", NodeKind::kCommunity, {kHeping});
    tb.AddNode("district", NodeKind::kDistrict, {"150302"});
    for (model::Department d : model::kAllDepartments) {
      if (d == model::Department::kCommunity) continue;
      tb.AddNode(std::string(model::DepartmentSlug(d)), NodeKind::kDepartment, {"1503"}, d);
    }
    tb.AddNode("hub", NodeKind::kHub, {"1503"});
    tb.AddNode("office", NodeKind::kOffice, {"1503"});
    for (const char* n : {"terminal", "community", "district", "police", "health", "civil-affairs",
                          "labour", "disability", "governance", "hub", "office"})
      nodes[n] = tb.Open(n);
    // The community registers a person; every node receives the changes.
    auto& c = *nodes["community"];
    REQUIRE(c.store()
                .Write([&](store::Txn& txn) {
                  return c
                      .Commit(txn, person,
                              {{"name", "张伟"},
                               {"gender", "1"},
                               {"birth_date", "1980-01-01"},
                               {"id_number", "150302198001010015"},
                               {"education", "21"},
                               {"dibao", "1"},
                               {"phone", "13904730001"}},
                              {})
                      .status();
                })
                .ok());
    std::string bundle = scratch.path() + "/b.bundle";
    REQUIRE(service::ExportBundle(c, bundle, "").ok());
    for (auto& [name, n] : nodes)
      if (name != "community") REQUIRE(service::ImportBundle(*n, bundle).ok());
  }
  service::Node& operator[](const std::string& n) { return *nodes.at(n); }
};

struct EventCount {
  size_t allowed = 0, denied = 0;
};
// Access events this node wrote with `action`, read straight from the store.
EventCount Events(service::Node& n, const std::string& action) {
  EventCount c;
  auto r = n.store().BeginRead();
  REQUIRE(n.replica()
              .ScanEntities(*r, "", EntityKind::kAccessEvent,
                            [&](const crdt::EntityRef& e, const crdt::EntityState&) -> Status {
                              auto v = n.replica().Values(*r, e);
                              if (v->at("action") == action)
                                ++(v->at("outcome") == "allowed" ? c.allowed : c.denied);
                              return Status::Ok();
                            })
              .ok());
  return c;
}

TEST_CASE("the store holds personal and sensitive values sealed; ordinary ones in the clear") {
  City city;
  auto& c = city["community"];
  auto r = c.store().BeginRead();
  auto state = *c.replica().Entity(*r, city.person);
  CHECK(state.at("gender").winner()->kind == crdt::ValueKind::kText);
  CHECK(state.at("education").winner()->kind == crdt::ValueKind::kText);
  for (const char* k : {"name", "birth_date", "id_number", "dibao", "phone"})
    CHECK(state.at(k).winner()->kind == crdt::ValueKind::kSealed);
  // The community opens its own; the ID index finds the person by number, holding a token.
  CHECK(c.replica().Values(*r, city.person)->at("id_number") == "150302198001010015");
  auto found = c.replica().FindByIdNumber(*r, "150302198001010015");
  REQUIRE(found.ok());
  CHECK(found->size() == 1);
  // A department with a city-wide token master finds them too; another community's node,
  // holding a relayed copy, neither opens nor finds.
  auto& police = city["police"];
  auto pr = police.store().BeginRead();
  CHECK(police.replica().FindByIdNumber(*pr, "150302198001010015")->size() == 1);
  CHECK(police.replica().Values(*pr, city.person)->at("id_number") == "150302198001010015");
  CHECK(police.replica().Values(*pr, city.person)->count("dibao") == 0);   // 民政局's
  CHECK(police.replica().Values(*pr, city.person)->at("name") == "张伟");  // basic
  auto& office = city["office"];
  auto orr = office.store().BeginRead();
  auto ov = *office.replica().Values(*orr, city.person);
  CHECK(ov.count("name") == 0);
  CHECK(ov.count("id_number") == 0);
  CHECK(ov.at("gender") == "1");
  CHECK(office.replica().FindByIdNumber(*orr, "150302198001010015")->empty());
}

// The matrix: every node kind and department against every field class, for read, write,
// reveal and export. Expected outcomes written out by hand from issue 4 and DESIGN section 7:
// A allowed in full, M allowed masked, D denied. Fields: O education (人社局), P id_number
// (公安), S dibao (民政局).
TEST_CASE("role-by-operation matrix: 11 roles x 3 classes x 4 operations, each audited") {
  City city;
  struct Row {
    const char* role;
    const char* cls;
    char read, write, reveal, exp;
  };
  const Row kMatrix[] = {
      {"terminal", "O", 'A', 'A', 'A', 'D'},      {"terminal", "P", 'M', 'A', 'D', 'D'},
      {"terminal", "S", 'M', 'A', 'D', 'D'},      {"community", "O", 'A', 'A', 'A', 'A'},
      {"community", "P", 'M', 'A', 'A', 'M'},     {"community", "S", 'M', 'A', 'A', 'M'},
      {"district", "O", 'A', 'D', 'A', 'A'},      {"district", "P", 'M', 'D', 'D', 'M'},
      {"district", "S", 'M', 'D', 'D', 'M'},      {"police", "O", 'D', 'D', 'D', 'D'},
      {"police", "P", 'M', 'A', 'A', 'M'},        {"police", "S", 'D', 'D', 'D', 'D'},
      {"health", "O", 'D', 'D', 'D', 'D'},        {"health", "P", 'D', 'D', 'D', 'D'},
      {"health", "S", 'D', 'D', 'D', 'D'},        {"civil-affairs", "O", 'D', 'D', 'D', 'D'},
      {"civil-affairs", "P", 'D', 'D', 'D', 'D'}, {"civil-affairs", "S", 'M', 'A', 'A', 'M'},
      {"labour", "O", 'A', 'A', 'A', 'A'},        {"labour", "P", 'D', 'D', 'D', 'D'},
      {"labour", "S", 'D', 'D', 'D', 'D'},        {"disability", "O", 'D', 'D', 'D', 'D'},
      {"disability", "P", 'D', 'D', 'D', 'D'},    {"disability", "S", 'D', 'D', 'D', 'D'},
      {"governance", "O", 'D', 'D', 'D', 'D'},    {"governance", "P", 'D', 'D', 'D', 'D'},
      {"governance", "S", 'D', 'D', 'D', 'D'},    {"hub", "O", 'D', 'D', 'D', 'D'},
      {"hub", "P", 'D', 'D', 'D', 'D'},           {"hub", "S", 'D', 'D', 'D', 'D'},
      {"office", "O", 'D', 'D', 'D', 'D'},        {"office", "P", 'D', 'D', 'D', 'D'},
      {"office", "S", 'D', 'D', 'D', 'D'},
  };
  const std::map<std::string, std::pair<std::string, std::string>> kField = {
      {"O", {"education", "21"}},
      {"P", {"id_number", "150302198001010015"}},
      {"S", {"dibao", "1"}}};
  const std::map<std::string, std::string> kMasked = {
      {"O", "21"}, {"P", "150302********0015"}, {"S", "***"}};
  size_t cases = 0;
  for (const Row& row : kMatrix) {
    auto& n = city[row.role];
    const auto& [key, plain] = kField.at(row.cls);
    const model::FieldDef& f = Field(EntityKind::kPerson, key);
    const bool ordinary = f.cls == model::FieldClass::kOrdinary;
    std::string where = std::string(row.role) + " " + row.cls + " " + key;

    // read
    {
      INFO(where << " read");
      EventCount before = Events(n, "read");
      auto v = service::ReadEntity(n, city.person, {false, {key}, ""});
      EventCount after = Events(n, "read");
      if (row.read == 'D') {
        CHECK(v.status().code() == Code::kPermissionDenied);
        CHECK(after.denied == before.denied + 1);
      } else {
        REQUIRE(v.ok());
        REQUIRE(v->Find(key));
        CHECK(v->Find(key)->current.value == (row.read == 'A' ? plain : kMasked.at(row.cls)));
        CHECK(after.denied == before.denied);  // plain reads are not events
      }
      ++cases;
    }
    // reveal
    {
      INFO(where << " reveal");
      EventCount before = Events(n, "reveal");
      auto v = service::ReadEntity(n, city.person, {true, {key}, "核对低保资格"});
      EventCount after = Events(n, "reveal");
      if (row.reveal == 'D') {
        CHECK(v.status().code() == Code::kPermissionDenied);
        CHECK(after.denied + Events(n, "read").denied > before.denied);
        CHECK(after.allowed == before.allowed);
      } else {
        REQUIRE(v.ok());
        CHECK(v->Find(key)->current.value == plain);
        // Revealing a masked value is recorded; an ordinary value has nothing to reveal.
        CHECK(after.allowed == before.allowed + (ordinary ? 0 : 1));
      }
      ++cases;
    }
    // export
    {
      INFO(where << " export");
      EventCount before = Events(n, "export");
      service::ExportOptions o;
      o.format = service::ExportOptions::Format::kCsv;
      o.fields = {key};
      o.scope = kHeping;
      o.purpose = "季度核对";
      o.out = city.scratch.path() + "/" + row.role + "-" + key + ".csv";
      auto rep = service::Export(n, o);
      EventCount after = Events(n, "export");
      if (row.exp == 'D') {
        CHECK(rep.status().code() == Code::kPermissionDenied);
        CHECK(after.denied == before.denied + 1);
        CHECK_FALSE(FileExists(o.out));
      } else {
        REQUIRE(rep.ok());
        CHECK(rep->records == 1);
        CHECK(after.allowed == before.allowed + 1);
        std::string csv = *ReadFile(o.out);
        // entity,community,<key> and one record.
        std::string record = csv.substr(csv.find('\n') + 1);
        record = record.substr(0, record.find('\n'));
        std::string cell = record.substr(record.rfind(',') + 1);
        CHECK(csv.substr(0, csv.find('\n')) == "entity,community," + key);
        CHECK(cell == (row.exp == 'A' ? plain : kMasked.at(row.cls)));
      }
      ++cases;
    }
    // write
    {
      INFO(where << " write");
      EventCount before = Events(n, "write");
      auto w = service::WriteEntity(n, city.person, {{key, plain}});
      EventCount after = Events(n, "write");
      if (row.write == 'D') {
        CHECK(w.status().code() == Code::kPermissionDenied);
        CHECK(after.denied == before.denied + 1);
      } else {
        CHECK(w.ok());
        CHECK(after.denied == before.denied);
      }
      ++cases;
    }
  }
  CHECK(cases == 132);
}

TEST_CASE("a department sees the identity basics masked, the hub too; neither reveals them") {
  City city;
  for (const char* role : {"health", "hub"}) {
    INFO(role);
    auto v = service::ReadEntity(city[role], city.person, {});
    REQUIRE(v.ok());
    CHECK(v->Value("name") == "张*");
    CHECK(v->Value("birth_date") == "1980-**-**");
    CHECK(v->Value("gender") == "1");
    CHECK(v->Find("id_number") == nullptr);
    CHECK(v->Find("phone") == nullptr);
    CHECK(std::find(v->withheld.begin(), v->withheld.end(), "id_number") != v->withheld.end());
    auto rv = service::ReadEntity(city[role], city.person, {true, {"name"}, "核对"});
    CHECK(rv.status().code() == Code::kPermissionDenied);
  }
  // The police own the name: they reveal it.
  auto pv = service::ReadEntity(city["police"], city.person, {true, {"name"}, "户籍核对"});
  REQUIRE(pv.ok());
  CHECK(pv->Value("name") == "张伟");
  // Revealing needs a purpose.
  CHECK(service::ReadEntity(city["community"], city.person, {true, {}, ""}).status().code() ==
        Code::kInvalidArgument);
}

TEST_CASE("access events replicate to the hub, which lists them with who, what and why") {
  City city;
  auto& c = city["community"];
  REQUIRE(service::ReadEntity(c, city.person, {true, {"id_number"}, "办理低保"}).ok());
  CHECK(service::ReadEntity(city["office"], city.person, {}).status().code() ==
        Code::kPermissionDenied);
  std::string bundle = city.scratch.path() + "/events.bundle";
  REQUIRE(service::ExportBundle(c, bundle, "").ok());
  REQUIRE(service::ImportBundle(city["hub"], bundle).ok());
  auto events = service::ListAccessEvents(city["hub"], 0);
  REQUIRE(events.ok());
  auto it = std::find_if(events->begin(), events->end(), [](const service::AccessRecord& r) {
    return r.event.action == "reveal" && r.event.allowed;
  });
  REQUIRE(it != events->end());
  CHECK(it->node == city["community"].cert().name);
  CHECK(it->event.purpose == "办理低保");
  CHECK(it->event.fields == std::vector<std::string>{"id_number"});
  CHECK(it->community == kHeping);
  // The office sees its own denied read; a community node does not see the office's events.
  auto office_events = service::ListAccessEvents(city["office"], 0);
  REQUIRE(office_events.ok());
  CHECK(std::any_of(office_events->begin(), office_events->end(),
                    [](const service::AccessRecord& r) { return !r.event.allowed; }));
}

TEST_CASE("a relay stores a neighbour's sealed values it cannot open, and passes them on") {
  Testbed tb;
  tb.AddNode("heping", NodeKind::kCommunity, {kHeping});
  tb.AddNode("village", NodeKind::kCommunity, {kGongyuan});
  auto heping = tb.Open("heping");
  auto village = tb.Open("village");
  crdt::EntityRef p{kHeping, EntityKind::kPerson, Id16{5}};
  REQUIRE(heping->store()
              .Write([&](store::Txn& txn) {
                return heping->Commit(txn, p, {{"name", "李娜"}, {"gender", "2"}}, {}).status();
              })
              .ok());
  // The sealed change, handed to the village node's replica (as a relay would hold it).
  auto r = heping->store().BeginRead();
  auto history = *heping->replica().History(*r, p);
  REQUIRE(history.size() == 1);
  Bytes record = crdt::EncodeRecord(history[0]);
  CHECK(std::search(record.begin(), record.end(), std::begin("李娜"), std::end("李娜") - 1) ==
        record.end());
  auto& vkeys = *village->replica().keys();
  CHECK(vkeys.TokenKey(kHeping).empty());
  crdt::Opener opener(village->secrets()->secrets.audiences);
  auto opened = opener.Open(history[0].id, history[0].body.keys, p.entity, p.kind, "name",
                            history[0].body.writes[1].value);
  REQUIRE(opened.ok());
  CHECK_FALSE(opened->has_value());
}

}  // namespace
}  // namespace shequ::testing
