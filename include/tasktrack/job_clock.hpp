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

struct JobClock {
  double epoch_unix = unix_seconds();
  double now() const { return unix_seconds() - epoch_unix; }
};

}  // namespace tasktrack
