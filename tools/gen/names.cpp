#include "tools/gen/names.h"

#include <algorithm>
#include <iterator>
#include <vector>

namespace shequ::gen {

namespace {

struct Weighted {
  const char* text;
  int weight;
};

template <size_t N>
const char* PickWeighted(Rng& rng, const Weighted (&items)[N]) {
  static_assert(N > 0);
  int weights[N];
  for (size_t i = 0; i < N; ++i) weights[i] = items[i].weight;
  return items[rng.Weighted(weights)].text;
}

template <size_t N>
const char* PickOne(Rng& rng, const char* const (&items)[N]) {
  return items[rng.Below(N)];
}

// Surname frequencies per ten thousand, leaning to northern China (more 赵, 孙, 马, 郭, fewer 黄,
// 林, 陈 than the national table).
const Weighted kHanSurnames[] = {
    {"王", 760}, {"李", 740}, {"张", 700}, {"刘", 560}, {"陈", 380}, {"杨", 320}, {"赵", 300},
    {"黄", 110}, {"周", 160}, {"吴", 140}, {"徐", 130}, {"孙", 160}, {"胡", 120}, {"朱", 110},
    {"高", 130}, {"林", 50},  {"何", 80},  {"郭", 130}, {"马", 120}, {"罗", 60},  {"梁", 80},
    {"宋", 70},  {"郑", 60},  {"谢", 50},  {"韩", 80},  {"唐", 40},  {"冯", 60},  {"于", 70},
    {"董", 70},  {"萧", 10},  {"程", 40},  {"曹", 50},  {"袁", 40},  {"邓", 30},  {"许", 40},
    {"傅", 20},  {"沈", 20},  {"曾", 20},  {"彭", 20},  {"吕", 40},  {"苏", 40},  {"卢", 30},
    {"蒋", 20},  {"蔡", 20},  {"贾", 50},  {"丁", 30},  {"魏", 50},  {"薛", 40},  {"叶", 20},
    {"阎", 20},  {"余", 15},  {"潘", 20},  {"杜", 40},  {"戴", 15},  {"夏", 15},  {"钟", 10},
    {"汪", 10},  {"田", 40},  {"任", 40},  {"姜", 30},  {"范", 30},  {"方", 15},  {"石", 30},
    {"姚", 20},  {"谭", 10},  {"廖", 5},   {"邹", 10},  {"熊", 5},   {"金", 15},  {"陆", 10},
    {"郝", 40},  {"孔", 15},  {"白", 30},  {"崔", 30},  {"康", 20},  {"毛", 15},  {"邱", 10},
    {"秦", 20},  {"江", 10},  {"史", 20},  {"顾", 10},  {"侯", 30},  {"邵", 10},  {"孟", 30},
    {"龙", 5},   {"万", 10},  {"段", 20},  {"雷", 15},  {"钱", 10},  {"汤", 5},   {"尹", 15},
    {"易", 5},   {"常", 25},  {"武", 40},  {"乔", 25},  {"贺", 20},  {"赖", 3},   {"龚", 5},
    {"文", 10},  {"牛", 25},  {"庞", 10},  {"樊", 15},  {"兰", 10},  {"殷", 5},   {"施", 5},
    {"陶", 10},  {"翟", 15},  {"安", 15},  {"申", 10},  {"温", 15},  {"齐", 20},  {"耿", 15},
    {"靳", 10},  {"闫", 40},  {"霍", 15},  {"岳", 15},  {"尚", 10},  {"欧阳", 2}, {"司马", 1},
    {"上官", 1}, {"薄", 5},   {"解", 5},   {"燕", 5},   {"裴", 10},  {"祁", 10},  {"柴", 10},
    {"宁", 10},  {"冀", 5},   {"杭", 3},   {"巩", 5},   {"苗", 10}};

const Weighted kHuiSurnames[] = {{"马", 300}, {"杨", 80}, {"丁", 60}, {"白", 50}, {"海", 30},
                                 {"哈", 20},  {"纳", 20}, {"穆", 20}, {"沙", 20}, {"李", 50},
                                 {"刘", 40},  {"金", 30}, {"冯", 20}, {"苏", 20}, {"撒", 10},
                                 {"锁", 10},  {"拜", 10}, {"张", 40}, {"王", 40}, {"米", 10}};
const Weighted kManchuSurnames[] = {{"关", 80}, {"佟", 50}, {"那", 40}, {"金", 40}, {"赵", 50},
                                    {"付", 30}, {"肖", 30}, {"王", 50}, {"郎", 20}, {"富", 20},
                                    {"索", 20}, {"唐", 20}, {"何", 20}, {"罗", 20}, {"伊", 10}};
const Weighted kMongolSurnames[] = {{"包", 100}, {"白", 60}, {"鲍", 40}, {"奇", 30}, {"韩", 30},
                                    {"云", 20},  {"吴", 30}, {"宝", 20}, {"金", 20}, {"陶", 10},
                                    {"额", 10},  {"乌", 10}, {"王", 20}, {"张", 10}, {"那", 10}};
const Weighted kDaurSurnames[] = {{"敖", 40}, {"郭", 30}, {"孟", 30}, {"何", 20},
                                  {"苏", 20}, {"金", 20}, {"沃", 10}, {"德", 10}};
const Weighted kEwenkiSurnames[] = {{"杜", 40}, {"涂", 30}, {"何", 20},
                                    {"吴", 20}, {"白", 20}, {"卡", 5}};
const Weighted kKoreanSurnames[] = {{"金", 100}, {"李", 60}, {"朴", 60}, {"崔", 30}, {"郑", 30},
                                    {"姜", 20},  {"赵", 20}, {"尹", 10}, {"张", 20}, {"全", 10}};

// Given names by decade of birth: index 0 before 1950, 1 the 1950s, ... 6 the 2000s, 7 since
// 2010. Two-character names; single characters are drawn separately.
const std::vector<const char*> kMaleGiven[8] = {
    {"福生", "德明", "志成", "玉山", "万福", "有才", "长生", "金贵", "文华", "树林", "振华",
     "德胜", "永祥", "占魁", "宝山", "富贵", "国栋", "殿臣", "连生", "庆余", "润田", "守仁"},
    {"建国", "建华", "国庆", "援朝", "建设", "国强", "志刚", "建民", "跃进", "卫国", "爱国",
     "保国", "志军", "振国", "胜利", "新民", "和平", "德华", "永红", "金山", "广才", "富强"},
    {"建军", "卫东", "卫红", "向东", "红卫", "志勇", "建伟", "永强", "学军", "海军", "国华",
     "建平", "立新", "晓东", "春生", "铁军", "东升", "跃华", "建新", "文革", "卫兵", "建林"},
    {"海涛", "志强", "建峰", "立军", "海波", "永刚", "晓明", "俊峰", "红军", "东亮", "志明",
     "海滨", "建勇", "春雷", "晓峰", "宏伟", "立伟", "文斌", "振宇", "学文", "利军", "志宏"},
    {"晓东", "志伟", "海龙", "建华", "鹏飞", "俊杰", "文博", "振宇", "晓龙", "海峰", "伟东",
     "大鹏", "志鹏", "永亮", "雪峰", "旭东", "晓伟", "金龙", "宏亮", "亚军", "佳乐", "建波"},
    {"浩然", "宇航", "俊杰", "文杰", "志远", "天宇", "晨阳", "子豪", "明轩", "鹏程", "家豪",
     "佳豪", "博文", "嘉伟", "宏宇", "思远", "泽宇", "晓宇", "一鸣", "逸飞", "嘉豪", "子健"},
    {"浩宇", "子轩", "宇轩", "浩然", "子涵", "俊熙", "梓豪", "宇航", "博文", "皓轩", "梓轩",
     "天佑", "子墨", "睿哲", "铭轩", "明哲", "煜城", "嘉懿", "宇泽", "晟睿", "浩轩", "雨泽"},
    {"沐宸", "梓睿", "奕辰", "浩宇", "宇泽", "一诺", "子墨", "皓轩", "沐阳", "锦程", "思源",
     "梓豪", "俊宇", "承泽", "梓晨", "宸熙", "睿泽", "瑾瑜", "景行", "安之", "子睿", "铭泽"},
};
const std::vector<const char*> kFemaleGiven[8] = {
    {"秀英", "桂英", "秀兰", "玉兰", "桂兰", "淑珍", "凤英", "玉珍", "玉梅", "凤兰", "桂芳",
     "秀珍", "玉英", "淑兰", "桂珍", "凤珍", "素珍", "玉芳", "秀芳", "桂香", "翠英", "兰英"},
    {"秀英", "桂荣", "淑华", "秀云", "玉华", "凤琴", "桂琴", "秀荣", "淑英", "丽华", "玉兰",
     "建英", "淑芬", "秀芝", "翠兰", "金凤", "爱华", "桂芝", "美英", "素英", "桂英", "玉琴"},
    {"红梅", "丽华", "秀梅", "海燕", "丽萍", "建华", "红霞", "玉梅", "晓红", "卫红", "春梅",
     "秀琴", "桂香", "红英", "立新", "凤霞", "艳华", "春花", "丽君", "美华", "爱玲", "秀丽"},
    {"丽娟", "海燕", "艳红", "红梅", "晓燕", "春燕", "丽丽", "秀娟", "艳梅", "红艳", "晓丽",
     "雪梅", "彩霞", "丽红", "慧敏", "海霞", "桂花", "晓霞", "文静", "丽霞", "玉霞", "志红"},
    {"丽娜", "婷婷", "晓丽", "海燕", "丽丽", "晓燕", "晶晶", "雪梅", "佳丽", "娜娜", "红霞",
     "敏敏", "慧敏", "莉莉", "倩倩", "媛媛", "丹丹", "静静", "晓琳", "艳霞", "美玲", "亚楠"},
    {"婷婷", "雪莹", "佳欣", "欣怡", "梦瑶", "思雨", "晓雪", "雨欣", "佳慧", "文静", "丹丹",
     "晓彤", "嘉欣", "静怡", "诗雨", "梦琪", "佳琪", "雅琪", "思琪", "雪婷", "佳宁", "晓萌"},
    {"欣怡", "梓涵", "子涵", "雨涵", "佳怡", "诗涵", "梦琪", "思涵", "紫涵", "可欣", "雨萱",
     "欣妍", "梓萱", "语嫣", "一诺", "佳琪", "雨桐", "心怡", "梦瑶", "若曦", "思彤", "雅涵"},
    {"一诺", "依诺", "若汐", "语桐", "梓萱", "沐希", "欣妍", "可馨", "诗涵", "芷若", "雨桐",
     "艺涵", "思彤", "梓涵", "语汐", "安然", "芊芊", "晗玥", "悦彤", "星瑶", "梓琪", "沐瑶"},
};
const std::vector<const char*> kMaleSingle[4] = {
    {"福", "贵", "林", "山", "发", "财", "顺", "海", "才", "旺", "喜", "富"},
    {"军", "强", "华", "平", "明", "东", "勇", "兵", "刚", "斌", "建", "伟", "忠", "红"},
    {"伟", "磊", "勇", "军", "杰", "涛", "斌", "超", "鹏", "刚",
     "亮", "峰", "强", "波", "辉", "宁", "飞", "龙", "洋", "凯"},
    {"浩", "鑫", "宇", "帅", "博", "航", "杰", "晨", "旭", "阳",
     "哲", "睿", "轩", "昊", "泽", "骁", "瑞", "毅", "琦", "磊"},
};
const std::vector<const char*> kFemaleSingle[4] = {
    {"英", "兰", "珍", "芳", "梅", "秀", "凤", "花", "香", "娥", "玲", "桂"},
    {"华", "英", "萍", "红", "梅", "霞", "芳", "琴", "燕", "丽", "敏", "静"},
    {"静", "丽", "娜", "敏", "燕", "艳", "红", "霞", "晶", "婷",
     "莉", "洁", "琳", "颖", "娟", "丹", "玲", "慧", "倩", "蕾"},
    {"婷", "雪", "佳", "欣", "悦", "琪", "瑶", "萱", "彤", "璐",
     "怡", "菲", "琳", "晴", "妍", "涵", "薇", "茜", "楠", "冉"},
};

const char* const kMongolMale[] = {"巴特尔",     "额尔敦",   "阿拉坦仓", "那仁",   "巴图",
                                   "朝鲁",       "苏和",     "宝音",     "孟和",   "毕力格",
                                   "额尔德木图", "巴雅尔",   "特木尔",   "呼和",   "布和",
                                   "哈斯",       "吉日嘎拉", "乌力吉",   "图门",   "达来",
                                   "乌恩",       "阿拉坦",   "巴音",     "满都拉", "斯琴毕力格"};
const char* const kMongolFemale[] = {
    "其其格", "斯琴",   "乌云",   "苏日娜", "娜仁花",   "图雅",         "高娃", "萨仁",
    "其木格", "乌兰",   "敖登",   "格日乐", "斯琴高娃", "萨日娜",       "塔娜", "托娅",
    "琪琪格", "阿茹娜", "娜布其", "乌日娜", "其其格玛", "额尔登其其格", "孟根"};
const char* const kTibetanMale[] = {"扎西", "次仁", "达瓦", "旦增", "格桑",
                                    "尼玛", "多吉", "平措", "洛桑", "索朗"};
const char* const kTibetanFemale[] = {"卓玛", "央金", "拉姆",     "德吉",     "措姆",
                                      "白玛", "曲珍", "次仁卓玛", "格桑梅朵", "央宗"};
const char* const kUyghurMale[] = {"买买提", "艾力", "阿不都", "吐尔逊",   "热合曼",
                                   "艾尔肯", "努尔", "亚森",   "伊力哈木", "阿迪力"};
const char* const kUyghurFemale[] = {"阿依古丽", "古丽娜尔", "帕提古丽", "热依拉",
                                     "迪丽拜尔", "努尔古丽", "阿曼古丽", "米日古丽"};
const char* const kKoreanMale[] = {"哲洙", "英浩", "成哲", "光日", "永男", "东植", "在浩", "昌浩"};
const char* const kKoreanFemale[] = {"美英", "顺姬", "英淑", "贞淑",
                                     "明玉", "惠珍", "恩惠", "贤珠"};

// Wuhai's ethnic mix, per ten thousand heads of household.
const Weighted kEthnicities[] = {{"01", 9150}, {"02", 380}, {"03", 190}, {"11", 140}, {"31", 20},
                                 {"45", 12},   {"10", 18},  {"04", 12},  {"15", 12},  {"08", 8},
                                 {"06", 8},    {"38", 8},   {"05", 8},   {"30", 6},   {"26", 4},
                                 {"52", 4},    {"13", 4},   {"14", 3},   {"17", 3}};

int Era(int birth_year) {
  if (birth_year < 1950) return 0;
  if (birth_year >= 2010) return 7;
  return (birth_year - 1940) / 10;
}

// Share of one-character given names by era: rare before 1970, most common in the 1980s.
constexpr double kSingleShare[8] = {0.10, 0.12, 0.16, 0.30, 0.40, 0.33, 0.18, 0.10};
constexpr int kSingleEra[8] = {0, 1, 1, 2, 2, 3, 3, 3};

}  // namespace

std::string GivenName(Rng& rng, int gender, int birth_year) {
  int era = Era(birth_year);
  bool male = gender == 1;
  if (rng.Chance(kSingleShare[era])) {
    const auto& list = male ? kMaleSingle[kSingleEra[era]] : kFemaleSingle[kSingleEra[era]];
    return list[rng.Below(list.size())];
  }
  // Names drift: sometimes one from the neighbouring decade.
  int pick = era;
  if (rng.Chance(0.25)) pick = std::max(0, std::min(7, era + (rng.Chance(0.5) ? -1 : 1)));
  const auto& list = male ? kMaleGiven[pick] : kFemaleGiven[pick];
  return list[rng.Below(list.size())];
}

std::string SurnameFor(Rng& rng, std::string_view ethnicity) {
  if (ethnicity == "03" || ethnicity == "26") return PickWeighted(rng, kHuiSurnames);
  if (ethnicity == "11" || ethnicity == "38") return PickWeighted(rng, kManchuSurnames);
  if (ethnicity == "02") return PickWeighted(rng, kMongolSurnames);
  if (ethnicity == "31") return PickWeighted(rng, kDaurSurnames);
  if (ethnicity == "45" || ethnicity == "52") return PickWeighted(rng, kEwenkiSurnames);
  if (ethnicity == "10") return PickWeighted(rng, kKoreanSurnames);
  return PickWeighted(rng, kHanSurnames);
}

PersonName MakeName(Rng& rng, int gender, int birth_year, std::string_view ethnicity,
                    std::string_view surname) {
  bool male = gender == 1;
  PersonName out;
  if (ethnicity == "02") {  // Mongolian: most go by a Mongolian name alone
    if (rng.Chance(0.55)) {
      out.full = male ? PickOne(rng, kMongolMale) : PickOne(rng, kMongolFemale);
      return out;
    }
    out.surname = surname.empty() ? SurnameFor(rng, ethnicity) : std::string(surname);
    std::string given = rng.Chance(0.4) ? std::string(male ? PickOne(rng, kMongolMale)
                                                           : PickOne(rng, kMongolFemale))
                                        : GivenName(rng, gender, birth_year);
    out.full = out.surname + given;
    return out;
  }
  if (ethnicity == "04") {
    out.full = male ? PickOne(rng, kTibetanMale) : PickOne(rng, kTibetanFemale);
    if (rng.Chance(0.3))
      out.full += male ? PickOne(rng, kTibetanMale) : PickOne(rng, kTibetanFemale);
    return out;
  }
  if (ethnicity == "05") {  // given name · father's name
    out.full = std::string(male ? PickOne(rng, kUyghurMale) : PickOne(rng, kUyghurFemale)) + "·" +
               PickOne(rng, kUyghurMale);
    return out;
  }
  if (ethnicity == "10") {
    out.surname = surname.empty() ? SurnameFor(rng, ethnicity) : std::string(surname);
    out.full = out.surname + (male ? PickOne(rng, kKoreanMale) : PickOne(rng, kKoreanFemale));
    return out;
  }
  out.surname = surname.empty() ? SurnameFor(rng, ethnicity) : std::string(surname);
  out.full = out.surname + GivenName(rng, gender, birth_year);
  return out;
}

std::string_view PickEthnicity(Rng& rng) { return PickWeighted(rng, kEthnicities); }

std::string_view PickMinority(Rng& rng) {
  int weights[std::size(kEthnicities)];
  for (size_t i = 0; i < std::size(kEthnicities); ++i) {
    weights[i] = i == 0 ? 0 : kEthnicities[i].weight;
  }
  return kEthnicities[rng.Weighted(weights)].text;
}

}  // namespace shequ::gen
