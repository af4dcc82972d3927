#include "runtime/mpi_requests.hpp"

#include <utility>

namespace tasktrack {

namespace {

std::string describe_mpi_error(const std::string& what_failed, int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) {
    return what_failed + ": MPI error " + std::to_string(code);
  }
  return what_failed + ": " + std::string(text, static_cast<std::size_t>(length));
}

}  // namespace

MpiError::MpiError(const std::string& what_failed, int code)
    : std::runtime_error(describe_mpi_error(what_failed, code)), code_(code) {}

void check_mpi(int code, const char* routine, int peer) {
  if (code == MPI_SUCCESS) return;
  std::string what_failed = routine;
  if (peer >= 0) what_failed += " (rank " + std::to_string(peer) + ")";
  throw MpiError(what_failed, code);
}

PendingSend::PendingSend(MPI_Comm comm, int dest, Tag tag, std::vector<std::byte> buffer)
    : dest_(dest), buffer_(std::move(buffer)) {
  check_mpi(MPI_Isend(buffer_.data(), static_cast<int>(buffer_.size()), MPI_BYTE, dest,
                      static_cast<int>(tag), comm, &request_),
            "MPI_Isend", dest);
}

// The buffer's heap block moves with the vector, so the request keeps reading valid memory.
PendingSend::PendingSend(PendingSend&& other) noexcept
    : dest_(other.dest_),
      request_(std::exchange(other.request_, MPI_REQUEST_NULL)),
      buffer_(std::move(other.buffer_)) {}

bool PendingSend::test() {
  if (request_ == MPI_REQUEST_NULL) return true;
  int done = 0;
  check_mpi(MPI_Test(&request_, &done, MPI_STATUS_IGNORE), "MPI_Test of a send", dest_);
  return done != 0;
}

void PendingSend::cancel() {
  if (request_ == MPI_REQUEST_NULL) return;
  // Only cancelled, never freed: a send that was matched meanwhile may still read the
  // buffer, and Open MPI must not be told it may reuse the request before that.
  MPI_Cancel(&request_);
}

void SendQueue::reap() {
  while (!sends_.empty()) {
    bool done = false;
    try {
      done = sends_.front().test();
    } catch (const MpiError&) {
      sends_.pop_front();
      throw;
    }
    if (!done) return;
    sends_.pop_front();
  }
}

void SendQueue::cancel_all() {
  for (PendingSend& send : sends_) send.cancel();
  sends_.clear();
}

}  // namespace tasktrack
