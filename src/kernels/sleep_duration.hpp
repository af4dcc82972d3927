// The sleep kernel's durations, apart from the sleeping, so tests can check the
// distributions over many draws without waiting for them. Internal header.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "tasktrack/subtask.hpp"

namespace tasktrack {

enum class SleepDistribution { fixed, exponential, pareto };

// "fixed", "exponential" or "pareto"; nullopt for anything else.
std::optional<SleepDistribution> parse_sleep_distribution(std::string_view text);

// Shape of the Pareto distribution: heavy-tailed (a few subtasks run far longer than the
// mean, as real task lists do) yet with a finite variance, so means converge.
inline constexpr double pareto_shape = 2.5;

// The duration subtask `id` sleeps, in whole microseconds, with expectation `mean_seconds`.
// A pure function of its arguments (counter-based draw keyed by seed and id), so every
// attempt of a subtask, on any rank, sleeps the same time. Pareto uses scale
// mean * (shape - 1) / shape so that its mean is `mean_seconds`. Precondition:
// mean_seconds >= 0.
std::int64_t sleep_duration_us(SleepDistribution distribution, double mean_seconds,
                               std::uint64_t seed, SubtaskId id);

}  // namespace tasktrack
