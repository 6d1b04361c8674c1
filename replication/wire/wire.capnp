# The replication protocol between two nodes: one Envelope per ZeroMQ frame. Every field is
# validated eagerly by replication/wire/codec.cpp, with the limits documented in docs/PROTOCOL.md;
# nothing here is signed (what is signed travels inside as opaque bytes: certificates and change
# records), and the transport (CURVE) authenticates and encrypts every frame.
@0x958d7b04b34c94ea;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("shequ::wire::proto");

# Opens a session (dialler to listener). The listener answers Accept, Busy or Error.
struct Hello {
  version @0 :UInt16;         # protocol version, 1
  certificate @1 :Data;       # the sender's signed certificate (trust::Certificate::Encode)
  scopes @2 :List(Text);      # division-code prefixes the sender wants to sync (1 to 12 digits)
  hlc @3 :UInt64;             # the sender's clock when sending, for skew detection
  fullSync @4 :Bool;          # the sender asks for a full reconciliation of every community
}

# The listener's half of the handshake: the same information about itself.
struct Accept {
  version @0 :UInt16;
  certificate @1 :Data;
  scopes @2 :List(Text);      # the scopes the listener will sync with this peer
  hlc @3 :UInt64;
  fullSync @4 :Bool;          # the full sync is granted
}

# The listener is at its limit of simultaneous full syncs: come back later.
struct Busy {
  retryAfterMs @0 :UInt32;
}

# Certificates the receiver may need to verify changes that follow (relayed changes), and the
# revocations of the trust set the receiver lacks.
struct Certificates {
  certificates @0 :List(Data);  # signed certificates
  revocations @1 :List(Data);   # signed revocations (trust::Revocation::Encode)
}

# One Negentropy V1 message (docs/RECONCILE.md) of the reconciliation of one community.
struct Reconcile {
  community @0 :Text;         # 12-digit division code
  message @1 :Data;
}

# Asks for the change records with these ids.
struct ChangeRequest {
  ids @0 :Data;               # 32-byte change ids, concatenated
}

# Change records (crdt::EncodeRecord) answering requests; each batch is acknowledged.
struct ChangeBatch {
  seq @0 :UInt64;             # per session and direction, increasing
  records @1 :List(Data);     # at most 1 MiB of records in all
  last @2 :Bool;              # no more batches follow for the requests received so far
  packed @3 :Data;            # instead of records: the records zstd-compressed (see Packed)
}

# Packed records (protocol version 2): one zstd frame, with its content size, of the records
# each preceded by its length as a LEB128 varint. A sender packs a batch when that is smaller;
# records and packed are never both set. The content is bounded like records (1 MiB of records,
# 8192 of them), so a receiver never inflates more than 1 MiB + 24 KiB.

struct Ack {
  seq @0 :UInt64;             # the ChangeBatch acknowledged
  applied @1 :UInt32;
  duplicate @2 :UInt32;
  rejected @3 :UInt32;
}

# New changes, sent as soon as they are made while a session is up. Not acknowledged: a lost
# push is found by the next reconciliation.
struct Push {
  records @0 :List(Data);
  packed @1 :Data;            # as in ChangeBatch
}

# The sender has finished its part of the full sync; from now on the session only pushes.
struct SyncDone {
  sent @0 :UInt64;            # change records the sender sent in this sync
  received @1 :UInt64;        # change records it received and acknowledged
}

enum ErrorCode {
  badMessage @0;              # undecodable or unexpected in this state
  notEnrolled @1;             # certificate unknown to this city, or its CURVE key does not match
  revoked @2;
  outOfScope @3;              # no community in common, or a change outside the scopes
  busy @4;
  tooLarge @5;
  internal @6;
  protocolVersion @7;         # text names the versions the sender speaks
  expired @8;                 # certificate outside its validity
}

# The sender ends the session after this message.
struct Error {
  code @0 :ErrorCode;
  text @1 :Text;
}

struct Ping {
  token @0 :UInt64;
}

struct Pong {
  token @0 :UInt64;           # the Ping's token
}

struct Envelope {
  session @0 :Data;           # 16 bytes, chosen at random by the dialler for its Hello
  body :union {
    hello @1 :Hello;
    accept @2 :Accept;
    busy @3 :Busy;
    certificates @4 :Certificates;
    reconcile @5 :Reconcile;
    changeRequest @6 :ChangeRequest;
    changeBatch @7 :ChangeBatch;
    ack @8 :Ack;
    push @9 :Push;
    syncDone @10 :SyncDone;
    error @11 :Error;
    ping @12 :Ping;
    pong @13 :Pong;
  }
}
