#include "runtime/mpi_worker_channel.hpp"

#include <thread>
#include <variant>

namespace tasktrack {

namespace {
constexpr int coordinator_rank = 0;
constexpr std::chrono::milliseconds flush_pause{1};
}  // namespace

MpiWorkerChannel::MpiWorkerChannel(MPI_Comm comm) : comm_(comm), inbox_(max_assign_message_bytes) {
  post();
}

MpiWorkerChannel::~MpiWorkerChannel() {
  if (receive_ == MPI_REQUEST_NULL) return;
  MPI_Cancel(&receive_);
  MPI_Wait(&receive_, MPI_STATUS_IGNORE);
}

void MpiWorkerChannel::post() {
  check_mpi(MPI_Irecv(inbox_.data(), static_cast<int>(inbox_.size()), MPI_BYTE, coordinator_rank,
                      static_cast<int>(Tag::to_worker), comm_, &receive_),
            "MPI_Irecv", coordinator_rank);
}

std::optional<ToWorkerMessage> MpiWorkerChannel::receive() {
  if (receive_ == MPI_REQUEST_NULL) return std::nullopt;
  int done = 0;
  MPI_Status status;
  check_mpi(MPI_Test(&receive_, &done, &status), "MPI_Test of the receive", coordinator_rank);
  if (!done) return std::nullopt;
  int bytes = 0;
  MPI_Get_count(&status, MPI_BYTE, &bytes);
  // Decoded (copied out) before the buffer is posted again.
  ToWorkerMessage message =
      decode_to_worker(std::span<const std::byte>(inbox_.data(), static_cast<std::size_t>(bytes)));
  if (!std::holds_alternative<Stop>(message)) post();
  return message;
}

void MpiWorkerChannel::send(std::vector<std::byte> message) {
  if (message.size() > max_status_message_bytes) {
    sends_.start(comm_, coordinator_rank, Tag::to_coordinator,
                 encode(BatchFollows{message.size()}));
  }
  sends_.start(comm_, coordinator_rank, Tag::to_coordinator, std::move(message));
}

std::size_t MpiWorkerChannel::sends_in_flight() {
  sends_.reap();
  return sends_.size();
}

void MpiWorkerChannel::flush(std::chrono::milliseconds patience) {
  const auto give_up = std::chrono::steady_clock::now() + patience;
  while (!sends_.empty() && std::chrono::steady_clock::now() < give_up) {
    sends_.reap();
    if (!sends_.empty()) std::this_thread::sleep_for(flush_pause);
  }
  sends_.cancel_all();
}

}  // namespace tasktrack
