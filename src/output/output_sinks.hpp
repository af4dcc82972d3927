// The OutputSink of each --output mode (make_output_sink picks one).
#pragma once

#include <memory>
#include <mutex>
#include <utility>

#include "output/output_sink.hpp"
#include "output/packed_writer.hpp"
#include "output/terminal_writer.hpp"

namespace tasktrack {

// A rank's packed file, opened on first use (a rank that never needs it leaves no file).
// Thread-safe.
class LazyPackedFile {
 public:
  explicit LazyPackedFile(std::string path) : path_(std::move(path)) {}
  PackedOutputWriter& get();  // throws SystemError (and tries again on the next call)

 private:
  std::string path_;
  std::once_flag opened_;
  std::unique_ptr<PackedOutputWriter> writer_;
};

// packed: the attempt's bytes become frames of the rank's packed file as they arrive, and
// an `end` frame closes the attempt. The file is shared by all pool threads.
class PackedSink final : public OutputSink {
 public:
  explicit PackedSink(const OutputSettings& settings)
      : file_(packed::packed_file_name(settings.directory, settings.rank)) {}
  std::unique_ptr<AttemptOutput> begin(const AttemptIdentity& attempt) override;

 private:
  LazyPackedFile file_;
};

// on-failure: the attempt's frames are spooled (in memory up to 1 MiB, then in an unlinked
// temporary file in the output folder) and appended to the rank's packed file, together,
// only when the attempt fails; an attempt that succeeds leaves nothing. The packed file is
// created on the first failure.
class OnFailureSink final : public OutputSink {
 public:
  explicit OnFailureSink(const OutputSettings& settings)
      : directory_(settings.directory),
        file_(packed::packed_file_name(settings.directory, settings.rank)) {}
  std::unique_ptr<AttemptOutput> begin(const AttemptIdentity& attempt) override;

 private:
  std::string directory_;
  LazyPackedFile file_;
};

// files: <dir>/subtask-<id>.attempt-<n>.out and .err (attempt_file_stem), created (mode
// 0644, truncated) before the command starts and written as the bytes arrive.
class FilesSink final : public OutputSink {
 public:
  explicit FilesSink(OutputSettings settings) : settings_(std::move(settings)) {}
  std::unique_ptr<AttemptOutput> begin(const AttemptIdentity& attempt) override;

 private:
  OutputSettings settings_;
};

// none: every byte is dropped.
class DiscardSink final : public OutputSink {
 public:
  std::unique_ptr<AttemptOutput> begin(const AttemptIdentity& attempt) override;
};

// stdout: the attempt's stdout and stderr, interleaved in the order they arrived, handed
// as one block to `writer` when the attempt ends; an empty writer writes it to this
// process's stdout (write_terminal_block: one process-wide lock and one write loop per
// block, so blocks of different threads never interleave). An MPI worker rank's writer
// relays the block to rank 0 instead, which prints it: mpirun forwards each rank's stdout
// in pieces, so blocks of two ranks written to their own stdout would interleave there.
// With `tag`, every line of the block starts with the task's line number and a tab (GNU
// parallel's --tag), and a last line without a newline gets one. The block is held in
// memory: at most twice --output-limit.
class TerminalSink final : public OutputSink {
 public:
  TerminalSink(bool tag, TerminalBlockWriter writer) : tag_(tag), writer_(std::move(writer)) {}
  std::unique_ptr<AttemptOutput> begin(const AttemptIdentity& attempt) override;

 private:
  bool tag_;
  TerminalBlockWriter writer_;
};

}  // namespace tasktrack
