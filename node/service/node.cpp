#include "node/service/node.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <thread>

#include "node/base/file.h"
#include "node/base/text.h"
#include "node/base/time.h"

namespace shequ::service {
namespace {

constexpr uint64_t kDayMs = 24ull * 3600 * 1000;

// "key value" lines after a magic first line.
Result<std::map<std::string, std::string>> ReadKeyFile(const std::string& path,
                                                       std::string_view magic) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  std::map<std::string, std::string> kv;
  bool first = true;
  for (std::string_view line : Split(text, '\n')) {
    line = Trim(line);
    if (line.empty()) continue;
    if (first) {
      if (line != magic) return Status::Invalid(path + " is not a " + std::string(magic) + " file");
      first = false;
      continue;
    }
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos) continue;
    kv[std::string(line.substr(0, sp))] = std::string(line.substr(sp + 1));
  }
  if (first) return Status::Invalid(path + " is empty");
  return kv;
}

Result<std::string> Need(const std::map<std::string, std::string>& kv, const std::string& key,
                         const std::string& path) {
  auto it = kv.find(key);
  if (it == kv.end()) return Status::Invalid(path + " has no " + key);
  return it->second;
}

}  // namespace

Result<trust::City> ReadCity(const std::string& dir) {
  auto text = ReadFile(dir + "/city.pub");
  if (!text.ok()) return text.status().With("reading the city trust anchor");
  return trust::City::FromText(*text);
}

Status InitCity(const std::string& dir, const CityInitOptions& options) {
  if (FileExists(dir + "/root.key"))
    return Status::Exists(dir + " already holds a city root key; refusing to overwrite it");
  if (options.code.empty() || options.code.size() > 12 || !AllDigits(options.code))
    return Status::Invalid("city code " + Quote(options.code) + " is not a division-code prefix");
  RETURN_IF_ERROR(MakeDirs(dir, 0700));
  ASSIGN_OR_RETURN(crypto::SigningKey root, crypto::SigningKey::Generate(options.suite));
  ASSIGN_OR_RETURN(Bytes priv, root.private_raw());
  std::string key_text = "shequ-root-key 1\nsuite " +
                         std::string(crypto::SuiteName(options.suite)) + "\nprivate " + Hex(priv) +
                         "\n";
  RETURN_IF_ERROR(WriteFileAtomic(dir + "/root.key", key_text, 0600));
  RETURN_IF_ERROR(CitySecrets::Create(dir));
  trust::City city{options.code, options.name, options.suite, root.public_raw()};
  return WriteFileAtomic(dir + "/city.pub", city.ToText());
}

