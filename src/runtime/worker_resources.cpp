#include "runtime/worker_resources.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <limits>
#include <set>
#include <sstream>
#include <string_view>

#include "core/blocks.hpp"
#include "tasktrack/error.hpp"

namespace tasktrack {

namespace {

// cgroup v1 reports "no limit" as a page-rounded 2^63 - 1; anything past an exbibyte is
// that, whatever the page size.
constexpr std::uint64_t unlimited_cgroup_bytes = std::uint64_t{1} << 60;

std::optional<std::uint64_t> parse_unsigned(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return value;
}

std::string_view trimmed(std::string_view text) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  return text;
}

std::vector<std::string> split_commas(std::string_view text) {
  std::vector<std::string> items;
  if (trimmed(text).empty()) return items;
  for (std::size_t begin = 0;;) {
    const std::size_t comma = text.find(',', begin);
    items.emplace_back(trimmed(text.substr(begin, comma - begin)));
    if (comma == std::string_view::npos) break;
    begin = comma + 1;
  }
  return items;
}

// ---- cores ---------------------------------------------------------------------------------

unsigned owned_core_count(unsigned threads, NodeShare share, const ResourceProbe& probe) {
  if (threads > 0) return threads;
  const auto mask = static_cast<unsigned>(probe.affinity.size());
  if (mask > 0 && mask < probe.online_cores) return mask;
  if (const auto text = probe.variable("SLURM_CPUS_PER_TASK")) {
    const auto value = parse_unsigned(*text);
    if (value && *value > 0 && *value <= std::numeric_limits<unsigned>::max()) {
      return static_cast<unsigned>(*value);
    }
  }
  return std::max(1u, std::max(1u, probe.online_cores) / std::max(1u, share.ranks));
}

std::vector<unsigned> owned_cores(unsigned count, NodeShare share, const ResourceProbe& probe) {
  std::vector<unsigned> mask = probe.affinity;
  if (mask.empty()) {
    for (unsigned id = 0; id < std::max(1u, probe.online_cores); ++id) mask.push_back(id);
  }
  // A mask narrower than the node is this rank's own (mpirun --bind-to, srun's binding);
  // a node-wide one is shared with the node's other worker ranks: take this rank's slice.
  const bool node_wide = mask.size() >= probe.online_cores;
  const std::size_t first = node_wide && share.ranks > 1 ? std::size_t{share.index} * count : 0;
  std::vector<unsigned> cores;
  cores.reserve(count);
  for (std::size_t i = 0; i < count; ++i) cores.push_back(mask[(first + i) % mask.size()]);
  return cores;
}

// ---- GPUs ----------------------------------------------------------------------------------

// A device list from the environment. CUDA ignores the devices after an invalid one ("-1"
// hides them all), and Slurm writes "NoDevFiles" when the job has none.
std::vector<std::string> environment_devices(std::string_view text) {
  std::vector<std::string> devices;
  for (std::string& item : split_commas(text)) {
    if (item.empty() || item.front() == '-' || item == "NoDevFiles") break;
    devices.push_back(std::move(item));
  }
  return devices;
}

// The devices a rank may use, and whether the list is the whole node's (shared among the
// node's worker ranks) or already this rank's own.
struct VisibleDevices {
  std::vector<std::string> devices;
  bool node_wide = true;
};

// A visible-devices list (CUDA_VISIBLE_DEVICES, ROCR_VISIBLE_DEVICES) is this rank's own when
// Slurm's list for the node is longer: `srun --gpus-per-task` or `--gpu-bind` gave each task
// its own devices, and splitting them again would leave some ranks none. A list as long as
// Slurm's (mpirun inside an allocation; Slurm renumbers the ids under its cgroup, so only
// the count is compared), or with no Slurm list at all, is the node's.
bool visible_list_is_node_wide(std::size_t visible, const ResourceProbe& probe) {
  for (const char* name : {"SLURM_STEP_GPUS", "SLURM_JOB_GPUS"}) {
    if (const auto text = probe.variable(name)) return environment_devices(*text).size() <= visible;
  }
  return true;
}

VisibleDevices node_gpus(const std::string& option, const ResourceProbe& probe) {
  if (option == "none") return {};
  if (option == "auto") {
    for (const char* name :
         {"CUDA_VISIBLE_DEVICES", "SLURM_STEP_GPUS", "SLURM_JOB_GPUS", "ROCR_VISIBLE_DEVICES"}) {
      const auto text = probe.variable(name);
      if (!text) continue;
      VisibleDevices visible{environment_devices(*text), true};
      const std::string_view variable = name;
      if (variable == "CUDA_VISIBLE_DEVICES" || variable == "ROCR_VISIBLE_DEVICES") {
        visible.node_wide = visible_list_is_node_wide(visible.devices.size(), probe);
      }
      return visible;
    }
    return {};
  }
  std::vector<std::string> devices = split_commas(option);
  std::set<std::string> seen;
  for (const std::string& device : devices) {
    if (device.empty()) {
      throw UsageError("--gpus '" + option +
                       "': an empty device id (expected auto, none or ids such as 0,1,2,3)");
    }
    if (!seen.insert(device).second) {
      throw UsageError("--gpus '" + option + "': device " + device + " is listed twice");
    }
  }
  if (devices.empty()) {
    throw UsageError("--gpus '" + option + "': expected auto, none or ids such as 0,1,2,3");
  }
  return VisibleDevices{std::move(devices), true};  // a list given for the node
}

std::vector<std::string> share_of_devices(VisibleDevices visible, NodeShare share) {
  std::vector<std::string>& devices = visible.devices;
  if (share.ranks <= 1 || !visible.node_wide) return devices;
  const Range block = Blocks(static_cast<std::int64_t>(devices.size()), share.ranks)
                          .block(std::min(share.index, share.ranks - 1));
  return std::vector<std::string>(devices.begin() + block.lo, devices.begin() + block.hi);
}

// ---- memory --------------------------------------------------------------------------------

// The cgroup paths of this process from /proc/self/cgroup: the v2 one ("0::/path") and the
// v1 memory controller's ("N:memory:/path" or "N:cpu,memory:/path").
struct CgroupPaths {
  std::optional<std::string> unified;
  std::optional<std::string> memory_v1;
};

CgroupPaths cgroup_paths(const std::string& text) {
  CgroupPaths paths;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    const std::size_t first = line.find(':');
    const std::size_t second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const std::string path = line.substr(second + 1);
    if (line.compare(0, first, "0") == 0 && controllers.empty()) {
      paths.unified = path;
    } else {
      for (const std::string& controller : split_commas(controllers)) {
        if (controller == "memory") paths.memory_v1 = path;
      }
    }
  }
  return paths;
}

