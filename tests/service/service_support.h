// Cards and helpers for the service tests.
#pragma once

#include <string>
#include <vector>

#include "node/model/card.h"
#include "node/service/bundle.h"
#include "node/service/cards.h"
#include "node/service/views.h"
#include "tests/support/testbed.h"

namespace shequ::testing {

constexpr char kHeping[] = "150302001002";  // 和平社区
inline const Date kToday{2026, 11, 26};

// A valid family: 户主 张伟 (1980, male), 配偶 李娜 (1982, female), 子 张小明 (2012).
inline std::string FamilyCard(
    const std::string& card_no = "HBW-2026-000123",
    const std::string& head_id = "150302198001010015",
    const std::string& address = "海勃湾区凤凰岭街道和平社区3栋2单元401") {
  return R"({"card_no":")" + card_no + R"(","community":"150302001002",
    "household":{"address":")" +
         address +
         R"(","household_type":"1","hukou_type":"9","housing":"1","phone":"13904730001","grid":"HP-03"},
    "members":[
      {"name":"张伟","gender":"1","ethnicity":"01","birth_date":"1980-01-01","doc_type":"1","id_number":")" +
         head_id +
         R"(","relationship":"02","residence_status":"1","marital":"20","education":"21","employment":"1"},
      {"name":"李娜","gender":"2","ethnicity":"01","birth_date":"1982-05-03","doc_type":"1","id_number":"150302198205030026","relationship":"10","residence_status":"1","marital":"20","education":"31","employment":"2"},
      {"name":"张小明","gender":"1","ethnicity":"01","birth_date":"2012-09-01","doc_type":"1","id_number":"150302201209010019","relationship":"22","residence_status":"1","education":"70"}
    ],
    "visit":{"date":"2026-11-20","result":"1","collector":"王芳"}})";
}

inline std::vector<model::ParsedCard> Parse(const std::string& json) {
  auto cards = model::ParseCards(json);
  if (!cards.ok()) throw std::runtime_error(cards.status().ToString());
  return std::move(*cards);
}

inline std::vector<service::CardResult> Import(service::Node& node, const std::string& json,
                                               crdt::Tool tool = crdt::Tool::kCard) {
  std::vector<service::CardResult> out;
  service::ImportOptions o;
  o.tool = tool;
  o.today = kToday;
  Status st = service::ImportCards(node, Parse(json), o,
                                   [&](const service::CardResult& r) { out.push_back(r); });
  if (!st.ok()) throw std::runtime_error(st.ToString());
  return out;
}

inline std::string Digest(service::Node& node, const std::string& scope = "") {
  auto r = node.store().BeginRead();
  return Hex(*node.replica().StateDigest(*r, scope));
}

inline size_t Count(service::Node& node, store::Db db) { return *node.store().Count(db); }

inline crdt::EntityRef PersonById(service::Node& node, const std::string& id) {
  auto r = node.store().BeginRead();
  auto refs = node.replica().FindByIdNumber(*r, id);
  if (!refs.ok() || refs->size() != 1) throw std::runtime_error("no unique person " + id);
  return (*refs)[0];
}

inline service::EntityView View(service::Node& node, const crdt::EntityRef& e) {
  auto r = node.store().BeginRead();
  // What is stored, unmasked (masking is tested on its own in tests/privacy).
  service::ViewOptions vo;
  vo.unmasked = true;
  auto v = service::ViewEntity(node, *r, e, vo);
  if (!v.ok()) throw std::runtime_error(v.status().ToString());
  return std::move(*v);
}

// Carries every change of `from` in scope to `to` through a bundle file, as on a USB stick.
inline service::ImportStats Carry(service::Node& from, service::Node& to, const std::string& path,
                                  const std::string& scope = "") {
  auto ex = service::ExportBundle(from, path, scope);
  if (!ex.ok()) throw std::runtime_error(ex.status().ToString());
  auto im = service::ImportBundle(to, path);
  if (!im.ok()) throw std::runtime_error(im.status().ToString());
  return std::move(*im);
}

}  // namespace shequ::testing
