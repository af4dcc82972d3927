// Where the bytes of a command's attempt go, one implementation per --output mode. The
// command runner's pump hands each attempt's bytes to an AttemptOutput as they arrive and
// finishes it when the attempt ends; the OutputSink of the mode makes one per attempt.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "output/output_mode.hpp"
#include "output/packed_format.hpp"
#include "output/terminal_writer.hpp"

namespace tasktrack {

// Which attempt an output belongs to.
struct AttemptIdentity {
  std::uint32_t subtask = 0;
  std::uint32_t attempt = 0;
  std::uint32_t line_number = 0;  // the task file's line (what --tag prints)
};

// One attempt's output. Used by the one thread that runs the attempt; not thread-safe.
class AttemptOutput {
 public:
  virtual ~AttemptOutput() = default;
  // The bytes the command wrote to `stream` (stdout_stream or stderr_stream), in the order it
  // wrote them to that stream. Throws SystemError when they cannot be stored.
  virtual void write(packed::Stream stream, std::string_view bytes) = 0;
  // The attempt ended and all its bytes were written; called at most once (not at all when
  // the attempt could not be run). Throws SystemError.
  virtual void finish(bool failed) = 0;
};

// The mode's shared state (a rank's packed file, the terminal's lock). Thread-safe: pool
// threads begin attempts concurrently.
class OutputSink {
 public:
  virtual ~OutputSink() = default;
  // Opens what the attempt writes to. Throws SystemError (naming the path) when that
  // fails: the command is then not started.
  virtual std::unique_ptr<AttemptOutput> begin(const AttemptIdentity& attempt) = 0;
};

struct OutputSettings {
  OutputMode mode = OutputMode::packed;
  std::string directory;         // the output folder (packed, files, on-failure)
  int rank = 0;                  // the worker rank: names its packed file
  std::uint32_t task_count = 0;  // files mode pads subtask ids to its digits (at least 6)
  bool tag = false;              // stdout mode: each line starts with "<line number>\t"
  TerminalBlockWriter terminal;  // stdout mode: where blocks go; empty: this process's stdout
};

// The sink of `settings.mode`. Creates no file yet: a packed file is opened on the first
// attempt, so a rank that runs no command leaves none behind.
std::unique_ptr<OutputSink> make_output_sink(const OutputSettings& settings);

// "subtask-000042.attempt-1": files mode's name of an attempt, the id padded to
// max(6, digits of task_count) so that `ls` orders by subtask.
std::string attempt_file_stem(std::uint32_t subtask, std::uint32_t attempt,
                              std::uint32_t task_count);

}  // namespace tasktrack
