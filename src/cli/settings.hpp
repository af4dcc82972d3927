// What the user asked for, before validation: each option's value as text, and where it
// came from, so that an error can point at it. Flags and job-file values are the same
// Settings and go through the same checks (make_job.hpp).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tasktrack {

// One setting as the user wrote it ("30s"), and where: "--heartbeat", or
// "heartbeat (job file 'pi.toml', line 3)".
struct Setting {
  std::string text;
  std::string where;
};

struct Settings {
  std::map<std::string, Setting, std::less<>> given;  // by option name; a flag replaces a key
  std::map<std::string, std::string> params;          // --param and the [params] table
  std::string job_file;                               // the TOML file read, if any
  // The values of `::: a b ::: c d` (or the job file's `sets`), set by command_line.cpp or
  // job_file.cpp along with given["sets"], which says where they came from. Kept apart from
  // that text: the values are bytes for the command, any bytes, and travel unchanged.
  std::vector<std::vector<std::string>> argument_sets;

  // The setting of option `name`, or null when neither a flag nor the job file gave it.
  const Setting* find(std::string_view name) const {
    const auto found = given.find(name);
    return found == given.end() ? nullptr : &found->second;
  }
};

}  // namespace tasktrack
