// `tasktrack summary FILE`: prints again the text summary a run wrote into its --summary-json
// file (its "text" key). The batch scripts use it when a run's own summary did not reach the
// output file: mpirun stops forwarding rank 0's stdout once it is told to terminate, so after
// a SIGTERM the summary rank 0 printed can be lost or cut off (issue 14).
#pragma once

#include <ostream>
#include <string>

namespace tasktrack {

// Prints the summary text held by the JSON summary at `path` to `out`. Throws UsageError (one
// line naming the file) when it cannot be read, is not JSON, or holds no summary text.
void print_saved_summary(const std::string& path, std::ostream& out);

}  // namespace tasktrack
