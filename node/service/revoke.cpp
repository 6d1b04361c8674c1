#include "node/service/revoke.h"

#include "node/base/file.h"
#include "node/base/text.h"
#include "node/base/time.h"
#include "replication/crdt/hlc.h"

namespace shequ::service {

namespace {

bool TwoDigits(std::string_view s, size_t at, int max, int* out) {
  if (at + 2 > s.size() || !AllDigits(s.substr(at, 2))) return false;
  *out = (s[at] - '0') * 10 + (s[at + 1] - '0');
  return *out <= max;
}

// The root key as `shequ city init` wrote it.
Result<crypto::SigningKey> ReadRootKey(const std::string& city_dir, const trust::City& city) {
  std::string path = city_dir + "/root.key";
  auto text = ReadFile(path);
  if (!text.ok()) return text.status().With("the city root key is needed to revoke a node");
  std::string priv_hex;
  bool magic = false;
  for (std::string_view line : Split(*text, '\n')) {
    line = Trim(line);
    if (line == "shequ-root-key 1") magic = true;
    if (StartsWith(line, "private ")) priv_hex = std::string(Trim(line.substr(8)));
  }
  if (!magic || priv_hex.empty())
    return Status::Invalid(path + " is not a shequ root key (shequ-root-key 1, private)");
  ASSIGN_OR_RETURN(Bytes priv, Unhex(priv_hex));
  ASSIGN_OR_RETURN(crypto::SigningKey root, crypto::SigningKey::FromPrivate(city.suite, priv));
  if (root.public_raw() != city.root_key)
    return Status::Invalid(path + " does not match " + city_dir + "/city.pub");
  return root;
}

}  // namespace

Result<uint64_t> ParseTime(std::string_view text) {
  text = Trim(text);
  if (text == "now") return NowMillis();
  auto bad = [&] {
    return Status::Invalid("time " + Quote(text) +
                           " is not YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS] (UTC+8) or now");
  };
  if (text.size() < 10) return bad();
  auto date = Date::Parse(text.substr(0, 10));
  if (!date) return bad();
  int h = 0, m = 0, sec = 0;
  if (text.size() > 10) {
    if (text[10] != ' ' && text[10] != 'T') return bad();
    if (!TwoDigits(text, 11, 23, &h) || text.size() < 16 || text[13] != ':' ||
        !TwoDigits(text, 14, 59, &m))
      return bad();
    if (text.size() > 16 &&
        (text[16] != ':' || text.size() != 19 || !TwoDigits(text, 17, 59, &sec)))
      return bad();
    if (text.size() != 16 && text.size() != 19) return bad();
  }
  int64_t local = date->DaysSinceEpoch() * 86400 + h * 3600 + m * 60 + sec;
  int64_t utc = local - 8 * 3600;
  if (utc <= 0) return Status::Invalid("time " + Quote(text) + " is before 1970");
  return static_cast<uint64_t>(utc) * 1000;
}

Result<Id16> ResolveNodeId(const std::string& city_dir, std::string_view text) {
  text = Trim(text);
  std::string hex;
  for (char c : text) hex.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (hex.size() == 32) return UnhexFixed<16>(hex);
  if (hex.size() < 6 || hex.size() > 32 ||
      hex.find_first_not_of("0123456789abcdef") != std::string::npos)
    return Status::Invalid("node id " + Quote(text) +
                           " is neither 32 hex digits nor a prefix of at least 6");
  auto log = ReadFile(city_dir + "/issued.log");
  if (!log.ok()) return log.status().With("looking up node " + hex);
  std::vector<std::string> found;
  for (std::string_view line : Split(*log, '\n')) {
    std::vector<std::string_view> cols = Split(line, '\t');
    if (cols.size() > 1 && cols[1].size() == 32 && StartsWith(cols[1], hex))
      found.emplace_back(cols[1]);
  }
  if (found.empty())
    return Status::NotFound("no node issued by " + city_dir + " has an id starting with " + hex);
  if (found.size() > 1)
    return Status::Invalid("node id prefix " + hex + " matches " + std::to_string(found.size()) +
                           " nodes; give more digits");
  return UnhexFixed<16>(found[0]);
}

Result<trust::Revocation> IssueRevocation(const std::string& city_dir, const RevokeOptions& o) {
  ASSIGN_OR_RETURN(trust::City city, ReadCity(city_dir));
  ASSIGN_OR_RETURN(crypto::SigningKey root, ReadRootKey(city_dir, city));
  trust::Revocation rev;
  rev.node_id = o.node;
  rev.reason = o.reason;
  uint64_t at_ms = o.at_ms ? o.at_ms : NowMillis();
  rev.at = crdt::MakeHlc(at_ms, 0);
  RETURN_IF_ERROR(trust::IssueRevocation(rev, root));
  std::string log_path = city_dir + "/revoked.log";
  auto log = ReadFile(log_path);
  std::string line = rev.node_hex() + "\t" + FormatMillis(at_ms) + "\t" +
                     FormatMillis(NowMillis()) + "\t" + rev.reason + "\n";
  RETURN_IF_ERROR(WriteFileAtomic(log_path, (log.ok() ? *log : std::string()) + line, 0600));
  return rev;
}

Result<crdt::Replica::RevocationOutcome> ImportRevocation(Node& node, ByteView signed_revocation) {
  crdt::Replica::RevocationOutcome out;
  RETURN_IF_ERROR(node.store().Write([&](store::Txn& txn) -> Status {
    ASSIGN_OR_RETURN(out, node.replica().AddRevocation(txn, signed_revocation));
    return Status::Ok();
  }));
  return out;
}

}  // namespace shequ::service
