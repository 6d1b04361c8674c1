// libFuzzer: the key block of sealed writes, opening a sealed value against it, the keyring file
// and the signed audience list (the decoders of the privacy layer).
#include <cstddef>
#include <cstdint>
#include <string>

#include "node/service/keyring.h"
#include "replication/crdt/seal.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  shequ::ByteView in(data, size);
  auto kb = shequ::crdt::ParseKeyBlock(in);
  if (kb.ok()) {
    // Every group is bounded; the ephemeral key and salt have their sizes.
    if (kb->groups.empty() || kb->groups.size() > shequ::crdt::kMaxGroups ||
        kb->group_ids.size() != kb->groups.size() || kb->ephemeral.size() != 32 ||
        kb->salt.size() != 16)
      __builtin_trap();
  }
  // Opening: the input split into a key block and a sealed value, with a fixed secret whose
  // audience tag the fuzzer can find; never more than a clean error.
  static shequ::crdt::Opener opener({{"c:150302001002", shequ::Bytes(32, 7)}});
  size_t cut = size / 2;
  std::string sealed(reinterpret_cast<const char*>(data) + cut, size - cut);
  (void)opener.Open(shequ::Id32{static_cast<uint8_t>(size)}, in.first(cut), shequ::Id16{},
                    shequ::model::EntityKind::kPerson, "name", sealed);
  (void)shequ::crdt::TokenOf(sealed);
  // The audience list: a signed JSON document (the signature fails first for almost all inputs,
  // so the parse is reached through a root key that never verifies; the JSON reader must hold).
  static auto root =
      shequ::crypto::PublicKey::FromRaw(shequ::crypto::Suite::kEd25519, shequ::Bytes(32, 1));
  if (root.ok())
    (void)shequ::service::AudienceDirectory::Decode(
        std::string_view(reinterpret_cast<const char*>(data), size), shequ::crypto::Suite::kEd25519,
        *root);
  return 0;
}
