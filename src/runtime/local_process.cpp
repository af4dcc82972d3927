#include "runtime/local_process.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string_view>

namespace tasktrack {

std::string this_host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

bool local_process_running(long pid) {
  if (pid <= 0) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto close = line.rfind(')');  // the command name may hold spaces and parentheses
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z' &&
         line[close + 2] != 'X';
}

namespace {

// The parent pid in /proc/PID/stat; 0 when it cannot be read.
long parent_of(long pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return 0;
  const auto close = line.rfind(')');  // the command name may hold spaces and parentheses
  if (close == std::string::npos) return 0;
  long parent = 0;
  char state = 0;
  std::istringstream fields(line.substr(close + 1));
  fields >> state >> parent;
  return fields ? parent : 0;
}

// The MPI rank the launcher gave `pid` in its environment; -1 when none.
int rank_in_environment(long pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
  const std::string environment{std::istreambuf_iterator<char>(file), {}};
  for (const std::string name : {"OMPI_COMM_WORLD_RANK=", "PMIX_RANK=", "PMI_RANK="}) {
    for (std::size_t at = environment.find(name); at != std::string::npos;
         at = environment.find(name, at + 1)) {
      if (at != 0 && environment[at - 1] != '\0') continue;  // inside another variable
      const std::size_t first = at + name.size();
      const std::size_t end = environment.find('\0', first);
      const std::string value = environment.substr(first, end - first);
      if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos) continue;
      return std::stoi(value);
    }
  }
  return -1;
}

}  // namespace

std::vector<SiblingRank> sibling_ranks() {
  const long self = ::getpid();
  const long parent = ::getppid();
  std::vector<SiblingRank> siblings;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.size() > 9 ||
        name.find_first_not_of("0123456789") != std::string::npos)
      continue;
    const long pid = std::stol(name);
    if (pid == self || parent_of(pid) != parent) continue;
    if (const int rank = rank_in_environment(pid); rank >= 0) siblings.push_back({rank, pid});
  }
  return siblings;
}

long sibling_rank_pid(int rank) {
  for (const SiblingRank& sibling : sibling_ranks()) {
    if (sibling.rank == rank) return sibling.pid;
  }
  return 0;
}

bool launched_by_plain_mpirun() {
  const char* recovery = std::getenv("OMPI_MCA_orte_enable_recovery");
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr &&
         (recovery == nullptr || std::string_view(recovery) != "1");
}

double cpu_seconds(bool thread) {
  rusage usage{};
  ::getrusage(thread ? RUSAGE_THREAD : RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

}  // namespace tasktrack
