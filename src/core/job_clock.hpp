// Time as every rank of a job reports it: seconds since the job's epoch, which rank 0 takes
// from its wall clock at the start and sends to every worker.
#pragma once

#include <chrono>

namespace tasktrack {

// Seconds since the Unix epoch, as a double (microsecond resolution).
inline double unix_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

// The epoch is a wall-clock time, so that ranks' times line up and epoch + seconds is a date
// to show and store. The seconds since it run on this process's steady clock from the moment
// the clock is made: a step of the wall clock (NTP, an administrator) later in the job moves
// no deadline, timeout, heartbeat or interval. Copies share their anchor.
struct JobClock {
  double epoch_unix = unix_seconds();
  // Where this process's steady clock stood when the clock was made, and the job time then.
  std::chrono::steady_clock::time_point anchor = std::chrono::steady_clock::now();
  double seconds_at_anchor = unix_seconds() - epoch_unix;

  double now() const {
    using namespace std::chrono;
    return seconds_at_anchor + duration<double>(steady_clock::now() - anchor).count();
  }
};

}  // namespace tasktrack
