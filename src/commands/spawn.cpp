#include "commands/spawn.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>

extern char** environ;  // NOLINT: POSIX, not in any C++ header

namespace tasktrack::process {
namespace {

class SpawnFileActions {
 public:
  SpawnFileActions() {
    if (const int rc = posix_spawn_file_actions_init(&actions_); rc != 0) {
      throw system_call_error("posix_spawn_file_actions_init", rc);
    }
  }
  ~SpawnFileActions() { posix_spawn_file_actions_destroy(&actions_); }
  SpawnFileActions(const SpawnFileActions&) = delete;
  SpawnFileActions& operator=(const SpawnFileActions&) = delete;

  // dup2 clears FD_CLOEXEC on the copy (glibc also does so when fd == target).
  void dup2(int fd, int target) {
    if (const int rc = posix_spawn_file_actions_adddup2(&actions_, fd, target); rc != 0) {
      throw system_call_error("posix_spawn_file_actions_adddup2", rc);
    }
  }
  // Whatever this process left inheritable (MPI sockets, other threads' files) stays here.
  void close_from([[maybe_unused]] int lowest) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    if (const int rc = posix_spawn_file_actions_addclosefrom_np(&actions_, lowest); rc != 0) {
      throw system_call_error("posix_spawn_file_actions_addclosefrom_np", rc);
    }
#endif
  }
  // glibc 2.29 and later; the file actions run in order, after the dup2s.
  void chdir(const std::string& path) {
    if (const int rc = posix_spawn_file_actions_addchdir_np(&actions_, path.c_str()); rc != 0) {
      throw system_call_error("posix_spawn_file_actions_addchdir_np", rc);
    }
  }
  const posix_spawn_file_actions_t* get() const {
    return &actions_;
  }

 private:
  posix_spawn_file_actions_t actions_;
};

class SpawnAttributes {
 public:
  SpawnAttributes() {
    if (const int rc = posix_spawnattr_init(&attributes_); rc != 0) {
      throw system_call_error("posix_spawnattr_init", rc);
    }
  }
  ~SpawnAttributes() { posix_spawnattr_destroy(&attributes_); }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;

  posix_spawnattr_t* get() { return &attributes_; }

 private:
  posix_spawnattr_t attributes_;
};

// A CPU set of any size (CPU_ALLOC): ids past CPU_SETSIZE exist on large nodes.
class CpuSet {
 public:
  explicit CpuSet(unsigned cpus)
      : cpus_(std::max<unsigned>(cpus, CPU_SETSIZE)),
        set_(CPU_ALLOC(cpus_)),
        bytes_(CPU_ALLOC_SIZE(cpus_)) {
    if (set_ == nullptr) throw std::bad_alloc();
    CPU_ZERO_S(bytes_, set_);
  }
  ~CpuSet() { CPU_FREE(set_); }
  CpuSet(const CpuSet&) = delete;
  CpuSet& operator=(const CpuSet&) = delete;

  void add(unsigned cpu) { CPU_SET_S(cpu, bytes_, set_); }
  cpu_set_t* get() { return set_; }
  std::size_t bytes() const { return bytes_; }

 private:
  unsigned cpus_;
  cpu_set_t* set_;
  std::size_t bytes_;
};

// Pins the calling thread to `cpus` for its lifetime, then puts its mask back.
//
// Why the thread: posix_spawn has no affinity attribute, and the child of posix_spawn (a
// vfork-like clone of this thread) inherits the calling thread's mask, which it keeps across
// exec. sched_setaffinity(0) changes the calling thread only (Linux: pid 0 is this thread),
// so the pool's other threads, and their own spawns, are not disturbed. The mask is put
// back at once: the pool thread itself is not bound to one attempt's cores.
class PinnedForSpawn {
 public:
  explicit PinnedForSpawn(std::span<const unsigned> cpus)
      : saved_(largest(cpus) + 1), pinned_(largest(cpus) + 1) {
    if (cpus.empty()) return;
    if (::sched_getaffinity(0, saved_.bytes(), saved_.get()) != 0) {
      throw system_call_error("sched_getaffinity", errno);
    }
    for (const unsigned cpu : cpus) pinned_.add(cpu);
    if (::sched_setaffinity(0, pinned_.bytes(), pinned_.get()) != 0) {
      throw system_call_error("sched_setaffinity(the command's cores)", errno);
    }
    active_ = true;
  }
  // Restoring the mask this thread just had cannot fail for a reason worth a throw here.
  ~PinnedForSpawn() {
    if (active_) (void)::sched_setaffinity(0, saved_.bytes(), saved_.get());
  }
  PinnedForSpawn(const PinnedForSpawn&) = delete;
  PinnedForSpawn& operator=(const PinnedForSpawn&) = delete;

 private:
  static unsigned largest(std::span<const unsigned> cpus) {
    return cpus.empty() ? 0 : *std::max_element(cpus.begin(), cpus.end());
  }
  CpuSet saved_;
  CpuSet pinned_;
  bool active_ = false;
};

void check_spawn_call(int rc, const char* routine) {
  if (rc != 0) throw system_call_error(routine, rc);
}

}  // namespace

FileDescriptor open_file(const std::string& path, int flags, const char* role) {
  for (;;) {
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
    if (fd >= 0) return FileDescriptor(fd);
    if (errno == EINTR) continue;
    throw system_call_error("open(" + path + ") for the command's " + role, errno);
  }
}

