// --deadline (issue 14): when the job must be over, as the user wrote it. Rank 0 turns it
// into an instant before the job starts (runtime/job_deadline.hpp); the core sees only that.
#pragma once

#include <optional>
#include <string>

namespace tasktrack {

struct DeadlineSetting {
  enum class Kind : unsigned char {
    automatic,  // "auto": Slurm's end time of the job under Slurm, none outside it
    none,       // "none"
    at,         // a date: `seconds` since the Unix epoch
    after,      // "+DURATION": `seconds` after the job's start
  };
  Kind kind = Kind::automatic;
  double seconds = 0;
};

// "auto", "none", "+DURATION" (parse_duration's units: +90s, +2h), a date-time
// "YYYY-MM-DDTHH:MM[:SS]" in local time (as squeue's %e writes it; a space for the 'T'
// is fine too), or an integer of seconds since the Unix epoch. Throws UsageError.
DeadlineSetting parse_deadline(const std::string& text);

// A date-time "YYYY-MM-DDTHH:MM[:SS]" in local time, or an integer of Unix seconds, as
// Unix seconds; nullopt when `text` is neither (squeue's "N/A", "Unknown").
std::optional<double> parse_date_time(const std::string& text);

}  // namespace tasktrack
