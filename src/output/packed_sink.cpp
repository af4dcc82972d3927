// packed and on-failure modes: frames in the rank's packed file.
#include <fcntl.h>
#include <stdlib.h>  // mkostemp
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "output/output_sinks.hpp"

namespace tasktrack {
namespace {

using process::FileDescriptor;
using process::system_call_error;

// What an on-failure attempt keeps in memory before it spools to a file.
constexpr std::size_t spool_memory_bytes = std::size_t{1} << 20;

class PackedOutput final : public AttemptOutput {
 public:
  PackedOutput(PackedOutputWriter& writer, const AttemptIdentity& attempt)
      : writer_(writer), attempt_(attempt) {}
  void write(packed::Stream stream, std::string_view bytes) override {
    writer_.write_data(attempt_.subtask, attempt_.attempt, stream, bytes);
  }
  void finish(bool) override { writer_.write_end(attempt_.subtask, attempt_.attempt); }

 private:
  PackedOutputWriter& writer_;
  AttemptIdentity attempt_;
};

// An unlinked file in `directory`: gone with its descriptor, whatever happens to us.
// O_TMPFILE where the file system has it, else a created and at once unlinked name.
FileDescriptor open_spool_file(const std::string& directory) {
#ifdef O_TMPFILE
  int fd;
  do {
    fd = ::open(directory.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  } while (fd < 0 && errno == EINTR);
  if (fd >= 0) return FileDescriptor(fd);
#endif
  std::string name = directory + "/.tasktrack-spool-XXXXXX";
  const int created = ::mkostemp(name.data(), O_CLOEXEC);
  if (created < 0) throw system_call_error("mkostemp(" + name + ") for a spooled output", errno);
  FileDescriptor file(created);
  ::unlink(name.c_str());
  return file;
}

// An attempt's frames, held until we know whether it failed.
class FrameSpool {
 public:
  explicit FrameSpool(const std::string& directory) : directory_(directory) {}

  void add(const packed::FrameHeader& header, std::string_view bytes) {
    if (!file_.valid() && memory_.size() + sizeof header + bytes.size() <= spool_memory_bytes) {
      memory_ += PackedOutputWriter::frame_bytes(header, bytes);
      return;
    }
    if (!file_.valid()) {
      file_ = open_spool_file(directory_);
      write_file(memory_);
      memory_.clear();
      memory_.shrink_to_fit();
    }
    write_file(PackedOutputWriter::frame_bytes(header, bytes));
  }

  void append_to(PackedOutputWriter& writer) {
    if (!file_.valid()) {
      std::string_view rest = memory_;
      writer.append_frames([&rest](char* buffer, std::size_t size) {
        const std::size_t count = std::min(size, rest.size());
        std::memcpy(buffer, rest.data(), count);
        rest.remove_prefix(count);
        return count;
      });
      return;
    }
    off_t at = 0;
    writer.append_frames([&](char* buffer, std::size_t size) -> std::size_t {
      for (;;) {
        const ssize_t count = ::pread(file_.get(), buffer, size, at);
        if (count < 0 && errno == EINTR) continue;
        if (count < 0) throw system_call_error("read(a spooled output)", errno);
        at += count;
        return static_cast<std::size_t>(count);
      }
    });
  }

 private:
  void write_file(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t written = ::write(file_.get(), bytes.data(), bytes.size());
      if (written < 0 && errno == EINTR) continue;
      if (written < 0) {
        throw system_call_error("write(a spooled output in " + directory_ + ")", errno);
      }
      bytes.remove_prefix(static_cast<std::size_t>(written));
    }
  }

  const std::string& directory_;
  std::string memory_;
  FileDescriptor file_;
};

class OnFailureOutput final : public AttemptOutput {
 public:
  OnFailureOutput(LazyPackedFile& file, const std::string& directory,
                  const AttemptIdentity& attempt)
      : file_(file), spool_(directory), attempt_(attempt) {}

  void write(packed::Stream stream, std::string_view bytes) override {
    while (!bytes.empty()) {
      const std::string_view part = bytes.substr(0, packed::max_frame_bytes);
      bytes.remove_prefix(part.size());
      packed::FrameHeader header;
      header.subtask = attempt_.subtask;
      header.attempt = attempt_.attempt;
      header.stream = stream;
      header.length = static_cast<std::uint32_t>(part.size());
      spool_.add(header, part);
    }
  }

  void finish(bool failed) override {
    if (!failed) return;  // the spool goes with this object
    packed::FrameHeader end;
    end.subtask = attempt_.subtask;
    end.attempt = attempt_.attempt;
    end.kind = packed::FrameKind::end;
    spool_.add(end, {});
    spool_.append_to(file_.get());
  }

 private:
  LazyPackedFile& file_;
  FrameSpool spool_;
  AttemptIdentity attempt_;
};

}  // namespace

PackedOutputWriter& LazyPackedFile::get() {
  std::call_once(opened_, [this] { writer_ = std::make_unique<PackedOutputWriter>(path_); });
  return *writer_;
}

std::unique_ptr<AttemptOutput> PackedSink::begin(const AttemptIdentity& attempt) {
  return std::make_unique<PackedOutput>(file_.get(), attempt);
}

std::unique_ptr<AttemptOutput> OnFailureSink::begin(const AttemptIdentity& attempt) {
  return std::make_unique<OnFailureOutput>(file_, directory_, attempt);
}

}  // namespace tasktrack