void check_no_nul(std::string_view text, const char* what) {
  if (text.find('\0') != std::string_view::npos) {
    throw std::invalid_argument(
        std::string(what) + " contains a NUL byte: " + abbreviate(text.substr(0, text.find('\0'))));
  }
}

bool is_launcher_variable(std::string_view name) {
  const auto starts = [&](std::string_view prefix) { return name.starts_with(prefix); };
  if (starts("OMPI_")) {
    if (starts("OMPI_ALLOW_RUN_AS_ROOT")) return false;
    if (!starts("OMPI_MCA_")) return true;
    // What mpirun sets among the MCA parameters (Open MPI 4.1 and 5); a user's own
    // settings (OMPI_MCA_btl=...) apply to a nested MPI program as to any other.
    for (const std::string_view launcher :
         {"OMPI_MCA_ess", "OMPI_MCA_orte_", "OMPI_MCA_pmix", "OMPI_MCA_prte_",
          "OMPI_MCA_initial_wdir", "OMPI_MCA_mpi_oversubscribe", "OMPI_MCA_shmem_"}) {
      if (starts(launcher)) return true;
    }
    return false;
  }
  for (const std::string_view prefix : {"PMIX_", "PRTE_", "PMI_", "HYDRA_", "HYDI_"}) {
    if (starts(prefix)) return true;
  }
  return name == "MPI_LOCALNRANKS" || name == "MPI_LOCALRANKID";
}

std::vector<std::string> build_environment(const std::map<std::string, std::string>& extra,
                                           bool keep_mpi_environment) {
  for (const auto& [name, value] : extra) {
    if (name.empty() || name.find('=') != std::string::npos) {
      throw std::invalid_argument("invalid environment variable name '" + abbreviate(name) + "'");
    }
    check_no_nul(name, "environment variable name");
    check_no_nul(value, ("environment variable " + name).c_str());
  }
  std::vector<std::string> entries;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const std::size_t equals = text.find('=');
    const std::string_view name = text.substr(0, equals);
    if (equals != std::string_view::npos && extra.count(std::string(name)) != 0) continue;
    if (!keep_mpi_environment && is_launcher_variable(name)) continue;
    entries.emplace_back(text);
  }
  for (const auto& [name, value] : extra) entries.push_back(name + "=" + value);
  return entries;
}

// posix_spawn, not fork: no copy of a large MPI process's page tables, and no atfork
// handlers (some MPI libraries warn or break on fork).
Spawned spawn_program(const ProgramCall& call, int input, int output, int error_output,
                      const std::vector<std::string>& environment, std::span<const unsigned> cpus) {
  SpawnFileActions actions;
  actions.dup2(input, STDIN_FILENO);
  actions.dup2(output, STDOUT_FILENO);
  actions.dup2(error_output, STDERR_FILENO);
  actions.close_from(STDERR_FILENO + 1);
  if (!call.cwd.empty()) actions.chdir(call.cwd);

  SpawnAttributes attributes;
  // Own process group (pgid = its pid) so a stop reaches everything the shell started.
  // The calling pool thread may block signals, and ignored signals survive exec: the
  // command starts with an empty mask and the usual dispositions, as from a login shell.
  check_spawn_call(
      posix_spawnattr_setflags(
          attributes.get(), POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF),
      "posix_spawnattr_setflags");
  check_spawn_call(posix_spawnattr_setpgroup(attributes.get(), 0), "posix_spawnattr_setpgroup");
  sigset_t mask;
  sigemptyset(&mask);
  check_spawn_call(posix_spawnattr_setsigmask(attributes.get(), &mask),
                   "posix_spawnattr_setsigmask");
  sigset_t defaults;
  sigemptyset(&defaults);
  for (const int number : {SIGPIPE, SIGXFSZ, SIGCHLD, SIGINT, SIGQUIT, SIGTERM}) {
    sigaddset(&defaults, number);
  }
  check_spawn_call(posix_spawnattr_setsigdefault(attributes.get(), &defaults),
                   "posix_spawnattr_setsigdefault");

  std::vector<char*> environment_pointers;
  environment_pointers.reserve(environment.size() + 1);
  for (const std::string& entry : environment) {
    environment_pointers.push_back(const_cast<char*>(entry.c_str()));
  }
  environment_pointers.push_back(nullptr);
  std::vector<char*> arguments;
  arguments.reserve(call.arguments.size() + 1);
  for (const std::string& argument : call.arguments) {
    arguments.push_back(const_cast<char*>(argument.c_str()));
  }
  arguments.push_back(nullptr);

  Spawned spawned;
  {
    const PinnedForSpawn pinned(cpus);  // the child inherits this thread's mask
    // glibc reports a failed exec (E2BIG for an over-long command, ENOENT) or chdir as the
    // result. posix_spawnp searches the PATH of this process, not `environment`'s.
    spawned.error =
        call.search_path
            ? posix_spawnp(&spawned.pid, call.program.c_str(), actions.get(), attributes.get(),
                           arguments.data(), environment_pointers.data())
            : posix_spawn(&spawned.pid, call.program.c_str(), actions.get(), attributes.get(),
                          arguments.data(), environment_pointers.data());
  }
  if (spawned.error != 0) spawned.pid = -1;
  return spawned;
}

}  // namespace tasktrack::process
