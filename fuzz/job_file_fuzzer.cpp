// libFuzzer target for job files: any bytes as a TOML job file must give a JobSpec or a
// UsageError (exit 2, one line); any other exception, a crash or a hang is a finding.
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "cli/command_line.hpp"
#include "tasktrack/error.hpp"
#include "tasktrack/kernel.hpp"

namespace {

// One file per fuzzing process, rewritten for every input; parse_command_line reads a path.
const std::string& job_file_path() {
  static const std::string path = [] {
    std::string pattern = "/tmp/tasktrack-job-fuzz-XXXXXX.toml";
    const int fd = ::mkstemps(pattern.data(), 5);
    if (fd < 0) std::abort();
    ::close(fd);
    return pattern;
  }();
  static const bool removed_at_exit = std::atexit([] { ::unlink(job_file_path().c_str()); }) == 0;
  (void)removed_at_exit;
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = job_file_path();
  const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC);
  if (fd < 0) std::abort();
  for (std::size_t done = 0; done < size;) {
    const ssize_t written = ::write(fd, data + done, size - done);
    if (written <= 0) std::abort();
    done += static_cast<std::size_t>(written);
  }
  ::close(fd);

  try {
    const tasktrack::Command command =
        tasktrack::parse_command_line({"run", path}, tasktrack::kernel_registry());
    // A job that passed validation keeps the invariants everything past JobSpec assumes.
    const tasktrack::JobSpec& job = command.job;
    if (command.kind != tasktrack::Command::Kind::run) __builtin_trap();
    const tasktrack::Range range = job.range();
    if (!(range.lo < range.hi) || job.subtasks < 1 ||
        static_cast<std::uint64_t>(job.subtasks) > static_cast<std::uint64_t>(range.size())) {
      __builtin_trap();
    }
    (void)job.partition();
  } catch (const tasktrack::UsageError&) {
  }
  return 0;
}
