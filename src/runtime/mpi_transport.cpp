#include "runtime/mpi_transport.hpp"

#include <algorithm>
#include <thread>

namespace tasktrack {

namespace {

// How many MPI_Testsome rounds one poll makes while messages keep arriving: a worker may
// have sent several batches; take what is there, then let the coordinator act on it.
constexpr int max_rounds_per_poll = 4;

}  // namespace

MpiTransport::MpiTransport(MPI_Comm comm, std::vector<WorkerInfo> workers, std::vector<int> deaf_to)
    : comm_(comm),
      workers_(std::move(workers)),
      receives_(workers_.size()),
      requests_(workers_.size(), MPI_REQUEST_NULL),
      completed_(workers_.size()),
      statuses_(workers_.size()) {
  int size = 0;
  MPI_Comm_size(comm_, &size);
  is_broken_.assign(static_cast<std::size_t>(size), false);
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    receives_[i].rank = workers_[i].rank;
    if (std::find(deaf_to.begin(), deaf_to.end(), workers_[i].rank) != deaf_to.end()) continue;
    try {
      post(i, max_status_message_bytes);
    } catch (const MpiError&) {
      mark_broken(workers_[i].rank);
    }
  }
}

MpiTransport::~MpiTransport() {
  // Receives still posted belong to workers that never said goodbye (lost, dead). Cancel
  // them so MPI_Finalize has nothing of ours in flight; a cancelled receive completes at
  // once. Sends to such workers were small enough to go out eagerly.
  for (MPI_Request& request : requests_) {
    if (request == MPI_REQUEST_NULL) continue;
    MPI_Cancel(&request);
    MPI_Wait(&request, MPI_STATUS_IGNORE);  // an error here: the peer is gone; nothing is left
  }
}

std::size_t MpiTransport::index_of(int rank) const {
  for (std::size_t i = 0; i < receives_.size(); ++i) {
    if (receives_[i].rank == rank) return i;
  }
  throw std::out_of_range("no worker rank " + std::to_string(rank));
}

void MpiTransport::post(std::size_t index, std::size_t bytes) {
  Receive& receive = receives_[index];
  receive.buffer.resize(bytes);
  receive.active = true;
  check_mpi(MPI_Irecv(receive.buffer.data(), static_cast<int>(bytes), MPI_BYTE, receive.rank,
                      static_cast<int>(Tag::to_coordinator), comm_, &requests_[index]),
            "MPI_Irecv", receive.rank);
}

void MpiTransport::mark_broken(int rank) {
  if (is_broken_.at(rank)) return;
  is_broken_[rank] = true;
  broken_.push_back(rank);
  const std::size_t index = index_of(rank);
  receives_[index].active = false;
  // A receive that completed in error is not freed by MPI; one still pending is abandoned.
  // Either way the worker is never listened to again.
  if (requests_[index] != MPI_REQUEST_NULL) MPI_Request_free(&requests_[index]);
  requests_[index] = MPI_REQUEST_NULL;
}

std::vector<int> MpiTransport::take_broken() {
  std::vector<int> broken;
  broken.swap(broken_);
  return broken;
}

void MpiTransport::send(int rank, std::vector<std::byte> message) {
  if (is_broken_.at(rank)) return;
  try {
    sends_.start(comm_, rank, Tag::to_worker, std::move(message));
  } catch (const MpiError&) {
    mark_broken(rank);
  }
}

void MpiTransport::assign(int rank, std::span<const IdRun> runs) {
  while (!runs.empty()) {
    const std::size_t count = std::min(runs.size(), max_runs_per_assign);
    send(rank, encode_assign(runs.first(count)));
    runs = runs.subspan(count);
  }
}

void MpiTransport::drain(int rank) {
  send(rank, encode(Drain{}));
}

void MpiTransport::set_time_limit(int rank, const TimeLimit& limit) {
  send(rank, encode(limit));
}

