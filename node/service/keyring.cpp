#include "node/service/keyring.h"

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "node/base/file.h"
#include "node/base/text.h"
#include "replication/crdt/seal.h"

namespace shequ::service {

using json = nlohmann::json;

std::string CommunityAudience(std::string_view community) { return "c:" + std::string(community); }

std::string DepartmentAudience(model::Department d) {
  return "d:" + std::string(model::DepartmentSlug(d));
}

bool IsIdentityBasic(const model::FieldDef& f) {
  return f.entity == model::EntityKind::kPerson &&
         (f.key == "name" || f.key == "gender" || f.key == "birth_date");
}

std::vector<std::string> AudiencesFor(const model::FieldDef& f, std::string_view community) {
  std::vector<std::string> out;
  if (f.cls == model::FieldClass::kOrdinary) return out;
  out.push_back(CommunityAudience(community));
  if (f.owner != model::Department::kCommunity) out.push_back(DepartmentAudience(f.owner));
  if (IsIdentityBasic(f)) out.push_back(std::string(kBasicAudience));
  std::sort(out.begin(), out.end());
  return out;
}

// --- the office

Status CitySecrets::Create(const std::string& city_dir) {
  std::string path = city_dir + "/audience.key";
  if (FileExists(path)) return Status::Exists(path + " exists; refusing to overwrite it");
  auto master = crypto::RandomArray<32>();
  return WriteFileAtomic(path, "shequ-audience-key 1\nmaster " + Hex(master) + "\n", 0600);
}

Result<CitySecrets> CitySecrets::Read(const std::string& city_dir) {
  std::string path = city_dir + "/audience.key";
  auto text = ReadFile(path);
  if (!text.ok())
    return text.status().With("the city's audience key is needed to enrol a node (" + path + ")");
  std::string_view t = *text;
  constexpr std::string_view kHead = "shequ-audience-key 1\nmaster ";
  if (!StartsWith(t, kHead)) return Status::Corruption(path + " is not a shequ audience key");
  std::string_view hex = t.substr(kHead.size(), 64);
  ASSIGN_OR_RETURN(Bytes master, Unhex(hex));
  if (master.size() != 32) return Status::Corruption(path + ": the master has 32 bytes");
  return CitySecrets{std::move(master)};
}

Bytes CitySecrets::AudienceSecret(std::string_view audience) const {
  auto r = crypto::Hkdf(master, AsBytes("shequ/audience-secret/v1"), AsBytes(audience), 32);
  return r.ok() ? *r : Bytes();
}

Bytes CitySecrets::TokenMaster() const {
  auto r = crypto::Hkdf(master, AsBytes("shequ/token-master/v1"), {}, 32);
  return r.ok() ? *r : Bytes();
}

NodeSecrets SecretsFor(const CitySecrets& city, const trust::Certificate& cert,
                       const model::Reference& ref) {
  NodeSecrets s;
  auto add_community = [&](const std::string& code) {
    std::string aud = CommunityAudience(code);
    s.audiences.emplace(aud, city.AudienceSecret(aud));
    s.token_keys.emplace(code, crdt::CommunityTokenKey(city.TokenMaster(), code));
  };
  if (cert.Has(trust::grant::kRead) || cert.Has(trust::grant::kCollect)) {
    for (const model::Division* d : ref.divisions().ResidentUnits())
      if (cert.InScope(d->code)) add_community(d->code);
  }
  if (cert.Has(trust::grant::kReadOwn) && cert.department) {
    std::string aud = DepartmentAudience(*cert.department);
    s.audiences.emplace(aud, city.AudienceSecret(aud));
  }
  if (cert.Has(trust::grant::kReadBasic))
    s.audiences.emplace(std::string(kBasicAudience), city.AudienceSecret(kBasicAudience));
  // City-wide writers and readers of tokens: departments (their verified values anywhere, and
  // finding a person by ID number) and the hub (comparing the tools' values).
  bool city_wide = cert.kind == trust::NodeKind::kDepartment || cert.kind == trust::NodeKind::kHub;
  if (city_wide) s.token_master = city.TokenMaster();
  return s;
}

Result<AudienceDirectory> AudienceDirectory::Build(const CitySecrets& city,
                                                   const model::Reference& ref) {
  AudienceDirectory dir;
  std::vector<std::string> ids = {std::string(kBasicAudience)};
  for (model::Department d : model::kAllDepartments)
    if (d != model::Department::kCommunity) ids.push_back(DepartmentAudience(d));
  for (const model::Division* d : ref.divisions().ResidentUnits())
    ids.push_back(CommunityAudience(d->code));
  for (const std::string& id : ids) {
    ASSIGN_OR_RETURN(Bytes pub, crypto::X25519Public(city.AudienceSecret(id)));
    dir.keys.emplace(id, std::move(pub));
  }
  return dir;
}

static constexpr std::string_view kDirectoryTag = "shequ/audiences/v1";

Result<std::string> AudienceDirectory::Encode(crypto::Suite suite,
                                              const crypto::SigningKey& root) const {
  json list = json::object();
  for (const auto& [id, pub] : keys) list[id] = Base64(pub);
  std::string body = json{{"version", 1}, {"keys", list}}.dump();
  ASSIGN_OR_RETURN(Bytes sig, root.Sign(trust::SigningMessage(
                                  kDirectoryTag, crypto::Digest(suite, AsBytes(body)))));
  return json{{"body", body}, {"signature", Base64(sig)}}.dump(1) + "\n";
}

Result<AudienceDirectory> AudienceDirectory::Decode(std::string_view file, crypto::Suite suite,
                                                    const crypto::PublicKey& root) {
  json outer = json::parse(file, nullptr, false);
  if (!outer.is_object() || !outer.contains("body") || !outer["body"].is_string() ||
      !outer.contains("signature") || !outer["signature"].is_string())
    return Status::Corruption("audience list: not a signed audience list");
  std::string body = outer["body"];
  ASSIGN_OR_RETURN(Bytes sig, Unbase64(outer["signature"].get<std::string>()));
  if (!root.Verify(trust::SigningMessage(kDirectoryTag, crypto::Digest(suite, AsBytes(body))), sig))
    return Status::Denied("audience list: the city root's signature does not verify");
  json b = json::parse(body, nullptr, false);
  if (!b.is_object() || b.value("version", 0) != 1 || !b.contains("keys") || !b["keys"].is_object())
    return Status::Corruption("audience list: unknown format");
  AudienceDirectory dir;
  for (auto it = b["keys"].begin(); it != b["keys"].end(); ++it) {
    if (!it.value().is_string()) return Status::Corruption("audience list: key of " + it.key());
    ASSIGN_OR_RETURN(Bytes pub, Unbase64(it.value().get<std::string>()));
    if (pub.size() != 32) return Status::Corruption("audience list: key of " + it.key());
    dir.keys.emplace(it.key(), std::move(pub));
  }
  return dir;
}

// --- the keyring file

namespace {

json SecretsToJson(const NodeSecrets& s) {
  json a = json::object(), t = json::object();
  for (const auto& [k, v] : s.audiences) a[k] = Base64(v);
  for (const auto& [k, v] : s.token_keys) t[k] = Base64(v);
  return json{{"audiences", a}, {"tokens", t}, {"token_master", Base64(s.token_master)}};
}

Result<NodeSecrets> SecretsFromJson(const json& j, std::string_view where) {
  auto bad = [&] { return Status::Corruption(std::string(where) + ": damaged secrets"); };
  if (!j.is_object() || !j.contains("audiences") || !j["audiences"].is_object() ||
      !j.contains("tokens") || !j["tokens"].is_object() || !j.contains("token_master") ||
      !j["token_master"].is_string())
    return bad();
  NodeSecrets s;
  for (auto it = j["audiences"].begin(); it != j["audiences"].end(); ++it) {
    if (!it.value().is_string()) return bad();
    ASSIGN_OR_RETURN(Bytes v, Unbase64(it.value().get<std::string>()));
    s.audiences.emplace(it.key(), std::move(v));
  }
  for (auto it = j["tokens"].begin(); it != j["tokens"].end(); ++it) {
    if (!it.value().is_string()) return bad();
    ASSIGN_OR_RETURN(Bytes v, Unbase64(it.value().get<std::string>()));
    s.token_keys.emplace(it.key(), std::move(v));
  }
  ASSIGN_OR_RETURN(s.token_master, Unbase64(j["token_master"].get<std::string>()));
  return s;
}

Bytes OperatorAad(std::string_view name) {
  Bytes aad = ToBytes("shequ/keyring/operator/v1");
  aad.push_back(0);
  Append(aad, AsBytes(name));
  return aad;
}

const Bytes& SecretsAad() {
  static const Bytes aad = ToBytes("shequ/keyring/secrets/v1");
  return aad;
}

}  // namespace

crypto::ScryptParams DefaultScryptParams() {
  crypto::ScryptParams p;
  if (const char* env = std::getenv("SHEQU_SCRYPT_N")) {
    uint64_t n = std::strtoull(env, nullptr, 10);
    if (n >= 2 && (n & (n - 1)) == 0) p.n = n;
  }
  return p;
}

Status Keyring::CreatePlain(const std::string& node_dir, const NodeSecrets& secrets) {
  Keyring k;
  k.path_ = PathIn(node_dir);
  if (FileExists(k.path_)) return Status::Exists(k.path_ + " exists; refusing to overwrite it");
  k.plain_ = secrets;
  return k.Save();
}

Status Keyring::Save() const {
  json ops = json::array();
  for (const Operator& o : operators_)
    ops.push_back(json{{"name", o.name},
                       {"salt", Base64(o.salt)},
                       {"n", o.params.n},
                       {"r", o.params.r},
                       {"p", o.params.p},
                       {"wrapped", Base64(o.wrapped)}});
  json j{{"format", "shequ-keyring"}, {"version", 1}, {"operators", ops}};
  if (plain_) {
    j["plain"] = SecretsToJson(*plain_);
  } else {
    j["sealed"] = Base64(sealed_secrets_);
  }
  return WriteFileAtomic(path_, j.dump(1) + "\n", 0600);
}

Result<Keyring> Keyring::Load(const std::string& node_dir) {
  Keyring k;
  k.path_ = PathIn(node_dir);
  auto text = ReadFile(k.path_);
  if (!text.ok())
    return text.status().With(node_dir + " has no keyring (enrolled before sealed storage?)");
  json j = json::parse(*text, nullptr, false);
  auto bad = [&](std::string what) { return Status::Corruption(k.path_ + ": " + what); };
  if (!j.is_object() || j.value("format", "") != "shequ-keyring" || j.value("version", 0) != 1)
    return bad("not a shequ keyring");
  if (!j.contains("operators") || !j["operators"].is_array()) return bad("no operator list");
  for (const json& o : j["operators"]) {
    if (!o.is_object() || !o.contains("name") || !o["name"].is_string() || !o.contains("salt") ||
        !o["salt"].is_string() || !o.contains("wrapped") || !o["wrapped"].is_string() ||
        !o.contains("n") || !o["n"].is_number_unsigned() || !o.contains("r") ||
        !o["r"].is_number_unsigned() || !o.contains("p") || !o["p"].is_number_unsigned())
      return bad("damaged operator entry");
    Operator op;
    op.name = o["name"];
    ASSIGN_OR_RETURN(op.salt, Unbase64(o["salt"].get<std::string>()));
    ASSIGN_OR_RETURN(op.wrapped, Unbase64(o["wrapped"].get<std::string>()));
    op.params.n = o["n"];
    op.params.r = o["r"];
    op.params.p = o["p"];
    if (op.params.n > (1u << 22) || op.params.r > 64 || op.params.p > 16)
      return bad("operator " + op.name + " has scrypt parameters out of range");
    k.operators_.push_back(std::move(op));
  }
  if (k.operators_.empty()) {
    if (!j.contains("plain")) return bad("no operators and no plain secrets");
    ASSIGN_OR_RETURN(NodeSecrets s, SecretsFromJson(j["plain"], k.path_));
    k.plain_ = std::move(s);
  } else {
    if (!j.contains("sealed") || !j["sealed"].is_string()) return bad("no sealed secrets");
    ASSIGN_OR_RETURN(k.sealed_secrets_, Unbase64(j["sealed"].get<std::string>()));
  }
  return k;
}

std::vector<std::string> Keyring::operators() const {
  std::vector<std::string> out;
  for (const Operator& o : operators_) out.push_back(o.name);
  return out;
}

bool Keyring::HasOperator(std::string_view name) const {
  for (const Operator& o : operators_)
    if (o.name == name) return true;
  return false;
}

Result<Unlocked> Keyring::OpenPlain() const {
  if (!plain_)
    return Status::Denied("the keyring of this node is sealed: log in as one of its operators (" +
                          Join(operators(), ", ") + ")");
  return Unlocked{"", {}, *plain_};
}

Result<Unlocked> Keyring::Unlock(std::string_view name, std::string_view passphrase) const {
  if (plain_)
    return Status::NotFound("this node has no operators yet; add one with `shequ operator add`");
  const Operator* op = nullptr;
  for (const Operator& o : operators_)
    if (o.name == name) op = &o;
  if (!op)
    return Status::NotFound("no operator " + Quote(name) +
                            " on this node (operators: " + Join(operators(), ", ") + ")");
  ASSIGN_OR_RETURN(Bytes kek, crypto::Scrypt(passphrase, op->salt, op->params));
  auto data_key = crypto::AeadOpen(kek, op->wrapped, OperatorAad(op->name));
  if (!data_key.ok()) return Status::Denied("wrong passphrase for operator " + Quote(name));
  auto plain = crypto::AeadOpen(*data_key, sealed_secrets_, SecretsAad());
  if (!plain.ok())
    return Status::Corruption(path_ + ": the sealed secrets do not authenticate (damaged file)");
  json j = json::parse(plain->begin(), plain->end(), nullptr, false);
  ASSIGN_OR_RETURN(NodeSecrets s, SecretsFromJson(j, path_));
  return Unlocked{std::string(name), std::move(*data_key), std::move(s)};
}

Status Keyring::AddOperator(std::string_view name, std::string_view passphrase, const Unlocked& by,
                            const crypto::ScryptParams& params) {
  if (name.empty() || name.size() > 60 || !IsValidUtf8(name))
    return Status::Invalid("operator name must be 1 to 60 bytes of UTF-8");
  if (HasOperator(name)) return Status::Exists("operator " + Quote(name) + " exists");
  if (passphrase.size() < 8) return Status::Invalid("a passphrase needs at least 8 characters");
  Keyring next = *this;
  Bytes data_key = by.data_key;
  if (plain_) {
    auto k = crypto::RandomArray<32>();
    data_key.assign(k.begin(), k.end());
    std::string secrets = SecretsToJson(*plain_).dump();
    ASSIGN_OR_RETURN(next.sealed_secrets_,
                     crypto::AeadSeal(data_key, AsBytes(secrets), SecretsAad()));
    next.plain_.reset();
  } else if (data_key.size() != 32) {
    return Status::Denied("adding an operator needs an existing operator's login");
  }
  Operator op;
  op.name = std::string(name);
  auto salt = crypto::RandomArray<16>();
  op.salt.assign(salt.begin(), salt.end());
  op.params = params;
  ASSIGN_OR_RETURN(Bytes kek, crypto::Scrypt(passphrase, op.salt, op.params));
  ASSIGN_OR_RETURN(op.wrapped, crypto::AeadSeal(kek, data_key, OperatorAad(op.name)));
  next.operators_.push_back(std::move(op));
  RETURN_IF_ERROR(next.Save());
  *this = std::move(next);
  return Status::Ok();
}

}  // namespace shequ::service
