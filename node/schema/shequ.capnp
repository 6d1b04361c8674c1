# Cap'n Proto schemas of what shequ signs, stores and sends. A signed object is always the
# canonical encoding of its body (single segment, no far pointers, as capnp::canonicalize writes
# it) plus a signature over a domain tag and the body's digest. See docs/FORMATS.md.
@0xa74981abf9fede10;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("shequ::schema");

enum Tool {
  card @0;      # the paper registration card, typed in
  platform @1;  # the desktop platform
  terminal @2;  # a mobile terminal (device data)
}

struct Write {
  field @0 :Text;          # catalog key of the entity's kind
  value :union {
    text @1 :Text;         # the value as text (CARD.md)
    absent @2 :Void;       # the field is cleared
    sealed @3 :Data;       # token(16) || group(1) || nonce(12) || AES-256-GCM ciphertext || tag(16);
                           # the group's key is wrapped in ChangeBody.keys (docs/FORMATS.md)
  }
  prev @4 :List(Data);     # 32-byte ids of the changes whose write to this field this supersedes
}

struct Note {
  field @0 :Text;          # "" for the entity as a whole
  code @1 :Text;           # validation code, e.g. "no_head"
  message @2 :Text;
}

struct ChangeBody {
  version @0 :UInt8;       # 1
  community @1 :Text;      # 12-digit division code: the replication scope
  entity @2 :Data;         # 16 bytes
  kind @3 :UInt8;          # model::EntityKind
  hlc @4 :UInt64;          # 48-bit ms << 16 | 16-bit counter
  origin @5 :Data;         # signer's node id, 16 bytes
  operator @6 :Text;       # the person at the keyboard
  tool @7 :Tool;
  device @8 :Text;         # device serial (SAM id) for terminal reads, else ""
  writes @9 :List(Write);
  warnings @10 :List(Note);
  keys @11 :Data;          # the key block of the sealed writes: "" when none (docs/FORMATS.md)
}

struct SignedChange {
  body @0 :Data;           # canonical ChangeBody
  signature @1 :Data;
}

struct CertBody {
  version @0 :UInt8;       # 1
  city @1 :Text;           # city division code, e.g. "1503"
  nodeId @2 :Data;         # 16 bytes
  kind @3 :Text;           # terminal, community, district, department, hub, office
  name @4 :Text;
  department @5 :Text;     # department slug for kind=department, else ""
  suite @6 :Text;          # "ed25519" or "sm2"
  signKey @7 :Data;        # raw public signing key
  curveKey @8 :Data;       # 32-byte CURVE (X25519) public key for ZeroMQ
  scopes @9 :List(Text);   # division-code prefixes
  grants @10 :List(Text);
  notBefore @11 :UInt64;   # ms since the epoch
  notAfter @12 :UInt64;
  serial @13 :UInt64;      # issue order, for display
}

struct SignedCert {
  body @0 :Data;           # canonical CertBody
  signature @1 :Data;      # by the city root
}

struct RevocationBody {
  version @0 :UInt8;
  nodeId @1 :Data;
  at @2 :UInt64;           # hlc from which the node's changes are refused
  reason @3 :Text;
}

struct SignedRevocation {
  body @0 :Data;
  signature @1 :Data;      # by the city root
}

# A bundle file is "SHEQU-BUNDLE-1\n" followed by chunks: a 4-byte little-endian length and a
# flat Cap'n Proto message holding one BundleChunk, each at most 4 MiB.
struct BundleChunk {
  certificates @0 :List(Data);  # SignedCert messages
  revocations @1 :List(Data);   # SignedRevocation messages
  changes @2 :List(Data);       # stored change records (body + signature)
}
