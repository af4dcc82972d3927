// What a worker rank says about itself in its hello.
#pragma once

#include <string>

namespace tasktrack {

struct WorkerInfo {
  int rank = 0;
  std::string host;
  unsigned threads = 1;  // pool threads: subtasks it runs at once
  long pid = 0;
  friend bool operator==(const WorkerInfo&, const WorkerInfo&) = default;
};

}  // namespace tasktrack
