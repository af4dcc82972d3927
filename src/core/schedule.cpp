#include "core/schedule.hpp"

namespace tasktrack {

std::string_view to_string(Schedule schedule) {
  switch (schedule) {
    case Schedule::static_shares:
      return "static";  // the name users type; static_shares only dodges the keyword
    case Schedule::dynamic:
      return "dynamic";
    case Schedule::guided:
      return "guided";
  }
  return "unknown";
}

std::optional<Schedule> schedule_from_string(std::string_view text) {
  for (const Schedule schedule : {Schedule::static_shares, Schedule::dynamic, Schedule::guided}) {
    if (text == to_string(schedule)) return schedule;
  }
  return std::nullopt;
}

}  // namespace tasktrack
