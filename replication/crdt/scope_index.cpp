#include "replication/crdt/scope_index.h"

#include <algorithm>

#include "replication/crdt/keys.h"

namespace shequ::crdt {

using reconcile::BlockIndex;
using reconcile::IdSum;
using reconcile::Item;
using store::Db;

namespace {

constexpr size_t kItemKeyLen = kCommunityLen + 8 + 32;

bool HasPrefix(ByteView key, ByteView prefix) {
  return key.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), key.begin());
}

Item ItemOfKey(ByteView key) {  // community | hlc | id
  Item it;
  it.timestamp = GetBE64(key.data() + kCommunityLen);
  std::copy(key.begin() + kCommunityLen + 8, key.begin() + kItemKeyLen, it.id.begin());
  return it;
}

Bytes BlockValue(size_t count, const IdSum& sum) {
  Bytes v;
  PutVarint(v, count);
  Id32 b = sum.Bytes();
  Append(v, b);
  return v;
}

Status ParseBlockValue(ByteView v, size_t* count, IdSum* sum) {
  ByteReader r(v);
  uint64_t n = 0;
  ByteView s;
  if (!r.Varint(&n) || n == 0 || !r.Fixed(32, &s) || !r.done())
    return Status::Corruption("scope block value");
  *count = static_cast<size_t>(n);
  Id32 b;
  std::copy(s.begin(), s.end(), b.begin());
  *sum = IdSum::FromBytes(b);
  return Status::Ok();
}

}  // namespace

Status ScopeIndexInsert(store::Store& store, store::Txn& txn, std::string_view community,
                        uint64_t hlc, const Id32& id) {
  MDB_dbi blocks = store.dbi(Db::kScopeBlocks);
  Bytes key = ScopeKey(community, hlc, id);
  Bytes prefix = ToBytes(community);
  ASSIGN_OR_RETURN(store::Cursor cur, store::Cursor::Open(txn, blocks));
  // The block holding the item is the last one whose first item is not after it; an item before
  // every block of its community becomes the first block's new first item.
  bool found = cur.Seek(key);
  if (found && std::equal(key.begin(), key.end(), cur.key().begin(), cur.key().end()))
    return Status::Internal("change already indexed");
  bool have_block = false;
  if (found) {
    if (cur.Prev() && HasPrefix(cur.key(), prefix)) have_block = true;
  } else if (cur.Last() && HasPrefix(cur.key(), prefix)) {
    have_block = true;
  }
  RETURN_IF_ERROR(cur.status());
  Bytes block_key;
  size_t count = 0;
  IdSum sum;
  if (have_block) {
    block_key.assign(cur.key().begin(), cur.key().end());
    RETURN_IF_ERROR(ParseBlockValue(cur.value(), &count, &sum));
  } else {
    // Before every block: take over the community's first block, if any.
    if (cur.Seek(prefix) && HasPrefix(cur.key(), prefix)) {
      Bytes old(cur.key().begin(), cur.key().end());
      RETURN_IF_ERROR(ParseBlockValue(cur.value(), &count, &sum));
      RETURN_IF_ERROR(txn.Del(blocks, old).status());
    }
    block_key = key;
  }
  ++count;
  sum.Add(id);
  if (count <= 2 * kScopeBlockSize) return txn.Put(blocks, block_key, BlockValue(count, sum));
  // Split: the first kScopeBlockSize items stay, the rest start a new block.
  ASSIGN_OR_RETURN(store::Cursor items, store::Cursor::Open(txn, store.dbi(Db::kByScope)));
  IdSum first_sum;
  bool ok = items.Seek(block_key);
  for (size_t i = 0; i < kScopeBlockSize && ok; ++i, ok = items.Next()) {
    if (!HasPrefix(items.key(), prefix) || items.key().size() != kItemKeyLen)
      return Status::Corruption("scope block runs past its community");
    first_sum.Add(ItemOfKey(items.key()).id);
  }
  if (!ok || !HasPrefix(items.key(), prefix))
    return Status::Corruption("scope block shorter than its count");
  Bytes second_key(items.key().begin(), items.key().end());
  IdSum second_sum = sum;
  second_sum.Subtract(first_sum);
  RETURN_IF_ERROR(txn.Put(blocks, block_key, BlockValue(kScopeBlockSize, first_sum)));
  return txn.Put(blocks, second_key, BlockValue(count - kScopeBlockSize, second_sum));
}

Status ScopeIndexRemove(store::Store& store, store::Txn& txn, std::string_view community,
                        uint64_t hlc, const Id32& id) {
  MDB_dbi blocks = store.dbi(Db::kScopeBlocks);
  Bytes key = ScopeKey(community, hlc, id);
  Bytes prefix = ToBytes(community);
  ASSIGN_OR_RETURN(store::Cursor cur, store::Cursor::Open(txn, blocks));
  // The block holding the item: the one it starts, or the last one starting before it.
  bool found = cur.Seek(key);
  bool starts_block =
      found && std::equal(key.begin(), key.end(), cur.key().begin(), cur.key().end());
  bool have_block = starts_block;
  if (!starts_block) {
    if (found) {
      have_block = cur.Prev() && HasPrefix(cur.key(), prefix);
    } else {
      have_block = cur.Last() && HasPrefix(cur.key(), prefix);
    }
  }
  RETURN_IF_ERROR(cur.status());
  if (!have_block)
    return Status::Corruption("change " + Hex(id).substr(0, 16) + " of community " +
                              std::string(community) + " is in no scope block");
  Bytes block_key(cur.key().begin(), cur.key().end());
  size_t count = 0;
  IdSum sum;
  RETURN_IF_ERROR(ParseBlockValue(cur.value(), &count, &sum));
  --count;
  sum.Subtract(id);
  if (!starts_block) return txn.Put(blocks, block_key, BlockValue(count, sum));
  RETURN_IF_ERROR(txn.Del(blocks, block_key).status());
  if (count == 0) return Status::Ok();
  // The block now starts at the item that followed the removed one.
  ASSIGN_OR_RETURN(store::Cursor items, store::Cursor::Open(txn, store.dbi(Db::kByScope)));
  if (!items.Seek(key) || !HasPrefix(items.key(), prefix) || items.key().size() != kItemKeyLen) {
    RETURN_IF_ERROR(items.status());
    return Status::Corruption("scope block of community " + std::string(community) +
                              " counts more items than exist");
  }
  Bytes next(items.key().begin(), items.key().end());
  return txn.Put(blocks, next, BlockValue(count, sum));
}

