#include "output/output_sink.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "output/output_sinks.hpp"

namespace tasktrack {
namespace {

class DiscardedOutput final : public AttemptOutput {
 public:
  void write(packed::Stream, std::string_view) override {}
  void finish(bool) override {}
};

}  // namespace

std::unique_ptr<AttemptOutput> DiscardSink::begin(const AttemptIdentity&) {
  return std::make_unique<DiscardedOutput>();
}

std::unique_ptr<OutputSink> make_output_sink(const OutputSettings& settings) {
  switch (settings.mode) {
    case OutputMode::packed:
      return std::make_unique<PackedSink>(settings);
    case OutputMode::files:
      return std::make_unique<FilesSink>(settings);
    case OutputMode::on_failure:
      return std::make_unique<OnFailureSink>(settings);
    case OutputMode::none:
      return std::make_unique<DiscardSink>();
    case OutputMode::terminal:
      return std::make_unique<TerminalSink>(settings.tag, settings.terminal);
  }
  return std::make_unique<DiscardSink>();
}

std::string attempt_file_stem(std::uint32_t subtask, std::uint32_t attempt,
                              std::uint32_t task_count) {
  const std::size_t width = std::max<std::size_t>(6, std::to_string(task_count).size());
  return fmt::format("subtask-{:0{}}.attempt-{}", subtask, width, attempt);
}

}  // namespace tasktrack
