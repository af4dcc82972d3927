#include "runtime/launcher_node_share.hpp"

#include <charconv>
#include <string>
#include <string_view>

namespace tasktrack {

namespace {

std::optional<int> number(std::string_view text) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

std::optional<int> variable(const EnvironmentLookup& environment, const char* name) {
  const std::optional<std::string> text = environment(name);
  return text ? number(*text) : std::nullopt;
}

// The count of node `node` in Slurm's compressed list: "2(x3),1" is 2, 2, 2, 1.
std::optional<int> tasks_on_node(std::string_view list, int node) {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    int repeat = 1;
    if (const std::size_t open = item.find("(x"); open != std::string_view::npos) {
      if (item.back() != ')') return std::nullopt;
      const std::optional<int> times = number(item.substr(open + 2, item.size() - open - 3));
      if (!times || *times == 0) return std::nullopt;
      repeat = *times;
      item = item.substr(0, open);
    }
    const std::optional<int> count = number(item);
    if (!count) return std::nullopt;
    if (node < repeat) return count;
    node -= repeat;
  }
  return std::nullopt;
}

}  // namespace

std::optional<LocalPlace> launcher_local_place(const EnvironmentLookup& environment) {
  std::optional<int> rank = variable(environment, "OMPI_COMM_WORLD_LOCAL_RANK");
  std::optional<int> size = variable(environment, "OMPI_COMM_WORLD_LOCAL_SIZE");
  if (!rank || !size) {
    rank = variable(environment, "SLURM_LOCALID");
    const std::optional<int> node = variable(environment, "SLURM_NODEID");
    const std::optional<std::string> list = environment("SLURM_STEP_TASKS_PER_NODE");
    size = node && list ? tasks_on_node(*list, *node) : std::nullopt;
  }
  if (!rank || !size || *rank >= *size) return std::nullopt;
  return LocalPlace{*rank, *size};
}

}  // namespace tasktrack
