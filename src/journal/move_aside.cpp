#include "journal/move_aside.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <ctime>

#include "tasktrack/error.hpp"

namespace tasktrack {

std::string move_journal_aside(const std::string& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return "";
    throw system_error_from_errno("stat(" + path + ")");
  }
  // Local time, as `ls -l` shows the file's own time next to it.
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  ::localtime_r(&now, &local);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &local);
  const std::string base = path + "." + stamp;

  for (int suffix = 0; suffix < 10000; ++suffix) {
    const std::string target = suffix == 0 ? base : base + "." + std::to_string(suffix);
    // RENAME_NOREPLACE makes "is the name free" and the rename one step, so a concurrent
    // --fresh can never overwrite (delete) another journal set aside.
    if (::renameat2(AT_FDCWD, path.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) == 0) {
      return target;
    }
    if (errno == EEXIST) continue;
    if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) {
      throw system_error_from_errno("rename(" + path + ", " + target + ")");
    }
    // The file system has no RENAME_NOREPLACE (NFS): check, then rename.
    struct stat taken {};
    if (::lstat(target.c_str(), &taken) == 0) continue;
    if (::rename(path.c_str(), target.c_str()) != 0) {
      throw system_error_from_errno("rename(" + path + ", " + target + ")");
    }
    return target;
  }
  throw SystemError("rename(" + path + "): no free name of the form " + base + ".N");
}

}  // namespace tasktrack
