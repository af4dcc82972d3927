#include "core/crash_detail.hpp"

#include <fmt/format.h>

#include <string_view>

namespace tasktrack {

namespace {

constexpr std::string_view crash_site_end = " lost while running it";

std::string join(const std::vector<std::string>& parts) {
  std::string text;
  for (const std::string& part : parts) text += (text.empty() ? "" : ", ") + part;
  return text;
}

}  // namespace

std::string crash_detail(const std::string& site, const std::string& why, std::uint32_t crashes,
                         std::uint32_t limit) {
  if (limit == 0) return fmt::format("{}{}: {} (crash {})", site, crash_site_end, why, crashes);
  return fmt::format("{}{}: {} (crash {} of --crash-limit {})", site, crash_site_end, why, crashes,
                     limit);
}

std::string crash_site_of(const std::string& detail) {
  const auto end = detail.find(crash_site_end);
  return end == std::string::npos ? detail : detail.substr(0, end);
}

std::string crashed_out_detail(const std::vector<std::string>& sites, std::uint32_t limit) {
  return fmt::format("took down {} worker{}: {} (--crash-limit {})", sites.size(),
                     sites.size() == 1 ? "" : "s", join(sites), limit);
}

}  // namespace tasktrack
