#include "node/trust/certificate.h"

#include <algorithm>

#include "node/base/text.h"
#include "node/schema/capnp_io.h"
#include "node/schema/shequ.capnp.h"

namespace shequ::trust {

namespace {
constexpr std::string_view kCertTag = "shequ/cert/v1";
}

std::string_view NodeKindName(NodeKind k) {
  switch (k) {
    case NodeKind::kTerminal:
      return "terminal";
    case NodeKind::kCommunity:
      return "community";
    case NodeKind::kDistrict:
      return "district";
    case NodeKind::kDepartment:
      return "department";
    case NodeKind::kHub:
      return "hub";
    case NodeKind::kOffice:
      return "office";
  }
  return "?";
}

std::optional<NodeKind> ParseNodeKind(std::string_view s) {
  for (NodeKind k : kAllNodeKinds)
    if (NodeKindName(k) == s) return k;
  return std::nullopt;
}

std::string grant::Write(model::Department d) {
  return "write:" + std::string(model::DepartmentSlug(d));
}

std::vector<std::string> DefaultGrants(NodeKind kind, std::optional<model::Department> dept) {
  using namespace grant;
  auto s = [](std::string_view v) { return std::string(v); };
  switch (kind) {
    case NodeKind::kTerminal:
      return {s(kCollect), Write(model::Department::kCommunity), s(kRead)};
    case NodeKind::kCommunity:
      return {s(kCollect),  Write(model::Department::kCommunity),
              s(kRead),     s(kReview),
              s(kReveal),   s(kRelay),
              s(kTransfer), s(kExport)};
    case NodeKind::kDistrict:
      return {s(kRead), s(kAssess), s(kScore), s(kRelay), s(kExport)};
    case NodeKind::kDepartment: {
      std::vector<std::string> g = {s(kReadOwn), s(kReadBasic), s(kRelay), s(kReveal), s(kExport)};
      if (dept) g.insert(g.begin(), Write(*dept));
      return g;
    }
    case NodeKind::kHub:
      return {s(kRelay), s(kReadAggregate), s(kReadBasic), s(kScore), s(kAudit)};
    case NodeKind::kOffice:
      return {s(kEnrol), s(kRevoke), s(kAudit), s(kAssess), s(kReadAggregate), s(kRelay)};
  }
  return {};
}

bool Certificate::InScope(std::string_view community) const {
  for (const std::string& sc : scopes)
    if (StartsWith(community, sc)) return true;
  return false;
}

bool Certificate::Has(std::string_view g) const {
  return std::find(grants.begin(), grants.end(), g) != grants.end();
}

Bytes SigningMessage(std::string_view tag, const Id32& digest) {
  Bytes m(tag.begin(), tag.end());
  m.push_back(0);
  m.insert(m.end(), digest.begin(), digest.end());
  return m;
}

static Result<Bytes> EncodeBody(const Certificate& c) {
  return schema::BuildCanonical<schema::CertBody>("certificate", [&](schema::CertBody::Builder b) {
    b.setVersion(1);
    b.setCity(c.city);
    b.setNodeId(schema::DataOf(c.node_id));
    b.setKind(std::string(NodeKindName(c.kind)));
    b.setName(c.name);
    b.setDepartment(c.department ? std::string(model::DepartmentSlug(*c.department)) : "");
    b.setSuite(std::string(crypto::SuiteName(c.suite)));
    b.setSignKey(schema::DataOf(c.sign_key));
    b.setCurveKey(schema::DataOf(c.curve_key));
    auto scopes = b.initScopes(static_cast<unsigned>(c.scopes.size()));
    for (unsigned i = 0; i < c.scopes.size(); ++i) scopes.set(i, c.scopes[i]);
    auto grants = b.initGrants(static_cast<unsigned>(c.grants.size()));
    for (unsigned i = 0; i < c.grants.size(); ++i) grants.set(i, c.grants[i]);
    b.setNotBefore(c.not_before);
    b.setNotAfter(c.not_after);
    b.setSerial(c.serial);
  });
}

Status IssueCertificate(Certificate& cert, const crypto::SigningKey& root) {
  if (root.suite() != cert.suite)
    return Status::Invalid("certificate suite differs from the root's");
  ASSIGN_OR_RETURN(cert.body, EncodeBody(cert));
  ASSIGN_OR_RETURN(cert.signature,
                   root.Sign(SigningMessage(kCertTag, crypto::Digest(cert.suite, cert.body))));
  return Status::Ok();
}

Result<Bytes> Certificate::Encode() const {
  if (body.empty()) return Status::Invalid("certificate not issued");
  return schema::BuildFlat<schema::SignedCert>("signed certificate",
                                               [&](schema::SignedCert::Builder b) {
                                                 b.setBody(schema::DataOf(body));
                                                 b.setSignature(schema::DataOf(signature));
                                               });
}

Result<Certificate> DecodeCertificate(ByteView signed_cert) {
  Certificate c;
  schema::ReadLimits outer;
  outer.max_bytes = 16 << 10;
  RETURN_IF_ERROR(schema::ReadFlat<schema::SignedCert>(signed_cert, outer, "signed certificate",
                                                       [&](schema::SignedCert::Reader r) -> Status {
                                                         auto body = r.getBody();
                                                         auto sig = r.getSignature();
                                                         c.body.assign(body.begin(), body.end());
                                                         c.signature.assign(sig.begin(), sig.end());
                                                         return Status::Ok();
                                                       }));
  schema::ReadLimits inner;
  inner.max_bytes = 16 << 10;
  inner.canonical_segment = true;
  RETURN_IF_ERROR(schema::ReadFlat<schema::CertBody>(
      c.body, inner, "certificate body", [&](schema::CertBody::Reader b) -> Status {
        if (b.getVersion() != 1)
          return Status::Invalid("certificate version " + std::to_string(b.getVersion()));
        c.city = schema::StringOf(b.getCity());
        auto id = b.getNodeId();
        if (id.size() != 16) return Status::Corruption("certificate node id is not 16 bytes");
        std::copy(id.begin(), id.end(), c.node_id.begin());
        auto kind = ParseNodeKind(schema::StringOf(b.getKind()));
        if (!kind) return Status::Corruption("certificate has an unknown node kind");
        c.kind = *kind;
        c.name = schema::StringOf(b.getName());
        std::string dept = schema::StringOf(b.getDepartment());
        if (!dept.empty()) {
          c.department = model::ParseDepartment(dept);
          if (!c.department) return Status::Corruption("certificate names an unknown department");
        }
        auto suite = crypto::ParseSuite(schema::StringOf(b.getSuite()));
        if (!suite) return Status::Corruption("certificate has an unknown suite");
        c.suite = *suite;
        c.sign_key.assign(b.getSignKey().begin(), b.getSignKey().end());
        c.curve_key.assign(b.getCurveKey().begin(), b.getCurveKey().end());
        if (c.curve_key.size() != 32)
          return Status::Corruption("certificate CURVE key is not 32 bytes");
        for (auto s : b.getScopes()) c.scopes.push_back(schema::StringOf(s));
        for (auto g : b.getGrants()) c.grants.push_back(schema::StringOf(g));
        c.not_before = b.getNotBefore();
        c.not_after = b.getNotAfter();
        c.serial = b.getSerial();
        return Status::Ok();
      }));
  for (const std::string& s : c.scopes)
    if (s.empty() || s.size() > 12 || !AllDigits(s))
      return Status::Corruption("certificate scope " + Quote(s) + " is not a division-code prefix");
  return c;
}

Status VerifyCertificate(const Certificate& cert, const crypto::PublicKey& root) {
  if (cert.suite != root.suite())
    return Status::Denied("certificate of node " + cert.id_hex() + " uses suite " +
                          std::string(crypto::SuiteName(cert.suite)) + ", the city uses " +
                          std::string(crypto::SuiteName(root.suite())));
  if (!root.Verify(SigningMessage(kCertTag, crypto::Digest(cert.suite, cert.body)), cert.signature))
    return Status::Denied("certificate of node " + cert.id_hex() + " (" + cert.name +
                          ") is not signed by this city's root");
  return Status::Ok();
}

std::string City::ToText() const {
  return "shequ-city 1\ncode " + code + "\nname " + name + "\nsuite " +
         std::string(crypto::SuiteName(suite)) + "\nroot " + Hex(root_key) + "\n";
}

Result<City> City::FromText(std::string_view text) {
  City c;
  bool magic = false, have_root = false, have_suite = false;
  for (std::string_view line : Split(text, '\n')) {
    line = Trim(line);
    if (line.empty()) continue;
    size_t sp = line.find(' ');
    std::string_view k = line.substr(0, sp),
                     v = sp == std::string_view::npos ? "" : line.substr(sp + 1);
    if (k == "shequ-city") {
      magic = v == "1";
    } else if (k == "code") {
      c.code = std::string(v);
    } else if (k == "name") {
      c.name = std::string(v);
    } else if (k == "suite") {
      auto s = crypto::ParseSuite(v);
      if (!s) return Status::Invalid("city file: unknown suite " + Quote(v));
      c.suite = *s;
      have_suite = true;
    } else if (k == "root") {
      ASSIGN_OR_RETURN(c.root_key, Unhex(v));
      have_root = true;
    }
  }
  if (!magic || !have_root || !have_suite || c.code.empty())
    return Status::Invalid("not a shequ city file (needs shequ-city 1, code, suite, root)");
  return c;
}

}  // namespace shequ::trust
