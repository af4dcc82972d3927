#include "cli/summary_command.hpp"

#include <fstream>
#include <nlohmann/json.hpp>

#include "tasktrack/error.hpp"

namespace tasktrack {

void print_saved_summary(const std::string& path, std::ostream& out) {
  std::ifstream in(path);
  if (!in) throw UsageError("summary: cannot read '" + path + "'");
  const nlohmann::json summary = nlohmann::json::parse(in, nullptr, false);
  if (summary.is_discarded()) throw UsageError("summary: '" + path + "' is not a JSON summary");
  const auto text = summary.find("text");
  if (!summary.is_object() || text == summary.end() || !text->is_string()) {
    throw UsageError("summary: '" + path +
                     "' holds no summary text (not a --summary-json file of this version)");
  }
  out << text->get<std::string>();
  out.flush();
}

}  // namespace tasktrack
