// stdout mode: each attempt as one block on our stdout.
#include <unistd.h>

#include <cerrno>
#include <mutex>

#include "output/output_sinks.hpp"

namespace tasktrack {
namespace {

// One lock for the whole process: every TerminalSink (there is one per kernel) shares it.
std::mutex& terminal_mutex() {
  static std::mutex mutex;
  return mutex;
}

// A failed write to our stdout (a closed pipe) is not the attempt's failure: the block is
// dropped, as a terminal that went away would drop it.
void write_block(std::string_view bytes) {
  const std::lock_guard lock(terminal_mutex());
  while (!bytes.empty()) {
    const ssize_t written = ::write(STDOUT_FILENO, bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return;
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
}

class TerminalOutput final : public AttemptOutput {
 public:
  TerminalOutput(bool tag, std::uint32_t line_number)
      : prefix_(tag ? std::to_string(line_number) + "\t" : std::string()) {}

  void write(packed::Stream, std::string_view bytes) override { block_.append(bytes); }

  void finish(bool) override {
    if (block_.empty()) return;
    if (prefix_.empty()) {
      write_block(block_);
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
    write_block(tagged);
  }

 private:
  std::string prefix_;
  std::string block_;
};

}  // namespace

std::unique_ptr<AttemptOutput> TerminalSink::begin(const AttemptIdentity& attempt) {
  return std::make_unique<TerminalOutput>(tag_, attempt.line_number);
}

}  // namespace tasktrack