Result<std::unique_ptr<CommunityStorage>> CommunityStorage::Open(store::Store& store,
                                                                 const store::Txn& txn,
                                                                 std::string_view community) {
  if (community.size() != kCommunityLen) return Status::Invalid("community must have 12 digits");
  std::unique_ptr<CommunityStorage> s(new CommunityStorage());
  s->source_.store = &store;
  s->source_.txn = &txn;
  s->source_.community = std::string(community);
  s->source_.index = &s->index_;
  std::vector<BlockIndex::StoredBlock> blocks;
  Bytes prefix = ToBytes(community);
  ASSIGN_OR_RETURN(store::Cursor cur, store::Cursor::Open(txn, store.dbi(Db::kScopeBlocks)));
  for (bool ok = cur.Seek(prefix); ok && HasPrefix(cur.key(), prefix); ok = cur.Next()) {
    if (cur.key().size() != kItemKeyLen) return Status::Corruption("scope block key");
    BlockIndex::StoredBlock b;
    b.first = ItemOfKey(cur.key());
    RETURN_IF_ERROR(ParseBlockValue(cur.value(), &b.count, &b.sum));
    s->source_.count += b.count;
    blocks.push_back(b);
  }
  RETURN_IF_ERROR(cur.status());
  s->blocks_loaded_ = blocks.size();
  RETURN_IF_ERROR(s->index_.Load(blocks));
  return s;
}

Result<Item> CommunityStorage::Source::ItemAt(size_t i) {
  Item out;
  RETURN_IF_ERROR(Scan(i, i + 1, [&](const Item& item, size_t) {
    out = item;
    return false;
  }));
  return out;
}

Status CommunityStorage::Source::Scan(size_t begin, size_t end,
                                      const reconcile::Storage::ItemFn& fn) {
  if (begin > end || end > count) return Status::Invalid("scan past the community's items");
  if (begin == end) return Status::Ok();
  BlockIndex::Location loc = index->Locate(begin);
  ASSIGN_OR_RETURN(store::Cursor cur, store::Cursor::Open(*txn, store->dbi(Db::kByScope)));
  Bytes start = ScopeKey(community, loc.block_first.timestamp, loc.block_first.id);
  bool ok = cur.Seek(start);
  for (size_t i = 0; i < loc.offset && ok; ++i) ok = cur.Next();
  Bytes prefix = ToBytes(community);
  for (size_t i = begin; i < end; ++i) {
    if (!ok || !HasPrefix(cur.key(), prefix) || cur.key().size() != kItemKeyLen)
      return Status::Corruption("by_scope has fewer items than its blocks count");
    ++reads;
    if (!fn(ItemOfKey(cur.key()), i)) break;
    ok = cur.Next();
  }
  return cur.status();
}

Status CheckScopeIndex(store::Store& store, const store::Txn& txn) {
  ASSIGN_OR_RETURN(store::Cursor blocks, store::Cursor::Open(txn, store.dbi(Db::kScopeBlocks)));
  ASSIGN_OR_RETURN(store::Cursor items, store::Cursor::Open(txn, store.dbi(Db::kByScope)));
  bool bo = blocks.First(), io = items.First();
  while (bo) {
    Bytes bkey(blocks.key().begin(), blocks.key().end());
    size_t count = 0;
    IdSum sum;
    RETURN_IF_ERROR(ParseBlockValue(blocks.value(), &count, &sum));
    if (!io || !std::equal(bkey.begin(), bkey.end(), items.key().begin(), items.key().end()))
      return Status::Corruption("scope block " + Hex(bkey).substr(0, 40) +
                                " does not start at an item");
    ByteView community(bkey.data(), kCommunityLen);
    IdSum got;
    for (size_t i = 0; i < count; ++i) {
      if (!io || !HasPrefix(items.key(), community))
        return Status::Corruption("scope block " + Hex(bkey).substr(0, 40) +
                                  " counts more items than exist");
      got.Add(ItemOfKey(items.key()).id);
      io = items.Next();
    }
    if (!(got == sum))
      return Status::Corruption("scope block " + Hex(bkey).substr(0, 40) + " has a wrong sum");
    bo = blocks.Next();
    // The next item must start the next block (no item outside every block).
    if (io && (!bo || !std::equal(blocks.key().begin(), blocks.key().end(), items.key().begin(),
                                  items.key().end())))
      return Status::Corruption("change " + Hex(items.key()).substr(0, 40) +
                                " is in no scope block");
  }
  if (io) return Status::Corruption("changes exist but no scope block covers them");
  RETURN_IF_ERROR(blocks.status());
  return items.status();
}

}  // namespace shequ::crdt
