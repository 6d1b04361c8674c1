#include "tools/gen/gen.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <unordered_set>

#include "node/base/bytes.h"
#include "node/base/text.h"
#include "node/model/id_number.h"
#include "node/model/validate.h"
#include "tools/gen/names.h"
#include "tools/gen/rng.h"

namespace shequ::gen {

namespace {

using model::Card;
using model::Division;
using model::FieldValues;

// --- small helpers ---------------------------------------------------------------------------

Date AddDays(const Date& d, int64_t n) { return Date::FromDays(d.DaysSinceEpoch() + n); }

Date YearsBefore(const Date& d, int years) {
  Date r{d.year - years, d.month, d.day};
  if (!Date::Valid(r.year, r.month, r.day)) r.day = 28;  // 29 February
  return r;
}

// A birth date on which a person is exactly `age` on `on`.
Date BirthForAge(Rng& rng, const Date& on, int age) {
  Date hi = YearsBefore(on, age);
  Date lo = AddDays(YearsBefore(on, age + 1), 1);
  int64_t span = hi.DaysSinceEpoch() - lo.DaysSinceEpoch();
  return AddDays(lo, static_cast<int64_t>(rng.Below(static_cast<uint64_t>(span) + 1)));
}

std::string Compact(const Date& d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d", d.year, d.month, d.day);
  return buf;
}

std::string Digits(Rng& rng, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s.push_back(static_cast<char>('0' + rng.Below(10)));
  return s;
}

std::string Pad(int v, int width) {
  std::string s = std::to_string(v);
  return s.size() < static_cast<size_t>(width) ? std::string(width - s.size(), '0') + s : s;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string ReplaceSuffix(std::string s, std::string_view from, std::string_view to) {
  if (EndsWith(s, from)) s = s.substr(0, s.size() - from.size()) + std::string(to);
  return s;
}

template <size_t N>
std::string_view PickWeighted(Rng& rng, const std::pair<const char*, int> (&items)[N]) {
  int weights[N];
  for (size_t i = 0; i < N; ++i) weights[i] = items[i].second;
  return items[rng.Weighted(weights)].first;
}

template <size_t N>
const char* PickOne(Rng& rng, const char* const (&items)[N]) {
  return items[rng.Below(N)];
}

std::string Mobile(Rng& rng) {
  static const char* const kPrefixes[] = {
      "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
      "153", "155", "156", "157", "158", "159", "180", "181", "182", "183", "185", "186",
      "187", "188", "189", "176", "177", "178", "173", "147", "199", "198", "166", "175"};
  return std::string(PickOne(rng, kPrefixes)) + Digits(rng, 8);
}

std::string Landline(Rng& rng) {
  static const char kFirst[] = {'2', '3', '4', '6', '7'};
  return std::string("0473-") + kFirst[rng.Below(5)] + Digits(rng, 6);
}

// --- reference facts used to dress the data --------------------------------------------------

struct Place {
  const char* code;
  const char* name;
  int weight;
};

// Where Wuhai's migrants come from (codes as on ID numbers; 152701 is the pre-2001 code of
// Dongsheng, still on many numbers).
const Place kOrigins[] = {
    {"150202", "内蒙古自治区包头市东河区", 40},
    {"150203", "内蒙古自治区包头市昆都仑区", 30},
    {"150204", "内蒙古自治区包头市青山区", 20},
    {"150207", "内蒙古自治区包头市九原区", 10},
    {"150602", "内蒙古自治区鄂尔多斯市东胜区", 25},
    {"150624", "内蒙古自治区鄂尔多斯市鄂托克旗", 25},
    {"150623", "内蒙古自治区鄂尔多斯市鄂托克前旗", 15},
    {"152701", "内蒙古自治区伊克昭盟东胜市", 8},
    {"150802", "内蒙古自治区巴彦淖尔市临河区", 30},
    {"150821", "内蒙古自治区巴彦淖尔市五原县", 15},
    {"150822", "内蒙古自治区巴彦淖尔市磴口县", 15},
    {"152921", "内蒙古自治区阿拉善盟阿拉善左旗", 30},
    {"152922", "内蒙古自治区阿拉善盟阿拉善右旗", 8},
    {"150102", "内蒙古自治区呼和浩特市新城区", 10},
    {"640202", "宁夏回族自治区石嘴山市大武口区", 50},
    {"640205", "宁夏回族自治区石嘴山市惠农区", 40},
    {"640221", "宁夏回族自治区石嘴山市平罗县", 35},
    {"640104", "宁夏回族自治区银川市兴庆区", 20},
    {"640302", "宁夏回族自治区吴忠市利通区", 15},
    {"640402", "宁夏回族自治区固原市原州区", 10},
    {"620102", "甘肃省兰州市城关区", 10},
    {"620502", "甘肃省天水市秦州区", 8},
    {"620421", "甘肃省白银市靖远县", 10},
    {"620602", "甘肃省武威市凉州区", 10},
    {"610103", "陕西省西安市碑林区", 8},
    {"610802", "陕西省榆林市榆阳区", 15},
    {"610824", "陕西省榆林市靖边县", 8},
    {"140106", "山西省太原市迎泽区", 8},
    {"141102", "山西省吕梁市离石区", 8},
    {"140602", "山西省朔州市朔城区", 8},
    {"130104", "河北省石家庄市桥西区", 6},
    {"130682", "河北省保定市定州市", 5},
    {"410105", "河南省郑州市金水区", 8},
    {"411302", "河南省南阳市宛城区", 6},
    {"412726", "河南省周口市郸城县", 4},
    {"370102", "山东省济南市历下区", 4},
    {"371302", "山东省临沂市兰山区", 4},
    {"510107", "四川省成都市武侯区", 4},
    {"511302", "四川省南充市顺庆区", 3},
    {"500101", "重庆市万州区", 3},
    {"230102", "黑龙江省哈尔滨市道里区", 2},
    {"220102", "吉林省长春市南关区", 2},
    {"210102", "辽宁省沈阳市和平区", 2},
    {"340102", "安徽省合肥市瑶海区", 2},
    {"320102", "江苏省南京市玄武区", 1},
};

// Where the city's builders of the 1950s-70s came from (old residents keep those numbers).
const char* const kOldHomeCodes[] = {"130104", "130682", "370102", "371302", "410105",
                                     "411302", "140106", "141102", "620102", "610103",
                                     "640202", "150202", "211302", "230102"};

const char* const kCompounds[] = {
    "阳光小区",   "金地花园",   "铁路小区", "矿务局小区", "电厂小区", "华盛苑",   "丽景花园",
    "佳和园",     "人民路小区", "黄河花园", "滨河名苑",   "银河小区", "幸福家园", "康乐园",
    "紫薇苑",     "福苑小区",   "锦绣家园", "凤凰城",     "和平小区", "团结小区", "化工小区",
    "煤机厂小区", "邮电小区",   "税务小区", "教育小区",   "卫生小区", "建材小区", "桃源小区",
    "望海家园",   "金裕花园",   "明珠花园", "天和园"};

const char* const kEmployers[] = {"乌海能源公司",     "神华乌海能源",     "乌海化工",
                                  "君正化工",         "东源科技",         "黄河化工",
                                  "乌海市人民医院",   "乌海职业技术学院", "乌达煤矿",
                                  "海南区公乌素煤矿", "西部煤业",         "包钢万腾钢铁"};

const char* const kJobsEmployed[] = {"工人",         "教师",     "医生",   "护士",     "公务员",
                                     "事业单位职员", "会计",     "司机",   "矿工",     "化工操作工",
                                     "电工",         "焊工",     "技术员", "销售",     "保安",
                                     "厨师",         "银行职员", "工程师", "车间主任", "文员"};
const char* const kJobsFlexible[] = {"快递员",     "外卖骑手", "保洁", "装修工", "网约车司机",
                                     "家政服务员", "建筑工人", "零工", "电商",   "货车司机"};
const char* const kJobsOwn[] = {"个体",       "商户",   "小超市经营", "餐馆经营",
                                "理发店经营", "修理铺", "服装店经营", "水果店经营"};
const char* const kJobsRural[] = {"农民", "农民", "农民", "养殖户", "菜农", "葡萄种植户"};

// First letters of the Pinyin of the characters in community and village names (for grid codes
// like HP-03 of 和平社区); a character not listed is skipped.
constexpr std::string_view kInitials =
    "和H平P公G园Y长C青Q墨M香X梨L新X城C蓝L天T山S东D环H路L黄H河H北B狮S佳J苑Y清Q泉Q南N海H谐X"
    "康K乐L幸X福F华H达D滨B水S盛S世S镇Z白B楼L中Z源Y大D庆Q金J裕Y温W馨X依Y林L千Q钢G地D丰F王W"
    "元Y团T结J巴B音Y乌W素S桥Q纪J西X来L峰F工G业Y祥X建J设S小X利L民M羊Y井J四S一Y棵K树S万W"
    "亩M滩T兴X渡D口K曙S光G赛S汗H卓Z至Z骆L驼T矿K区Q富F强Q胡H杨Y明M铁T育Y红H爱A安A居J先X"
    "锋F茨C复F梅M振Z胜S泽Z";

std::string Initials(std::string_view name) {
  std::vector<char32_t> table, chars;
  DecodeUtf8(kInitials, &table);
  DecodeUtf8(name, &chars);
  std::string out;
  for (char32_t c : chars) {
    for (size_t i = 0; i + 1 < table.size(); i += 2) {
      if (table[i] == c) {
        out.push_back(static_cast<char>(table[i + 1]));
        break;
      }
    }
    if (out.size() == 4) break;
  }
  return out.empty() ? "G" : out;
}

// --- households ------------------------------------------------------------------------------

struct Unit {
  const Division* division = nullptr;
  std::string district_code, district_name, town_short, unit_short, prefix, grid_prefix;
  std::string urban_rural;
  bool village = false;    // 村: addresses by 组 and 号
  bool bungalows = false;  // town, mining and industrial communities: many 排/号 addresses
  int grids = 1;
  std::vector<std::string> compounds, collectors;
};

enum class Role { kHead, kSpouse, kChild, kChildSpouse, kGrandchild, kParent, kMember };

struct Person {
  Role role = Role::kHead;
  int gender = 1;
  int age = 0;
  Date birth;
  std::string rel, ethnicity, surname, name;
  int father = -1, mother = -1;  // indexes in the household, when they live there
  bool married_child = false;
};

// The shape of a family household.
struct Plan {
  bool spouse;
  int kids, parents;
  bool married_kid;
  int grandkids;
  int weight;
};

// By size 1..7: couple, kids, parents of the head or the spouse, a married child with spouse and
// grandchildren.
const std::vector<Plan> kPlans[8] = {
    {},
    {{false, 0, 0, false, 0, 1}},
    {{true, 0, 0, false, 0, 62}, {false, 1, 0, false, 0, 25}, {false, 0, 1, false, 0, 13}},
    {{true, 1, 0, false, 0, 72},
     {true, 0, 1, false, 0, 15},
     {false, 2, 0, false, 0, 9},
     {false, 1, 1, false, 0, 4}},
    {{true, 2, 0, false, 0, 55},
     {true, 1, 1, false, 0, 25},
     {true, 1, 0, true, 0, 12},
     {true, 0, 2, false, 0, 8}},
    {{true, 1, 2, false, 0, 30},
     {true, 1, 0, true, 1, 28},
     {true, 3, 0, false, 0, 17},
     {true, 2, 1, false, 0, 15},
     {true, 2, 0, true, 0, 10}},
    {{true, 1, 0, true, 2, 45},
     {true, 2, 2, false, 0, 25},
     {true, 2, 0, true, 1, 15},
     {true, 4, 0, false, 0, 15}},
    {{true, 2, 0, true, 2, 50}, {true, 1, 0, true, 3, 30}, {true, 3, 2, false, 0, 20}},
};

// Husband's age minus wife's age.
int SpouseGap(Rng& rng) {
  static const int kWeights[] = {2, 4, 8, 12, 14, 14, 12, 9, 7, 5, 3, 2};  // -3 .. 8
  return static_cast<int>(rng.Weighted(kWeights)) - 3;
}

// k ages in [lo, hi], at least two years apart, eldest first; false if they do not fit.
bool SpacedAges(Rng& rng, int lo, int hi, int k, std::vector<int>* out) {
  out->clear();
  if (k == 0) return true;
  int room = hi - lo - 2 * (k - 1);
  if (room < 0) return false;
  std::vector<int> v;
  for (int i = 0; i < k; ++i) v.push_back(lo + rng.Between(0, room));
  std::sort(v.begin(), v.end());
  for (int i = 0; i < k; ++i) v[i] += 2 * i;
  out->assign(v.rbegin(), v.rend());
  return true;
}

std::string_view HanOrMinority(Rng& rng, double minority) {
  return rng.Chance(minority) ? PickMinority(rng) : std::string_view("01");
}

// A child's ethnicity: that of a minority parent, most of the time.
std::string ChildEthnicity(Rng& rng, const std::string& a, const std::string& b) {
  bool ma = a != "01" && !a.empty(), mb = b != "01" && !b.empty();
  if (!ma && !mb) return "01";
  if (!rng.Chance(0.85)) return "01";
  if (ma && mb) return rng.Chance(0.5) ? a : b;
  return ma ? a : b;
}

class Generator {
 public:
  Generator(const model::Reference& ref, const GenOptions& options, GenStats* stats)
      : ref_(ref), options_(options), stats_(stats) {}

  Status Run(const CardSink& sink);

 private:
  Unit MakeUnit(Rng& rng, const Division& d);
  bool BuildFamily(Rng& rng, int size, std::vector<Person>* out);
  void BuildCollective(Rng& rng, int size, std::vector<Person>* out);
  void Dress(Rng& rng, const Unit& unit, const Date& visit, bool migrant, bool collective,
             std::vector<Person>& people, Card* card);
  std::string NewId(Rng& rng, const std::string& address, const Date& birth, int gender);
  bool Reserve(std::string_view first17);
  std::string Address(Rng& rng, const Unit& unit, bool collective);
  void Inject(Rng& rng, const std::vector<Person>& people, Card* card);
  void Count(const std::vector<Person>& people, const Card& card, bool collective);

  const model::Reference& ref_;
  GenOptions options_;
  GenStats* stats_;
  Date today_;
  std::unordered_set<uint64_t> ids_;
  std::map<std::string, int> card_counters_;
};

bool Generator::Reserve(std::string_view first17) {
  uint64_t key = 0;
  for (char c : first17) key = key * 10 + static_cast<uint64_t>(c - '0');
  return ids_.insert(key).second;
}

std::string Generator::NewId(Rng& rng, const std::string& address, const Date& birth, int gender) {
  for (;;) {
    int seq = static_cast<int>(rng.Below(500)) * 2 + (gender == 1 ? 1 : 0);
    std::string first17 = address + Compact(birth) + Pad(seq, 3);
    if (Reserve(first17)) return first17 + model::IdCheckChar(first17);
  }
}

Unit Generator::MakeUnit(Rng& rng, const Division& d) {
  Unit u;
  u.division = &d;
  const model::Divisions& div = ref_.divisions();
  u.district_code = d.code.substr(0, 6);
  if (const Division* county = div.Find(u.district_code + "000000")) u.district_name = county->name;
  if (const Division* town = div.Find(d.parent)) {
    u.town_short = ReplaceSuffix(town->name, "街道办事处", "街道");
  }
  std::string name = d.name;
  name = ReplaceSuffix(name, "村民委员会", "村");
  name = ReplaceSuffix(name, "村委会", "村");
  name = ReplaceSuffix(name, "居委会", "");
  u.unit_short = name;
  u.urban_rural = d.urban_rural;
  u.village = EndsWith(name, "村");
  u.bungalows = !u.village && (d.urban_rural == "121" || d.urban_rural == "122" ||
                               d.urban_rural == "123" || d.urban_rural == "220");
  u.prefix = u.district_code == "150302"   ? "HBW"
             : u.district_code == "150303" ? "HN"
             : u.district_code == "150304" ? "WD"
                                           : "WH";
  std::string stem = name;
  for (std::string_view suffix : {"社区", "村"}) stem = ReplaceSuffix(stem, suffix, "");
  u.grid_prefix = Initials(stem);
  u.grids = u.village ? rng.Between(2, 5) : rng.Between(4, 12);
  int compounds = rng.Between(2, 4);
  for (int i = 0; i < compounds; ++i) u.compounds.push_back(PickOne(rng, kCompounds));
  for (int i = 0; i < 3; ++i) {
    int gender = rng.Chance(0.75) ? 2 : 1;
    int year = rng.Between(1972, 1999);
    u.collectors.push_back(MakeName(rng, gender, year, rng.Chance(0.93) ? "01" : "02", "").full);
  }
  return u;
}

std::string Generator::Address(Rng& rng, const Unit& u, bool collective) {
  std::string a = u.district_name + u.town_short + u.unit_short;
  if (collective) {
    return a + PickOne(rng, kEmployers) + "职工宿舍" + std::to_string(rng.Between(1, 6)) + "号楼" +
           std::to_string(rng.Between(1, 5)) + Pad(rng.Between(1, 20), 2);
  }
  if (u.village) {
    return a + std::to_string(rng.Between(1, 8)) + "组" + std::to_string(rng.Between(1, 60)) + "号";
  }
  if (u.bungalows && rng.Chance(0.5)) {
    return a + std::to_string(rng.Between(1, 40)) + "排" + std::to_string(rng.Between(1, 30)) +
           "号";
  }
  if (rng.Chance(0.5)) a += u.compounds[rng.Below(u.compounds.size())];
  bool high_rise = rng.Chance(0.15);
  int floor = high_rise ? rng.Between(1, 18) : rng.Between(1, 7);
  a += std::to_string(rng.Between(1, 30)) + (rng.Chance(0.7) ? "栋" : "号楼") +
       std::to_string(rng.Between(1, high_rise ? 3 : 6)) + "单元" + std::to_string(floor) +
       Pad(rng.Between(1, high_rise ? 4 : 2), 2);
  return a;
}

bool Generator::BuildFamily(Rng& rng, int size, std::vector<Person>* out) {
  const std::vector<Plan>& plans = kPlans[size];
  std::vector<int> weights;
  for (const Plan& p : plans) weights.push_back(p.weight);
  const Plan& plan = plans[rng.Weighted(weights)];
  out->clear();

  // The head and the spouse.
  Person head;
  head.role = Role::kHead;
  head.rel = "02";
  int lo = 18, hi = 90;
  if (plan.grandkids > 0 || plan.married_kid) {
    lo = 50, hi = 82;
  } else if (plan.kids > 0 && plan.parents > 0) {
    lo = 28, hi = 58;
  } else if (plan.kids > 0) {
    // Parents of children at home are mostly 30 to 50.
    static const int kBands[] = {25, 38, 25, 12};
    static const int kLo[] = {24, 35, 46, 56}, kHi[] = {34, 45, 55, 72};
    size_t band = rng.Weighted(kBands);
    lo = kLo[band], hi = kHi[band];
  } else if (plan.parents > 0) {
    lo = 22, hi = 60;
  } else if (plan.spouse) {
    bool elderly = rng.Chance(0.42);
    lo = elderly ? 55 : 22, hi = elderly ? 88 : 45;
  } else {
    static const int kBands[] = {26, 32, 42};
    size_t band = rng.Weighted(kBands);
    lo = band == 0 ? 18 : band == 1 ? 36 : 65;
    hi = band == 0 ? 35 : band == 1 ? 64 : 94;
  }
  head.age = rng.Between(lo, hi);
  double male_share = plan.spouse        ? 0.8
                      : plan.kids > 0    ? 0.35
                      : plan.parents > 0 ? 0.6
                      : head.age < 36    ? 0.6
                      : head.age >= 65   ? 0.38
                                         : 0.5;
  head.gender = rng.Chance(male_share) ? 1 : 2;
  out->push_back(head);
  int youngest_parent = head.age, eldest_parent = head.age;
  if (plan.spouse) {
    Person sp;
    sp.role = Role::kSpouse;
    sp.gender = head.gender == 1 ? 2 : 1;
    int gap = SpouseGap(rng);
    sp.age = head.gender == 1 ? head.age - gap : head.age + gap;
    int husband = head.gender == 1 ? head.age : sp.age;
    int wife = head.gender == 1 ? sp.age : head.age;
    if (husband < 22 || wife < 20 || sp.age > 96) return false;
    sp.rel = rng.Chance(0.65) ? (sp.gender == 2 ? "12" : "11") : "10";  // 妻/夫 or 配偶
    out->push_back(sp);
    youngest_parent = std::min(head.age, sp.age);
    eldest_parent = std::max(head.age, sp.age);
  }
  int father = (*out)[0].gender == 1 ? 0 : (plan.spouse ? 1 : -1);
  int mother = (*out)[0].gender == 2 ? 0 : (plan.spouse ? 1 : -1);

  // Children: born when both parents were 21 to 39 (whole years, so dates stay in 20..40).
  std::vector<int> kid_ages;
  // Unmarried children rarely stay at home past their early thirties.
  int kid_hi = std::min(youngest_parent - 21, plan.married_kid ? 45 : (rng.Chance(0.85) ? 30 : 40));
  if (!SpacedAges(rng, std::max(0, eldest_parent - 39), kid_hi, plan.kids, &kid_ages)) {
    return false;
  }
  if (plan.married_kid && (kid_ages.empty() || kid_ages[0] < 24)) return false;
  size_t first_kid = out->size();
  for (size_t i = 0; i < kid_ages.size(); ++i) {
    Person k;
    k.role = Role::kChild;
    k.age = kid_ages[i];
    k.gender = rng.Chance(0.51) ? 1 : 2;
    if (i == 0 && plan.married_kid) {
      k.married_child = true;
      k.gender = rng.Chance(0.75) ? 1 : 2;
    }
    k.father = father;
    k.mother = mother;
    out->push_back(k);
  }
  // Birth-order codes: 长子 22, 次子 23 ...; 长女 32 ...; an only child 独生子女 21/31.
  int sons = 0, daughters = 0;
  for (size_t i = first_kid; i < out->size(); ++i) {
    Person& k = (*out)[i];
    if (kid_ages.size() == 1) {
      int year = today_.year - k.age;
      if (year >= 1980 && rng.Chance(0.7)) {
        k.rel = k.gender == 1 ? "21" : "31";
      } else {
        k.rel = rng.Chance(0.5) ? (k.gender == 1 ? "20" : "30") : (k.gender == 1 ? "22" : "32");
      }
    } else if (k.gender == 1) {
      k.rel = std::to_string(22 + std::min(sons++, 4));
    } else {
      k.rel = std::to_string(32 + std::min(daughters++, 4));
    }
  }
  // The married child's spouse and their children.
  if (plan.married_kid) {
    Person& mk = (*out)[first_kid];
    Person in;
    in.role = Role::kChildSpouse;
    in.gender = mk.gender == 1 ? 2 : 1;
    int gap = SpouseGap(rng);
    in.age = mk.gender == 1 ? mk.age - gap : mk.age + gap;
    int husband = mk.gender == 1 ? mk.age : in.age;
    int wife = mk.gender == 1 ? in.age : mk.age;
    if (husband < 22 || wife < 20 || in.age > youngest_parent - 15) return false;
    in.rel = in.gender == 2 ? "38" : "28";
    int mk_index = static_cast<int>(first_kid);
    int in_index = static_cast<int>(out->size());
    out->push_back(in);
    std::vector<int> g_ages;
    const Person& mk2 = (*out)[first_kid];
    int y = std::min(mk2.age, in.age), e = std::max(mk2.age, in.age);
    if (!SpacedAges(rng, std::max(0, e - 39), y - 21, plan.grandkids, &g_ages)) return false;
    for (int a : g_ages) {
      Person g;
      g.role = Role::kGrandchild;
      g.age = a;
      g.gender = rng.Chance(0.51) ? 1 : 2;
      bool son_line = (*out)[first_kid].gender == 1;
      g.rel = son_line ? (g.gender == 1 ? "41" : "42") : (g.gender == 1 ? "43" : "44");
      g.father = son_line ? mk_index : in_index;
      g.mother = son_line ? in_index : mk_index;
      out->push_back(g);
    }
  }
  // Parents of the head, or of the spouse.
  if (plan.parents > 0) {
    bool spouse_side = plan.spouse && rng.Chance(0.4);
    int base_index = spouse_side ? 1 : 0;
    int base = (*out)[base_index].age;
    bool base_male = (*out)[base_index].gender == 1;
    std::vector<Person> ps;
    if (plan.parents == 2) {
      Person f, m;
      f.gender = 1;
      m.gender = 2;
      f.age = base + rng.Between(24, 38);
      m.age = f.age - rng.Between(0, 4);
      if (m.age < base + 21 || f.age > 96) return false;
      ps = {f, m};
    } else {
      Person p;
      p.gender = rng.Chance(0.65) ? 2 : 1;
      p.age = base + rng.Between(22, 38);
      if (p.age > 97) return false;
      ps = {p};
    }
    for (Person& p : ps) {
      p.role = Role::kParent;
      if (!spouse_side) {
        p.rel = p.gender == 1 ? "51" : "52";
      } else if (base_male) {  // the head is the wife: her husband's parents
        p.rel = p.gender == 1 ? "53" : "54";
      } else {  // the head is the husband: his wife's parents
        p.rel = p.gender == 1 ? "55" : "56";
      }
      // The base person's surname comes from this father.
      p.father = -2 - base_index;  // marker: "father of out[base_index]"
      out->push_back(p);
    }
  }
  return true;
}

void Generator::BuildCollective(Rng& rng, int size, std::vector<Person>* out) {
  out->clear();
  for (int i = 0; i < size; ++i) {
    Person p;
    p.role = Role::kMember;
    p.rel = "99";
    p.gender = rng.Chance(0.7) ? 1 : 2;
    p.age = rng.Between(18, 58);
    out->push_back(p);
  }
}

// --- the fields of a person ------------------------------------------------------------------

// Highest completed education for an adult out of school, by decade of birth.
std::string Education(Rng& rng, int year, bool rural) {
  static const char* const kCodes[] = {"00", "81", "83", "71", "73", "61", "41",
                                       "44", "47", "31", "21", "14", "11"};
  static const int kByEra[6][13] = {{30, 25, 10, 18, 2, 9, 4, 0, 0, 1, 1, 0, 0},   // before 1950
                                    {8, 22, 5, 33, 3, 18, 6, 1, 1, 2, 1, 0, 0},    // 1950s
                                    {3, 14, 3, 37, 3, 22, 7, 2, 3, 4, 2, 0, 0},    // 1960s
                                    {1, 8, 2, 34, 2, 21, 7, 3, 5, 10, 6, 1, 0},    // 1970s
                                    {0, 4, 1, 26, 2, 16, 5, 4, 5, 18, 16, 3, 0},   // 1980s
                                    {0, 2, 0, 17, 1, 12, 3, 5, 5, 26, 24, 4, 1}};  // since 1990
  int era = year < 1950 ? 0 : std::min(5, (year - 1940) / 10);
  if (rural && era > 0 && rng.Chance(0.5)) --era;
  return kCodes[rng.Weighted(kByEra[era])];
}

struct Work {
  std::string education, employment, occupation;
};

Work Schooling(Rng& rng, int age, int year, int gender, bool rural) {
  Work w;
  if (age < 3) {
    if (rng.Chance(0.3)) w.employment = "7";
    return w;
  }
  if (age < 6) {
    if (rng.Chance(0.85)) w.employment = "7";
    return w;
  }
  if (age < 16) {
    w.education = age <= 11 ? "80" : age <= 14 ? "70" : (rng.Chance(0.8) ? "60" : "70");
    if (rng.Chance(0.9)) w.employment = "6";
    return w;
  }
  if (age <= 18) {
    static const std::pair<const char*, int> kTeen[] = {{"6", 85}, {"2", 5}, {"9", 10}};
    w.employment = PickWeighted(rng, kTeen);
    w.education =
        w.employment == "6" ? (rng.Chance(0.75) ? "60" : "40") : (rng.Chance(0.7) ? "71" : "61");
    return w;
  }
  if (age <= 22 && rng.Chance(rural ? 0.35 : 0.55)) {
    w.employment = "6";
    w.education = rng.Chance(0.5) ? "30" : "20";
    return w;
  }
  w.education = Education(rng, year, rural);
  bool male = gender == 1;
  bool retire_age = male ? age >= 60 : age >= 50;
  if (retire_age) {
    double p = rural ? 0.3 : (male || age >= 55 ? 0.85 : 0.5);
    if (rng.Chance(p)) {
      w.employment = "5";
      return w;
    }
    if (age >= 65 || rng.Chance(0.6)) {
      w.employment = "9";
      return w;
    }
  }
  static const std::pair<const char*, int> kUrban[] = {
      {"1", 44}, {"2", 20}, {"3", 12}, {"4", 5}, {"9", 19}};
  static const std::pair<const char*, int> kRural[] = {
      {"1", 15}, {"2", 35}, {"3", 10}, {"4", 2}, {"9", 38}};
  w.employment = rural ? PickWeighted(rng, kRural) : PickWeighted(rng, kUrban);
  if (rng.Chance(0.7)) {
    if (w.employment == "1") w.occupation = PickOne(rng, kJobsEmployed);
    if (w.employment == "2")
      w.occupation = rural ? PickOne(rng, kJobsRural) : PickOne(rng, kJobsFlexible);
    if (w.employment == "3") w.occupation = PickOne(rng, kJobsOwn);
  }
  return w;
}

std::string Fingerprint(Rng& rng) {
  int minutiae = rng.Between(12, 40);
  uint32_t length = static_cast<uint32_t>(30 + 6 * minutiae);
  Bytes b = ToBytes(std::string_view("FMR\0 20\0", 8));
  for (int i = 3; i >= 0; --i) b.push_back(static_cast<uint8_t>(length >> (8 * i)));
  b.insert(b.end(), {0, 0});  // capture equipment
  PutBE16(b, 500);            // image width and height
  PutBE16(b, 500);
  PutBE16(b, 197);  // resolution (pixels per cm)
  PutBE16(b, 197);
  b.push_back(1);  // one finger view
  b.push_back(0);
  b.push_back(static_cast<uint8_t>(rng.Between(1, 10)));  // finger position
  b.push_back(0);
  b.push_back(static_cast<uint8_t>(rng.Between(40, 100)));  // quality
  b.push_back(static_cast<uint8_t>(minutiae));
  for (int i = 0; i < minutiae; ++i) {
    PutBE16(b, static_cast<uint16_t>(0x4000 | rng.Below(500)));
    PutBE16(b, static_cast<uint16_t>(rng.Below(500)));
    b.push_back(static_cast<uint8_t>(rng.Below(256)));
    b.push_back(static_cast<uint8_t>(rng.Between(40, 100)));
  }
  b.insert(b.end(), {0, 0});  // no extended data
  return Base64(b);
}

void Generator::Dress(Rng& rng, const Unit& unit, const Date& visit, bool migrant, bool collective,
                      std::vector<Person>& people, Card* card) {
  bool rural = unit.village || unit.urban_rural == "220";
  // Birth dates, ethnicity and names, in an order where parents come first.
  for (Person& p : people) p.birth = BirthForAge(rng, visit, p.age);
  auto is_minority = [](const std::string& e) { return e != "01"; };
  Person& head = people[0];
  for (Person& p : people) {
    switch (p.role) {
      case Role::kHead:
      case Role::kMember:
        p.ethnicity = PickEthnicity(rng);
        break;
      case Role::kSpouse:
        p.ethnicity = is_minority(head.ethnicity)
                          ? (rng.Chance(0.7) ? head.ethnicity : std::string("01"))
                          : std::string(HanOrMinority(rng, 0.03));
        break;
      case Role::kChildSpouse:
        p.ethnicity = HanOrMinority(rng, 0.06);
        break;
      default:
        break;
    }
  }
  auto eth_of = [&](int i) { return i >= 0 ? people[i].ethnicity : std::string(); };
  for (Person& p : people) {
    if (p.role == Role::kChild || p.role == Role::kGrandchild) {
      p.ethnicity = ChildEthnicity(rng, eth_of(p.father), eth_of(p.mother));
    } else if (p.role == Role::kParent) {
      p.ethnicity = people[static_cast<size_t>(-2 - p.father)].ethnicity;
    }
  }
  // Names: the heads of each line first, then children with their father's surname.
  for (Person& p : people) {
    if (p.role == Role::kChild || p.role == Role::kGrandchild || p.role == Role::kParent) continue;
    PersonName n = MakeName(rng, p.gender, p.birth.year, p.ethnicity, "");
    p.name = n.full;
    p.surname = n.surname;
  }
  for (Person& p : people) {
    if (p.role != Role::kParent) continue;
    const Person& child = people[static_cast<size_t>(-2 - p.father)];
    std::string surname = p.gender == 1 ? child.surname : std::string();
    PersonName n = MakeName(rng, p.gender, p.birth.year, p.ethnicity, surname);
    p.name = n.full;
    p.surname = n.surname;
  }
  for (Role role : {Role::kChild, Role::kGrandchild}) {
    for (Person& p : people) {
      if (p.role != role) continue;
      std::string surname;
      if (p.father >= 0) {
        surname = people[static_cast<size_t>(p.father)].surname;
      } else if (p.mother >= 0 && rng.Chance(0.2)) {
        surname = people[static_cast<size_t>(p.mother)].surname;
      }
      PersonName n = MakeName(rng, p.gender, p.birth.year, p.ethnicity, surname);
      p.name = n.full;
      p.surname = n.surname;
    }
  }

  // Household-level facts.
  const Place* origin = nullptr;
  Date moved_in;
  if (migrant) {
    int w[std::size(kOrigins)];
    for (size_t i = 0; i < std::size(kOrigins); ++i) w[i] = kOrigins[i].weight;
    origin = &kOrigins[rng.Weighted(w)];
    moved_in = AddDays(visit, -rng.Between(120, 6500));
  }
  std::string address = Address(rng, unit, collective);
  bool dibao_household = !migrant && !collective && rng.Chance(0.025);
  std::string other_districts[2];
  {
    int k = 0;
    for (const char* d : {"150302", "150303", "150304"}) {
      if (unit.district_code != d && k < 2) other_districts[k++] = d;
    }
  }
  int own_kids = 0;
  for (const Person& p : people) own_kids += p.role == Role::kChild ? 1 : 0;
  bool has_spouse = std::any_of(people.begin(), people.end(),
                                [](const Person& p) { return p.role == Role::kSpouse; });
  int parents_here = 0;
  for (const Person& p : people) parents_here += p.role == Role::kParent ? 1 : 0;

  card->members.clear();
  for (size_t i = 0; i < people.size(); ++i) {
    Person& p = people[i];
    FieldValues f;
    int age = p.age;
    int year = p.birth.year;
    bool person_migrant = migrant;
    const Place* person_origin = origin;
    if (collective && rng.Chance(0.6)) {
      person_migrant = true;
      int w[std::size(kOrigins)];
      for (size_t k = 0; k < std::size(kOrigins); ++k) w[k] = kOrigins[k].weight;
      person_origin = &kOrigins[rng.Weighted(w)];
      moved_in = AddDays(visit, -rng.Between(60, 4000));
    }
    f["name"] = p.name;
    if (year < 1970 && rng.Chance(0.015)) {
      f["former_name"] = MakeName(rng, p.gender, year, p.ethnicity, p.surname).full;
      if (f["former_name"] == p.name) f.erase("former_name");
    }
    f["gender"] = p.gender == 1 ? "1" : "2";
    f["ethnicity"] = p.ethnicity;
    f["birth_date"] = p.birth.ToString();

    // Documents: a citizen ID (address code where the hukou was when it was issued).
    std::string doc = "1";
    if (age == 0 && rng.Chance(0.35)) doc = "9";
    if (p.role == Role::kSpouse && rng.Chance(0.002)) doc = "2";
    f["doc_type"] = doc;
    std::string id18;
    if (doc == "1") {
      std::string addr = unit.district_code;
      if (person_migrant && person_origin) {
        addr = person_origin->code;
      } else if (year < 1970 && rng.Chance(0.10)) {
        addr = PickOne(rng, kOldHomeCodes);
      } else if (year < 1985 && rng.Chance(0.04)) {
        addr = "150301";  // the city's abolished 市辖区 code: a natural id_old_address warning
      } else if (rng.Chance(0.18)) {
        addr = other_districts[rng.Below(2)];
      }
      id18 = NewId(rng, addr, p.birth, p.gender);
      // Old records still carry some 15-digit numbers of people born before 1960.
      bool fifteen =
          year >= 1900 && year < 1960 && rng.Chance(0.03) && std::stoi(id18.substr(14, 3)) < 996;
      f["id_number"] = fifteen ? id18.substr(0, 6) + id18.substr(8, 9) : id18;
    } else if (doc == "2") {
      id18 = NewId(rng, rng.Chance(0.5) ? "830000" : "810000", p.birth, p.gender);
      f["id_number"] = id18;
    }
    f["relationship"] = p.rel;

    // Residence.
    std::string residence = person_migrant ? "2" : "1";
    if (!person_migrant && p.role == Role::kChild && age >= 18 && age <= 32 && rng.Chance(0.2)) {
      residence = "3";  // studying or working elsewhere
    }
    f["residence_status"] = residence;
    if (residence == "2") {
      if (rng.Chance(0.6)) f["hukou_address"] = person_origin->name;
      f["migrant_origin"] =
          rng.Chance(0.75) ? std::string(person_origin->code) : std::string(person_origin->name);
      if (rng.Chance(0.8)) f["migrant_since"] = std::max(moved_in, p.birth).ToString();
      if (age >= 16 && rng.Chance(0.5)) {
        f["residence_permit"] = unit.district_code + std::to_string(moved_in.year) + Digits(rng, 6);
      }
    } else if (residence == "3" ? rng.Chance(0.7) : rng.Chance(0.08)) {
      f["hukou_address"] = address;
    }
    if (rng.Chance(0.65)) {
      f["person_category"] = residence == "1"   ? "RY0010"
                             : residence == "3" ? "RY00932"
                             : rng.Chance(0.8)  ? "RY0020"
                                                : "RY00931";
    }
    if (rng.Chance(0.15)) f["status"] = "1";

    // Marriage and children.
    if (age >= 16) {
      std::string marital;
      switch (p.role) {
        case Role::kHead:
          if (has_spouse) {
            static const std::pair<const char*, int> kMarried[] = {
                {"20", 80}, {"21", 12}, {"22", 6}, {"23", 2}};
            marital = PickWeighted(rng, kMarried);
          } else if (own_kids > 0) {
            static const std::pair<const char*, int> kSingleParent[] = {
                {"40", 55}, {"30", 40}, {"10", 5}};
            marital = PickWeighted(rng, kSingleParent);
          } else if (age < 30) {
            marital = rng.Chance(0.92) ? "10" : "40";
          } else if (age < 60) {
            static const std::pair<const char*, int> kMid[] = {{"10", 35}, {"40", 45}, {"30", 20}};
            marital = PickWeighted(rng, kMid);
          } else {
            static const std::pair<const char*, int> kOld[] = {{"30", 72}, {"40", 18}, {"10", 10}};
            marital = PickWeighted(rng, kOld);
          }
          break;
        case Role::kSpouse:
          marital = card->members[0]["marital"];
          break;
        case Role::kChild:
          marital = p.married_child ? (rng.Chance(0.85) ? "20" : "21")
                                    : (age >= 28 && rng.Chance(0.06) ? "40" : "10");
          break;
        case Role::kChildSpouse:
          marital = rng.Chance(0.85) ? "20" : "21";
          break;
        case Role::kGrandchild:
          marital = "10";
          break;
        case Role::kParent:
          marital = parents_here == 2 ? "20" : (rng.Chance(0.85) ? "30" : "40");
          break;
        case Role::kMember:
          if (age < 26) {
            marital = rng.Chance(0.85) ? "10" : "20";
          } else {
            static const std::pair<const char*, int> kAdult[] = {
                {"20", 55}, {"10", 35}, {"40", 10}};
            marital = PickWeighted(rng, kAdult);
          }
          break;
      }
      if (marital.empty()) marital = "20";
      f["marital"] = marital;
      if (marital != "10" && rng.Chance(0.55)) {
        int n = 0;
        if (p.role == Role::kHead || p.role == Role::kSpouse) {
          // Children at home, plus grown-up ones living elsewhere.
          int away = age < 45 ? 0 : year < 1960 ? rng.Between(1, 4) : rng.Between(0, 2);
          n = own_kids + away;
        } else if (p.role == Role::kParent) {
          n = year < 1960 ? rng.Between(2, 5) : rng.Between(1, 3);
        } else {
          n = static_cast<int>(rng.Below(3));
        }
        f["children_count"] = std::to_string(n);
      }
      if (p.gender == 2 && age >= 22 && age <= 45 && marital != "10" && rng.Chance(0.12)) {
        f["birth_permit"] = unit.district_code +
                            std::to_string(rng.Between(std::max(2010, year + 22), visit.year)) +
                            Digits(rng, 6);
      }
    }

    // Health.
    std::vector<std::string> chronic;
    if (age >= 40) {
      double htn = std::min(0.45, 0.02 * (age - 35));
      if (rng.Chance(htn)) chronic.push_back("1");
      if (rng.Chance(htn * 0.4)) chronic.push_back("2");
      if (rng.Chance(0.05)) chronic.push_back("4");
    }
    if (age >= 18 && rng.Chance(0.003)) chronic.push_back("3");
    std::sort(chronic.begin(), chronic.end());
    if (!chronic.empty()) {
      std::string joined;
      for (const std::string& c : chronic) joined += (joined.empty() ? "" : ",") + c;
      f["chronic_disease"] = joined;
    }
    if (age >= 65 || !chronic.empty()) {
      f["family_doctor"] = rng.Chance(0.7) ? "1" : "0";
    } else if (rng.Chance(0.3)) {
      f["family_doctor"] = "0";
    }

    // School, work and insurance.
    Work w = Schooling(rng, age, year, p.gender, rural);
    if (!w.education.empty()) f["education"] = w.education;
    if (!w.occupation.empty()) f["occupation"] = w.occupation;
    if (!w.employment.empty()) f["employment"] = w.employment;
    const std::string& e = w.employment;
    if (age >= 16 && e != "6" && rng.Chance(0.9)) {
      std::string pension;
      if (e == "1") {
        pension = rng.Chance(0.92) ? "1" : "2";
      } else if (e == "5") {
        pension = !rural && rng.Chance(0.85) ? "1" : "2";
      } else if (e == "2" || e == "3") {
        static const std::pair<const char*, int> kFlex[] = {{"2", 60}, {"1", 25}, {"0", 15}};
        pension = PickWeighted(rng, kFlex);
      } else {
        static const std::pair<const char*, int> kOther[] = {{"2", 65}, {"0", 25}, {"1", 10}};
        pension = PickWeighted(rng, kOther);
      }
      f["pension_insurance"] = pension;
    }
    if (rng.Chance(0.95)) {
      f["medical_insurance"] = (e == "1" || e == "5") && rng.Chance(0.85) ? "1"
                               : rng.Chance(0.95)                         ? "2"
                                                                          : "0";
    }
    if (age >= 14 && rng.Chance(0.85)) {
      std::string political = "13";
      if (doc != "1") {
        political = "13";  // residents of Hong Kong, Macao and Taiwan
      } else if (age <= 28) {
        static const std::pair<const char*, int> kYoung[] = {{"03", 45}, {"13", 52}, {"01", 3}};
        political = PickWeighted(rng, kYoung);
        if (political == "01" && age < 18) political = "03";  // members join at 18
      } else {
        double party = 0.06 + ((e == "1" || e == "5") && !rural ? 0.06 : 0) +
                       (p.gender == 1 && age >= 50 ? 0.04 : 0);
        double x = rng.Unit();
        if (x < party) {
          political = "01";
        } else if (x < party + 0.003) {
          political = "02";
        } else if (x < party + 0.005) {
          political = Pad(rng.Between(4, 12), 2);
        }
      }
      f["political"] = political;
    }
    if (age >= 16 && rng.Chance(age >= 80 ? 0.3 : 0.75)) f["phone"] = Mobile(rng);

    // Disability (with a certificate number built from the 18-digit ID number).
    double disabled = age < 18 ? 0.008 : age < 60 ? 0.03 : age < 80 ? 0.08 : 0.15;
    if (rng.Chance(disabled)) {
      static const int kCategory[] = {12, 16, 2, 45, 8, 10, 7};
      static const int kGrade[] = {10, 20, 30, 40};
      std::string category = std::to_string(rng.Weighted(kCategory) + 1);
      std::string grade = std::to_string(rng.Weighted(kGrade) + 1);
      f["disability_category"] = category;
      f["disability_grade"] = grade;
      if (doc == "1" && rng.Chance(0.8)) {
        f["disability_cert"] = id18 + category + grade +
                               (rng.Chance(0.1) ? "B" + std::to_string(rng.Between(1, 2)) : "");
      }
    }

    // Civil affairs.
    if (dibao_household) {
      f["dibao"] = rural ? "2" : "1";
    } else if (age >= 18 && rng.Chance(0.35)) {
      f["dibao"] = "0";
    }
    if (age >= 60) {
      if (people.size() == 1 && rng.Chance(0.04)) {
        f["tekun"] = "2";
      } else if (rng.Chance(0.3)) {
        f["tekun"] = "0";
      }
    }
    if (p.gender == 1 && age >= 55 && rng.Chance(0.02)) {
      f["youfu"] = "1";
    } else if (age >= 18 && rng.Chance(0.2)) {
      f["youfu"] = "0";
    }
    if (age >= 80) {
      double x = rng.Unit();
      if (x < 0.92) {
        f["elderly_allowance"] = "1";
      } else if (x < 0.95) {
        f["elderly_allowance"] = "0";
      }
    } else if (age >= 60 && rng.Chance(0.2)) {
      f["elderly_allowance"] = "0";
    }
    if (age >= 16 && rng.Chance(0.003)) f["fingerprint"] = Fingerprint(rng);
    card->members.push_back(std::move(f));
  }

  // The household block.
  FieldValues& h = card->household;
  h.clear();
  h["address"] = address;
  h["household_type"] = collective ? "2" : "1";
  std::string hukou;
  if (collective) {
    hukou = rng.Chance(0.3) ? "" : (rural ? "4" : "3");
  } else {
    static const std::pair<const char*, int> kRural[] = {{"2", 35}, {"9", 55}, {"", 10}};
    static const std::pair<const char*, int> kUrban[] = {{"9", 78}, {"1", 12}, {"", 10}};
    hukou = rural ? PickWeighted(rng, kRural) : PickWeighted(rng, kUrban);
  }
  if (!hukou.empty()) h["hukou_type"] = hukou;
  std::string housing;
  if (collective) {
    housing = "4";
  } else if (migrant) {
    static const std::pair<const char*, int> kMigrant[] = {{"2", 75}, {"3", 10}, {"1", 15}};
    housing = PickWeighted(rng, kMigrant);
  } else {
    static const std::pair<const char*, int> kNative[] = {{"1", 80}, {"2", 10}, {"3", 5}, {"9", 5}};
    housing = PickWeighted(rng, kNative);
  }
  if (rng.Chance(0.92)) h["housing"] = housing;
  double x = rng.Unit();
  auto head_phone = card->members[0].find("phone");
  if (x < 0.10 && people[0].age >= 50) {
    h["phone"] = Landline(rng);
  } else if (x < 0.95) {
    h["phone"] = head_phone != card->members[0].end() ? head_phone->second : Mobile(rng);
  }
  h["grid"] = unit.grid_prefix + "-" + Pad(rng.Between(1, unit.grids), 2);

  // The visit.
  static const std::pair<const char*, int> kResults[] = {{"1", 86}, {"2", 10}, {"3", 4}};
  card->visit = {{"date", visit.ToString()},
                 {"result", std::string(PickWeighted(rng, kResults))},
                 {"collector", unit.collectors[rng.Below(unit.collectors.size())]}};
  card->has_visit = true;
}

// --- mistakes --------------------------------------------------------------------------------

enum Mistake {
  kIdCheck,
  kIdBirth,
  kIdGender,
  kMissing,
  kBadCode,
  kBadDate,
  kNoHead,
  kCertMismatch,
  kAllowance,
  kChildOlder,
  kMistakeCount
};
constexpr const char* kMistakeCodes[kMistakeCount] = {
    "id_check", "id_birth_mismatch", "id_gender_mismatch", "missing",    "bad_code", "bad_date",
    "no_head",  "cert_mismatch",     "allowance_under_80", "child_older"};
constexpr int kMistakeWeights[kMistakeCount] = {15, 10, 10, 15, 12, 8, 8, 6, 6, 10};

bool HasValidId18(const FieldValues& m) {
  auto doc = m.find("doc_type");
  auto id = m.find("id_number");
  return doc != m.end() && doc->second == "1" && id != m.end() && id->second.size() == 18;
}

std::string Get(const FieldValues& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? std::string() : it->second;
}

void Generator::Inject(Rng& rng, const std::vector<Person>& people, Card* card) {
  int first = static_cast<int>(rng.Weighted(kMistakeWeights));
  auto& members = card->members;
  // Members that qualify, by a predicate; one is drawn.
  auto pick = [&](auto&& pred) -> int {
    std::vector<int> c;
    for (size_t i = 0; i < members.size(); ++i) {
      if (pred(i)) c.push_back(static_cast<int>(i));
    }
    return c.empty() ? -1 : c[rng.Below(c.size())];
  };
  auto no_cert = [&](size_t i) {
    return HasValidId18(members[i]) && !members[i].count("disability_cert");
  };
  for (int step = 0; step < kMistakeCount; ++step) {
    Mistake kind = static_cast<Mistake>((first + step) % kMistakeCount);
    bool done = false;
    switch (kind) {
      case kIdCheck: {
        int m = pick([&](size_t i) { return HasValidId18(members[i]); });
        if (m < 0) break;
        std::string& id = members[m]["id_number"];
        static const int kPositions[] = {0, 1, 2, 3, 4, 5, 14, 15, 16};
        for (int tries = 0; tries < 20 && !done; ++tries) {
          std::string typo = id;
          size_t pos = static_cast<size_t>(kPositions[rng.Below(9)]);
          typo[pos] = static_cast<char>('0' + (typo[pos] - '0' + rng.Between(1, 9)) % 10);
          if (model::ParseCitizenId(typo).error == model::IdError::kCheckChar) {
            id = typo;
            done = true;
          }
        }
        break;
      }
      case kIdBirth:
      case kIdGender: {
        int m = pick(no_cert);
        if (m < 0) break;
        std::string& id = members[m]["id_number"];
        for (int tries = 0; tries < 20 && !done; ++tries) {
          std::string first17 = id.substr(0, 17);
          if (kind == kIdBirth) {
            int delta = rng.Between(1, 400) * (rng.Chance(0.5) ? 1 : -1);
            Date birth = AddDays(people[m].birth, delta);
            if (birth > today_) continue;
            first17 = id.substr(0, 6) + Compact(birth) + id.substr(14, 3);
          } else {
            int seq = std::stoi(id.substr(14, 3)) ^ 1;
            first17 = id.substr(0, 14) + Pad(seq, 3);
          }
          if (Reserve(first17)) {
            id = first17 + model::IdCheckChar(first17);
            done = true;
          }
        }
        break;
      }
      case kMissing: {
        std::vector<std::pair<int, std::string>> c = {{-1, "address"}, {-2, "collector"}};
        for (size_t i = 0; i < members.size(); ++i) {
          c.push_back({static_cast<int>(i), "ethnicity"});
          if (people[i].age >= 6 && members[i].count("education")) {
            c.push_back({static_cast<int>(i), "education"});
          }
          if (people[i].age >= 16 && members[i].count("marital")) {
            c.push_back({static_cast<int>(i), "marital"});
          }
        }
        auto [m, key] = c[rng.Below(c.size())];
        if (m == -1) {
          card->household.erase(key);
        } else if (m == -2) {
          card->visit.erase(key);
        } else {
          members[m].erase(key);
        }
        done = true;
        break;
      }
      case kBadCode: {
        std::vector<std::pair<int, std::string>> c;
        for (size_t i = 0; i < members.size(); ++i) {
          if (Get(members[i], "ethnicity")[0] == '0')
            c.push_back({static_cast<int>(i), "ethnicity"});
          if (members[i].count("education")) c.push_back({static_cast<int>(i), "education"});
          if (members[i].count("marital")) c.push_back({static_cast<int>(i), "marital"});
        }
        if (c.empty()) break;
        auto [m, key] = c[rng.Below(c.size())];
        std::string& v = members[m][key];
        v = key == "ethnicity" ? v.substr(1) : key == "education" ? "72" : "2";  // 01 -> 1 ...
        done = true;
        break;
      }
      case kBadDate: {
        int m = pick([&](size_t) { return true; });
        bool since = members[m].count("migrant_since") && rng.Chance(0.3);
        std::string& v = members[m][since ? "migrant_since" : "birth_date"];
        static const char* const kImpossible[] = {"-02-30", "-02-31", "-04-31",
                                                  "-06-31", "-09-31", "-11-31"};
        v = v.substr(0, 4) + PickOne(rng, kImpossible);
        done = true;
        break;
      }
      case kNoHead: {
        if (Get(card->household, "household_type") != "1") break;
        for (FieldValues& m : members) {
          if (Get(m, "relationship") == "02") {
            m["relationship"] = "01";
            done = true;
          }
        }
        break;
      }
      case kCertMismatch: {
        int m = pick([&](size_t i) { return members[i].count("disability_cert") > 0; });
        if (m < 0) break;
        std::string& cert = members[m]["disability_cert"];
        cert[19] = static_cast<char>('1' + (cert[19] - '1' + rng.Between(1, 3)) % 4);
        done = true;
        break;
      }
      case kAllowance: {
        int m = pick([&](size_t i) { return people[i].age >= 60 && people[i].age < 80; });
        if (m < 0) break;
        members[m]["elderly_allowance"] = "1";
        done = true;
        break;
      }
      case kChildOlder: {
        if (people[0].role != Role::kHead) break;
        int m = pick([&](size_t i) {
          return people[i].role == Role::kChild && people[i].age >= 16 && HasValidId18(members[i]);
        });
        if (m < 0) break;
        std::string& id = members[m]["id_number"];
        for (int tries = 0; tries < 20 && !done; ++tries) {
          Date birth = AddDays(people[0].birth, -rng.Between(200, 6 * 365));
          std::string first17 = id.substr(0, 6) + Compact(birth) + id.substr(14, 3);
          if (!Reserve(first17)) continue;
          id = first17 + model::IdCheckChar(first17);
          members[m]["birth_date"] = birth.ToString();
          auto cert = members[m].find("disability_cert");
          if (cert != members[m].end()) cert->second = id + cert->second.substr(18);
          done = true;
        }
        break;
      }
      case kMistakeCount:
        break;
    }
    if (done) {
      stats_->injected[kMistakeCodes[kind]]++;
      return;
    }
  }
}

void Generator::Count(const std::vector<Person>& people, const Card& card, bool collective) {
  stats_->cards++;
  stats_->households++;
  (collective ? stats_->collective_households : stats_->family_households)++;
  for (const Person& p : people) {
    stats_->persons++;
    (p.gender == 1 ? stats_->male : stats_->female)++;
    stats_->ethnicity[p.ethnicity]++;
  }
  // Realistic warnings in the card as it finally is.
  for (const FieldValues& m : card.members) {
    if (Get(m, "doc_type") != "1") continue;
    model::IdParse id = model::ParseCitizenId(Get(m, "id_number"));
    if (id.error == model::IdError::kNone &&
        !model::AddressCodeLooksCurrent(ref_.divisions(), id.id.address)) {
      stats_->natural["id_old_address"]++;
    }
  }
}

Status Generator::Run(const CardSink& sink) {
  today_ = options_.today.year == 0 ? Today() : options_.today;
  if (!Date::Valid(today_.year, today_.month, today_.day)) {
    return Status::Invalid("GenOptions.today is not a date");
  }
  if (!(options_.error_rate >= 0 && options_.error_rate <= 1)) {
    return Status::Invalid("GenOptions.error_rate must be within 0..1");
  }
  const model::Divisions& div = ref_.divisions();
  std::vector<const Division*> units;
  if (options_.communities.empty()) {
    units = div.ResidentUnits();
  } else {
    for (const std::string& code : options_.communities) {
      if (!div.IsResidentUnit(code)) {
        return Status::Invalid("生成人口：" + code + "不是可以登记住户的社区或村");
      }
      units.push_back(div.Find(code));
    }
  }
  if (units.empty()) return Status::Invalid("生成人口：没有社区");
  if (options_.persons > (uint64_t{1} << 40)) return Status::Invalid("生成人口：人数过多");

  // Persons by size: urban communities are larger than villages and special zones.
  auto weight = [](const std::string& ur) -> uint64_t {
    if (ur == "111") return 100;
    if (ur == "112") return 60;
    if (ur == "121") return 50;
    if (ur == "122") return 40;
    if (ur == "123") return 30;
    if (ur == "220") return 25;
    return 50;
  };
  uint64_t total_weight = 0;
  for (const Division* u : units) total_weight += weight(u->urban_rural);
  std::vector<size_t> quota(units.size());
  std::vector<std::pair<uint64_t, size_t>> remainders;
  size_t assigned = 0;
  for (size_t i = 0; i < units.size(); ++i) {
    uint64_t share = static_cast<uint64_t>(options_.persons) * weight(units[i]->urban_rural);
    quota[i] = static_cast<size_t>(share / total_weight);
    remainders.push_back({static_cast<uint64_t>(share % total_weight), i});
    assigned += quota[i];
  }
  std::sort(remainders.begin(), remainders.end(), [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  });
  for (size_t k = 0; assigned < options_.persons; ++k, ++assigned) quota[remainders[k].second]++;

  for (size_t ui = 0; ui < units.size(); ++ui) {
    const Division& d = *units[ui];
    uint64_t label = std::stoull(d.code);
    Rng rng = Rng::For(options_.seed, label);
    Rng mistakes = Rng::For(options_.seed ^ 0x6d697374616b6573ULL, label);
    Unit unit = MakeUnit(rng, d);
    bool rural = unit.village || unit.urban_rural == "220";
    double collective_share = unit.urban_rural == "123" ? 0.10 : rural ? 0.01 : 0.025;
    double migrant_share = unit.urban_rural == "111"   ? 0.12
                           : unit.urban_rural == "220" ? 0.08
                                                       : 0.18;
    static const int kUrbanSizes[] = {16, 30, 29, 13, 7, 3, 2};
    static const int kRuralSizes[] = {12, 28, 27, 16, 10, 4, 3};
    static const int kCollectiveSizes[] = {30, 25, 20, 12, 8, 5};
    size_t remaining = quota[ui];
    std::vector<Person> people;
    while (remaining > 0) {
      Date visit = AddDays(today_, -static_cast<int64_t>(rng.Below(90)));
      bool collective = rng.Chance(collective_share);
      bool migrant = !collective && rng.Chance(migrant_share);
      int size;
      if (collective) {
        size = static_cast<int>(rng.Weighted(kCollectiveSizes)) + 1;
      } else {
        size = static_cast<int>(rng.Weighted(rural ? kRuralSizes : kUrbanSizes)) + 1;
      }
      size = std::min<int>(size, static_cast<int>(std::min<size_t>(remaining, 7)));
      if (collective) {
        BuildCollective(rng, size, &people);
      } else {
        // A shape that fits: retry, then fall back to smaller households.
        bool built = false;
        for (int n = size; n >= 1 && !built; --n) {
          for (int attempt = 0; attempt < 40 && !built; ++attempt) {
            built = BuildFamily(rng, n, &people);
          }
        }
        if (!built) return Status::Internal("生成人口：无法组成家庭户");
      }
      Card card;
      std::string district = unit.prefix;
      card.card_no =
          district + "-" + std::to_string(today_.year) + "-" + Pad(++card_counters_[district], 6);
      card.community = d.code;
      Dress(rng, unit, visit, migrant, collective, people, &card);
      if (options_.error_rate > 0 && mistakes.Chance(options_.error_rate)) {
        Inject(mistakes, people, &card);
      }
      Count(people, card, collective);
      remaining -= people.size();
      RETURN_IF_ERROR(sink(card));
    }
  }
  return Status::Ok();
}

}  // namespace

size_t GenStats::injected_total() const {
  size_t n = 0;
  for (const auto& [code, count] : injected) n += count;
  return n;
}

Status GenerateCards(const model::Reference& ref, const GenOptions& options, const CardSink& sink,
                     GenStats* stats) {
  GenStats local;
  Generator g(ref, options, stats ? stats : &local);
  return g.Run(sink);
}

Status GenerateCards(const model::Reference& ref, const GenOptions& options, std::ostream& out,
                     GenStats* stats) {
  bool first = true;
  out << "[\n";
  Status st = GenerateCards(
      ref, options,
      [&](const Card& card) -> Status {
        if (!first) out << ",\n";
        first = false;
        out << model::CardToJson(card);
        if (!out) return Status::Unavailable("生成人口：写出失败");
        return Status::Ok();
      },
      stats);
  RETURN_IF_ERROR(st);
  out << (first ? "]\n" : "\n]\n");
  out.flush();
  if (!out) return Status::Unavailable("生成人口：写出失败");
  return Status::Ok();
}

}  // namespace shequ::gen