Result<trust::Certificate> InitNode(const std::string& node_dir, const std::string& city_dir,
                                    const NodeInitOptions& o, const model::Reference& ref) {
  if (FileExists(node_dir + "/node.key"))
    return Status::Exists(node_dir + " is already a node; refusing to overwrite its keys");
  ASSIGN_OR_RETURN(trust::City city, ReadCity(city_dir));
  std::string root_path = city_dir + "/root.key";
  auto kv = ReadKeyFile(root_path, "shequ-root-key 1");
  if (!kv.ok()) return kv.status().With("the city root key is needed to enrol a node");
  ASSIGN_OR_RETURN(std::string priv_hex, Need(*kv, "private", root_path));
  ASSIGN_OR_RETURN(Bytes priv, Unhex(priv_hex));
  ASSIGN_OR_RETURN(crypto::SigningKey root, crypto::SigningKey::FromPrivate(city.suite, priv));
  if (root.public_raw() != city.root_key)
    return Status::Invalid(root_path + " does not match " + city_dir + "/city.pub");

  if (o.scopes.empty()) return Status::Invalid("a node needs at least one scope");
  for (const std::string& s : o.scopes) {
    if (s.empty() || s.size() > 12 || !AllDigits(s))
      return Status::Invalid("scope " + Quote(s) + " is not a division-code prefix");
    if (!StartsWith(s, city.code) && !StartsWith(city.code, s))
      return Status::Invalid("scope " + s + " is outside city " + city.code);
  }
  if (o.kind == trust::NodeKind::kDepartment && !o.department)
    return Status::Invalid("a department node needs --department");
  if (o.kind != trust::NodeKind::kDepartment && o.department)
    return Status::Invalid("--department applies to department nodes only");
  if ((o.kind == trust::NodeKind::kTerminal || o.kind == trust::NodeKind::kCommunity)) {
    for (const std::string& s : o.scopes)
      if (!ref.divisions().IsResidentUnit(s))
        return Status::Invalid(
            "scope " + s + " of a " + std::string(trust::NodeKindName(o.kind)) +
            " node must be a real community or village (12 digits, not virtual)");
  }

  ASSIGN_OR_RETURN(crypto::SigningKey key, crypto::SigningKey::Generate(city.suite));
  ASSIGN_OR_RETURN(crypto::DhKeyPair curve, crypto::GenerateX25519());
  trust::Certificate cert;
  cert.city = city.code;
  cert.node_id = crypto::RandomArray<16>();
  cert.kind = o.kind;
  cert.name =
      o.name.empty() ? std::string(trust::NodeKindName(o.kind)) + "-" + o.scopes[0] : o.name;
  cert.department = o.department;
  cert.suite = city.suite;
  cert.sign_key = key.public_raw();
  cert.curve_key = curve.public_key;
  cert.scopes = o.scopes;
  cert.grants = o.grants.empty() ? trust::DefaultGrants(o.kind, o.department) : o.grants;
  uint64_t now = NowMillis();
  cert.not_before = o.not_before_ms ? o.not_before_ms : now - kDayMs;
  cert.not_after = cert.not_before + o.valid_days * kDayMs;
  // Serial: one line per issued certificate in the office's log.
  std::string log_path = city_dir + "/issued.log";
  auto log = ReadFile(log_path);
  cert.serial = 1;
  if (log.ok())
    for (char c : *log) cert.serial += c == '\n';
  RETURN_IF_ERROR(trust::IssueCertificate(cert, root));
  ASSIGN_OR_RETURN(Bytes encoded, cert.Encode());

  RETURN_IF_ERROR(MakeDirs(node_dir, 0700));
  ASSIGN_OR_RETURN(Bytes sign_priv, key.private_raw());
  std::string key_text = "shequ-node-key 1\nsuite " + std::string(crypto::SuiteName(city.suite)) +
                         "\nsign " + Hex(sign_priv) + "\ncurve " + Hex(curve.private_key) + "\n";
  RETURN_IF_ERROR(WriteFileAtomic(node_dir + "/node.key", key_text, 0600));
  RETURN_IF_ERROR(WriteFileAtomic(node_dir + "/node.cert", AsChars(encoded)));
  RETURN_IF_ERROR(WriteFileAtomic(node_dir + "/city.pub", city.ToText()));
  // The audiences' public keys, and the secrets this node's grants entitle it to (plain until
  // its first operator is added).
  ASSIGN_OR_RETURN(CitySecrets secrets, CitySecrets::Read(city_dir));
  ASSIGN_OR_RETURN(AudienceDirectory audiences, AudienceDirectory::Build(secrets, ref));
  ASSIGN_OR_RETURN(std::string audience_file, audiences.Encode(city.suite, root));
  RETURN_IF_ERROR(WriteFileAtomic(node_dir + "/audiences", audience_file));
  RETURN_IF_ERROR(Keyring::CreatePlain(node_dir, SecretsFor(secrets, cert, ref)));
  std::string line = std::to_string(cert.serial) + "\t" + cert.id_hex() + "\t" +
                     std::string(trust::NodeKindName(cert.kind)) + "\t" + cert.name + "\t" +
                     cert.scopes[0] + "\t" + FormatMillis(now) + "\n";
  std::string prior = log.ok() ? *log : std::string();
  RETURN_IF_ERROR(WriteFileAtomic(log_path, prior + line, 0600));

  // Create the store with our own certificate in it.
  Node::Options opts;
  ASSIGN_OR_RETURN(auto node, Node::Open(node_dir, ref, opts));
  return cert;
}

