// The schedules a user names (--schedule); what each does is in core/schedule_policy.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace tasktrack {

// static:  each worker gets one contiguous share of the subtasks up front.
// dynamic: fixed-size batches on demand.
// guided:  batches that shrink as the job nears its end (OpenMP's guided).
enum class Schedule : std::uint8_t { static_shares, dynamic, guided };

std::string_view to_string(Schedule schedule);
std::optional<Schedule> schedule_from_string(std::string_view text);

}  // namespace tasktrack