// The tightest limit in `file` of the cgroup at `path` under `root` and of its ancestors
// (a parent's limit binds its children too); nullopt when none sets one.
std::optional<std::uint64_t> tightest_limit(const ResourceProbe& probe, const std::string& root,
                                            std::string path, const std::string& file) {
  std::optional<std::uint64_t> tightest;
  while (true) {
    if (const auto text = probe.read_file(root + path + (path.ends_with('/') ? "" : "/") + file)) {
      const auto value = parse_unsigned(*text);  // "max" (v2's no limit) parses as none
      if (value && *value < unlimited_cgroup_bytes) {
        tightest = std::min(tightest.value_or(*value), *value);
      }
    }
    if (path.empty() || path == "/") break;
    const std::size_t slash = path.find_last_of('/');
    path = slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
  }
  return tightest;
}

std::optional<std::uint64_t> cgroup_memory_limit(const ResourceProbe& probe) {
  const auto text = probe.read_file("/proc/self/cgroup");
  if (!text) return std::nullopt;
  const CgroupPaths paths = cgroup_paths(*text);
  if (paths.unified) {
    if (auto limit = tightest_limit(probe, "/sys/fs/cgroup", *paths.unified, "memory.max")) {
      return limit;
    }
  }
  if (paths.memory_v1) {
    return tightest_limit(probe, "/sys/fs/cgroup/memory", *paths.memory_v1,
                          "memory.limit_in_bytes");
  }
  return std::nullopt;
}

std::optional<std::uint64_t> available_memory(const ResourceProbe& probe) {
  const auto text = probe.read_file("/proc/meminfo");
  if (!text) return std::nullopt;
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.starts_with("MemAvailable:")) continue;
    std::istringstream fields(line.substr(line.find(':') + 1));
    std::uint64_t kib = 0;
    if (fields >> kib) return kib * 1024;
  }
  return std::nullopt;
}

std::uint64_t node_memory(const ResourceProbe& probe) {
  if (const auto limit = cgroup_memory_limit(probe)) return *limit;
  if (const auto text = probe.variable("SLURM_MEM_PER_NODE")) {
    if (const auto mebibytes = parse_unsigned(*text); mebibytes && *mebibytes > 0) {
      return *mebibytes * 1024 * 1024;
    }
  }
  return available_memory(probe).value_or(0);
}

std::uint64_t owned_memory(const std::string& option, NodeShare share, const ResourceProbe& probe) {
  if (option == "auto") return node_memory(probe) / std::max(1u, share.ranks);
  try {
    return parse_memory_size(option);
  } catch (const UsageError& error) {
    throw UsageError(std::string("--mem: ") + error.what());
  }
}

std::optional<std::string> read_whole_file(const std::string& path) {
  std::ifstream file(path);
  if (!file) return std::nullopt;
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (file.bad()) return std::nullopt;
  return text;
}

}  // namespace

ResourceProbe this_process_probe() {
  ResourceProbe probe;
  probe.variable = [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
  probe.read_file = read_whole_file;
  const long online = ::sysconf(_SC_NPROCESSORS_ONLN);
  probe.online_cores = online > 0 ? static_cast<unsigned>(online) : 1;
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (::sched_getaffinity(0, sizeof(mask), &mask) == 0) {
    for (unsigned id = 0; id < CPU_SETSIZE; ++id) {
      if (CPU_ISSET(id, &mask)) probe.affinity.push_back(id);
    }
  }
  return probe;
}

OwnedResources discover_owned_resources(unsigned threads, const std::string& gpus_option,
                                        const std::string& memory_option, NodeShare share,
                                        const ResourceProbe& probe) {
  OwnedResources owned;
  owned.cores = owned_cores(owned_core_count(threads, share, probe), share, probe);
  owned.gpus = share_of_devices(node_gpus(gpus_option, probe), share);
  owned.memory_bytes = owned_memory(memory_option, share, probe);
  return owned;
}

OwnedResources discover_owned_resources(unsigned threads, const std::string& gpus_option,
                                        const std::string& memory_option, NodeShare share) {
  return discover_owned_resources(threads, gpus_option, memory_option, share, this_process_probe());
}

unsigned default_thread_count(unsigned ranks_on_node) {
  return owned_core_count(0, NodeShare{0, std::max(1u, ranks_on_node)}, this_process_probe());
}

}  // namespace tasktrack
