// Chinese names for generated people: surnames by frequency, given names by gender and birth
// decade, and the naming customs of Wuhai's minorities (Mongolian names without a surname, Hui
// and Manchu surnames, Tibetan and Uyghur names).
#pragma once

#include <string>
#include <string_view>

#include "tools/gen/rng.h"

namespace shequ::gen {

struct PersonName {
  std::string surname;  // "" for names without one (many Mongolian, Tibetan, Uyghur names)
  std::string full;
};

// gender: 1 male, 2 female. `surname` is the family's (inherited from the father) or "" to choose
// one; a name style without surnames may ignore it.
PersonName MakeName(Rng& rng, int gender, int birth_year, std::string_view ethnicity,
                    std::string_view surname);
// A surname as the ethnic group's families commonly carry it.
std::string SurnameFor(Rng& rng, std::string_view ethnicity);
// A Han-style given name of one or two characters for the birth decade.
std::string GivenName(Rng& rng, int gender, int birth_year);

// Ethnicity code (GB 3304) drawn from Wuhai's mix: 汉族 ~91%, 蒙古族 ~4%, 回族 ~2%, 满族 ~1.5%.
std::string_view PickEthnicity(Rng& rng);
// A minority drawn with the same relative weights (for mixed marriages).
std::string_view PickMinority(Rng& rng);

}  // namespace shequ::gen