Result<std::unique_ptr<Node>> Node::Open(const std::string& dir, const model::Reference& ref,
                                         Options options) {
  ASSIGN_OR_RETURN(trust::City city, ReadCity(dir));
  std::string key_path = dir + "/node.key";
  auto kv = ReadKeyFile(key_path, "shequ-node-key 1");
  if (!kv.ok()) return kv.status().With(dir + " is not a shequ node directory");
  ASSIGN_OR_RETURN(std::string sign_hex, Need(*kv, "sign", key_path));
  ASSIGN_OR_RETURN(std::string curve_hex, Need(*kv, "curve", key_path));
  ASSIGN_OR_RETURN(Bytes sign_priv, Unhex(sign_hex));
  ASSIGN_OR_RETURN(crypto::SigningKey key, crypto::SigningKey::FromPrivate(city.suite, sign_priv));
  std::unique_ptr<Node> n(new Node(ref, std::move(key), options.wall_ms));
  n->dir_ = dir;
  n->entity_ids_ = options.entity_ids;
  ASSIGN_OR_RETURN(n->curve_secret_, Unhex(curve_hex));
  ASSIGN_OR_RETURN(std::string cert_bytes, ReadFile(dir + "/node.cert"));
  ASSIGN_OR_RETURN(n->trust_, trust::TrustStore::Create(city));
  ASSIGN_OR_RETURN(n->cert_, trust::DecodeCertificate(AsBytes(cert_bytes)));
  RETURN_IF_ERROR(trust::VerifyCertificate(n->cert_, n->trust_->root()).With(dir + "/node.cert"));
  if (n->cert_.sign_key != n->key_.public_raw())
    return Status::Invalid(dir + "/node.key does not match " + dir + "/node.cert");
  ASSIGN_OR_RETURN(std::string audience_file, ReadFile(dir + "/audiences"));
  ASSIGN_OR_RETURN(n->audiences_,
                   AudienceDirectory::Decode(audience_file, city.suite, n->trust_->root()));
  ASSIGN_OR_RETURN(Keyring keyring, Keyring::Load(dir));
  n->keyring_ = std::move(keyring);
  ASSIGN_OR_RETURN(n->store_, store::Store::Open(dir + "/db", options.store));
  n->replica_ = std::make_unique<crdt::Replica>(*n->store_, *n->trust_, ref);
  n->replica_->set_clock(&n->clock_);
  n->replica_->set_pending([node = n.get()](const Id32& id) -> const crdt::Change* {
    for (const crdt::Change& c : node->pending_)
      if (c.id == id) return &c;
    return nullptr;
  });
  if (!n->keyring_->sealed()) {
    ASSIGN_OR_RETURN(Unlocked u, n->keyring_->OpenPlain());
    n->unlocked_ = std::move(u);
    n->InstallKeys();
  }
  {
    ASSIGN_OR_RETURN(store::ReadTxn r, n->store_->BeginRead());
    RETURN_IF_ERROR(n->trust_->Load(r, n->store_->dbi(store::Db::kTrust)));
    ASSIGN_OR_RETURN(auto hlc, r.txn().Get(n->store_->dbi(store::Db::kMeta), AsBytes("hlc")));
    if (hlc && hlc->size() == 8) n->clock_.Restore(GetBE64(hlc->data()));
  }
  if (!n->trust_->Find(n->cert_.node_id) && !options.store.read_only) {
    RETURN_IF_ERROR(n->store_->Write([&](store::Txn& txn) -> Status {
      return n->trust_->Add(txn, n->store_->dbi(store::Db::kTrust), AsBytes(cert_bytes)).status();
    }));
  }
  return n;
}

void Node::InstallKeys() {
  auto keys = std::make_shared<crdt::Replica::Keys>();
  keys->opener = std::make_shared<crdt::Opener>(unlocked_->secrets.audiences);
  keys->token_keys = unlocked_->secrets.token_keys;
  keys->token_master = unlocked_->secrets.token_master;
  replica_->SetKeys(std::move(keys));
}

Status Node::Login(std::string_view op, std::string_view passphrase) {
  ASSIGN_OR_RETURN(Unlocked u, keyring_->Unlock(op, passphrase));
  unlocked_ = std::move(u);
  op_ = std::string(op);
  InstallKeys();
  return Status::Ok();
}

Status Node::SealWrites(crdt::ChangeBody& body) {
  std::vector<crdt::Sealer::Item> items;
  for (size_t i = 0; i < body.writes.size(); ++i) {
    const crdt::Write& w = body.writes[i];
    if (w.kind != crdt::ValueKind::kText) continue;
    const model::FieldDef* f = ref_.catalog().Find(body.kind, w.field);
    if (!f) continue;  // Authorize names it
    std::vector<std::string> audiences = AudiencesFor(*f, body.community);
    if (audiences.empty()) continue;
    if (!unlocked_)
      return Status::Denied("writing " + f->label + " (" + f->key +
                            ", a personal or sensitive field) needs an operator's login");
    crdt::Sealer::Item item{i, std::move(audiences), {}};
    if (replica_->keys()) item.token_key = replica_->keys()->TokenKey(body.community);
    items.push_back(std::move(item));
  }
  if (items.empty()) return Status::Ok();
  if (!sealer_) {
    ASSIGN_OR_RETURN(sealer_, crdt::Sealer::Create());
  }
  return sealer_->Seal(body, items, audiences_.keys);
}

