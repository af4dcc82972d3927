// The TOML job file: the same keys as the flags of `tasktrack run`, plus a [params] table.
#pragma once

#include <string>

#include "cli/settings.hpp"

namespace tasktrack {

// Reads a TOML job file into Settings. Each key's TOML type is checked here (the option
// table says which); its value is checked later, with the flags'. A relative path in a job
// file means relative to the job file's folder. Throws UsageError naming the file, the line
// and the key.
Settings read_job_file(const std::string& path);

}  // namespace tasktrack
