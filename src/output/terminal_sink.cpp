// stdout mode: each attempt as one block, handed to the sink's TerminalBlockWriter.
#include <utility>

#include "output/output_sinks.hpp"

namespace tasktrack {
namespace {

class TerminalOutput final : public AttemptOutput {
 public:
  TerminalOutput(bool tag, std::uint32_t line_number, const TerminalBlockWriter& writer)
      : prefix_(tag ? std::to_string(line_number) + "\t" : std::string()), writer_(writer) {}

  void write(packed::Stream, std::string_view bytes) override { block_.append(bytes); }

  void finish(bool) override {
    if (block_.empty()) return;
    if (prefix_.empty()) {
      deliver(std::move(block_));
      return;
    }
    std::string tagged;
    tagged.reserve(block_.size() + prefix_.size() * 8);
    std::size_t start = 0;
    while (start < block_.size()) {
      const std::size_t newline = block_.find('\n', start);
      const std::size_t end = newline == std::string::npos ? block_.size() : newline;
      tagged += prefix_;
      tagged.append(block_, start, end - start);
      tagged += '\n';
      start = end + 1;
    }
    deliver(std::move(tagged));
  }

 private:
  void deliver(std::string block) {
    if (writer_) {
      writer_(std::move(block));
    } else {
      write_terminal_block(block);
    }
  }

  std::string prefix_;
  const TerminalBlockWriter& writer_;  // the sink's, which outlives its attempts
  std::string block_;
};

}  // namespace

std::unique_ptr<AttemptOutput> TerminalSink::begin(const AttemptIdentity& attempt) {
  return std::make_unique<TerminalOutput>(tag_, attempt.line_number, writer_);
}

}  // namespace tasktrack