Id16 Node::NewEntityId() {
  if (entity_ids_) return entity_ids_();
  Id16 id = crypto::RandomArray<16>();
  uint64_t ms = NowMillis();
  for (int i = 0; i < 6; ++i) id[i] = static_cast<uint8_t>(ms >> (8 * (5 - i)));
  id[6] = static_cast<uint8_t>(0x70 | (id[6] & 0x0f));
  id[8] = static_cast<uint8_t>(0x80 | (id[8] & 0x3f));
  return id;
}

Status Node::SaveClock(store::Txn& txn) {
  Bytes v;
  PutBE64(v, clock_.last());
  return txn.Put(store_->dbi(store::Db::kMeta), AsBytes("hlc"), v);
}

Result<Id32> Node::Commit(store::Txn& txn, const crdt::EntityRef& e,
                          const std::vector<FieldEdit>& edits, const CommitOptions& o) {
  if (edits.empty()) return Status::Invalid("a change needs at least one write");
  crdt::ChangeBody body;
  body.community = e.community;
  body.entity = e.entity;
  body.kind = e.kind;
  body.hlc = clock_.Now();
  body.origin = cert_.node_id;
  body.op = !o.op.empty() ? o.op : !op_.empty() ? op_ : cert_.name;
  body.tool = o.tool;
  body.device = o.device;
  body.warnings = o.warnings;
  // Each write supersedes the field's current heads (what this node sees now).
  ASSIGN_OR_RETURN(crdt::EntityState state, replica_->Entity(txn, e));
  for (const FieldEdit& edit : edits) {
    const bool has_value = edit.value.has_value();
    crdt::Write w{edit.field,
                  has_value ? crdt::ValueKind::kText : crdt::ValueKind::kAbsent,
                  has_value ? *edit.value : std::string(),
                  {}};
    auto it = state.find(edit.field);
    if (it != state.end())
      for (const crdt::Head& h : it->second.heads) w.prev.push_back(h.id);
    if (w.prev.size() > crdt::kMaxPrev) w.prev.resize(crdt::kMaxPrev);
    body.writes.push_back(std::move(w));
  }
  RETURN_IF_ERROR(SealWrites(body));
  ASSIGN_OR_RETURN(crdt::Change c, crdt::PrepareChange(std::move(body), key_.suite()));
  crdt::Rejection why;
  auto ranks = replica_->Authorize(c, /*signature_checked=*/true, &why);
  if (!ranks.ok()) return ranks.status();
  if (o.defer_signature) {
    ASSIGN_OR_RETURN(crdt::Outcome outcome,
                     replica_->Apply(txn, c, *ranks, /*store_record=*/false));
    (void)outcome;
    if (!signer_) {
      // Leave one core to this (the writer) thread; it signs too while draining.
      unsigned cores = std::max(1u, std::thread::hardware_concurrency());
      signer_ = std::make_unique<SigningQueue>(key_, std::min(3u, cores - 1));
    }
    Id32 id = c.id;
    pending_.push_back(std::move(c));
    signer_->Submit(&pending_.back());
    RETURN_IF_ERROR(SaveClock(txn));
    return id;
  } else {
    RETURN_IF_ERROR(crdt::SignPrepared(c, key_));
    ASSIGN_OR_RETURN(crdt::Outcome outcome, replica_->Apply(txn, c, *ranks));
    (void)outcome;
  }
  RETURN_IF_ERROR(SaveClock(txn));
  return c.id;
}

Status Node::SignPending(store::Txn& txn) {
  if (pending_.empty()) return Status::Ok();
  Status st = signer_->Drain();
  if (!st.ok()) {
    pending_.clear();
    return st;
  }
  for (const crdt::Change& c : pending_) {
    st = replica_->StoreRecord(txn, c);
    if (!st.ok()) break;
  }
  pending_.clear();
  return st;
}

void Node::DiscardPending() {
  if (signer_) signer_->Discard();
  pending_.clear();
}

}  // namespace shequ::service