void MpiTransport::send_task_lines(int rank, const TaskLines& lines) {
  send(rank, encode(lines));
}

void MpiTransport::stop(int rank, bool skip_finalize) {
  send(rank, encode(Stop{skip_finalize}));
}

void MpiTransport::complete(std::size_t index, std::size_t bytes,
                            const WorkerMessageHandler& handle) {
  Receive& receive = receives_[index];
  const std::span<const std::byte> message(receive.buffer.data(), bytes);
  const MessageKind kind = message_kind(message);
  if (kind == MessageKind::batch_follows) {
    post(index, decode_batch_follows(message).bytes);  // the oversized batch comes next
    return;
  }
  // Re-post into the spare buffer before handling this one: the handler may throw, and
  // the worker must keep a receive posted. Two buffers per worker, reused, never zeroed.
  std::swap(receive.buffer, receive.spare);
  if (kind == MessageKind::goodbye) {
    receive.active = false;  // its last message: nothing more is received from it
  } else {
    post(index, max_status_message_bytes);
  }
  handle(receive.rank, decode_from_worker(std::span<const std::byte>(receive.spare.data(), bytes)));
}

std::size_t MpiTransport::poll(const WorkerMessageHandler& handle) {
  std::size_t handled = 0;
  bool looked_again = false;
  for (int round = 0; round < max_rounds_per_poll; ++round) {
    int count = 0;
    const int code = MPI_Testsome(static_cast<int>(requests_.size()), requests_.data(), &count,
                                  completed_.data(), statuses_.data());
    if (code != MPI_SUCCESS && code != MPI_ERR_IN_STATUS) {
      // No status says which request failed: find it the slow way, once.
      handled += poll_one_by_one(handle);
      break;
    }
    if (count == MPI_UNDEFINED) break;  // every receive inactive
    if (count == 0) {
      // Open MPI's Testsome looks at the requests first and drives progress only when none
      // is complete, without looking again: what that progress received is seen by the
      // next call. Look once more now, or every message waits a poll and a back-off sleep
      // (measured: one subtask per message ran 2.8x slower).
      if (looked_again || handled > 0) break;
      looked_again = true;
      continue;
    }
    for (int i = 0; i < count; ++i) {
      const auto index = static_cast<std::size_t>(completed_[i]);
      if (code == MPI_ERR_IN_STATUS && statuses_[i].MPI_ERROR != MPI_SUCCESS) {
        mark_broken(receives_[index].rank);
        continue;
      }
      int bytes = 0;
      MPI_Get_count(&statuses_[i], MPI_BYTE, &bytes);
      try {
        complete(index, static_cast<std::size_t>(bytes), handle);
      } catch (const MpiError&) {
        mark_broken(receives_[index].rank);  // its receive could not be posted again
      }
      ++handled;
    }
  }
  try {
    sends_.reap();
  } catch (const MpiError&) {
    // A send to a dead peer, dropped; its rank shows up broken on its receive.
  }
  return handled;
}

std::size_t MpiTransport::poll_one_by_one(const WorkerMessageHandler& handle) {
  std::size_t handled = 0;
  for (std::size_t index = 0; index < requests_.size(); ++index) {
    if (requests_[index] == MPI_REQUEST_NULL) continue;
    int done = 0;
    MPI_Status status;
    if (MPI_Test(&requests_[index], &done, &status) != MPI_SUCCESS) {
      mark_broken(receives_[index].rank);
      continue;
    }
    if (!done) continue;
    int bytes = 0;
    MPI_Get_count(&status, MPI_BYTE, &bytes);
    try {
      complete(index, static_cast<std::size_t>(bytes), handle);
    } catch (const MpiError&) {
      mark_broken(receives_[index].rank);
    }
    ++handled;
  }
  return handled;
}

void MpiTransport::wait(std::chrono::microseconds timeout) {
  // MPI has no wait that sleeps; the coordinator backs off between polls instead.
  std::this_thread::sleep_for(timeout);
}

}  // namespace tasktrack
