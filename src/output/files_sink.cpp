// files mode: two files per attempt, as before issue 12 (but with padded subtask ids).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "output/output_sinks.hpp"

namespace tasktrack {
namespace {

using process::FileDescriptor;

FileDescriptor create_file(const std::string& path, const char* role) {
  for (;;) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) return FileDescriptor(fd);
    if (errno == EINTR) continue;
    throw process::system_call_error("open(" + path + ") for the command's " + role, errno);
  }
}

void write_all(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) throw process::system_call_error("write(" + path + ")", errno);
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
}

class FilesOutput final : public AttemptOutput {
 public:
  FilesOutput(std::string stdout_path, std::string stderr_path)
      : stdout_path_(std::move(stdout_path)),
        stderr_path_(std::move(stderr_path)),
        stdout_(create_file(stdout_path_, "stdout")),
        stderr_(create_file(stderr_path_, "stderr")) {}

  void write(packed::Stream stream, std::string_view bytes) override {
    if (stream == packed::Stream::stderr_stream) {
      write_all(stderr_.get(), bytes, stderr_path_);
    } else {
      write_all(stdout_.get(), bytes, stdout_path_);
    }
  }
  void finish(bool) override {}

 private:
  std::string stdout_path_;
  std::string stderr_path_;
  FileDescriptor stdout_;
  FileDescriptor stderr_;
};

}  // namespace

std::unique_ptr<AttemptOutput> FilesSink::begin(const AttemptIdentity& attempt) {
  const std::string stem =
      settings_.directory + "/" +
      attempt_file_stem(attempt.subtask, attempt.attempt, settings_.task_count);
  return std::make_unique<FilesOutput>(stem + ".out", stem + ".err");
}

}  // namespace tasktrack
