#include "runtime/mpi_session.hpp"

#include <fmt/format.h>

#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <thread>

#include "runtime/launcher_node_share.hpp"
#include "runtime/local_process.hpp"
#include "runtime/mpi_requests.hpp"
#include "runtime/mpi_transport.hpp"
#include "runtime/mpi_worker_channel.hpp"

namespace tasktrack {

std::string mpi_library_text() {
  std::string text;
#if defined(OMPI_MAJOR_VERSION)
  text += fmt::format("built with Open MPI {}.{}.{} (MPI {}.{})\n", OMPI_MAJOR_VERSION,
                      OMPI_MINOR_VERSION, OMPI_RELEASE_VERSION, MPI_VERSION, MPI_SUBVERSION);
#else
  text += fmt::format("built with an MPI {}.{} library\n", MPI_VERSION, MPI_SUBVERSION);
#endif
  // MPI_Get_library_version may be called before MPI_Init (MPI 3.0, section 8.1.1).
  char library[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int length = 0;
  if (MPI_Get_library_version(library, &length) == MPI_SUCCESS && length > 0) {
    std::string running(library, static_cast<std::size_t>(length));
    running = running.substr(0, running.find_first_of("\n,"));
    text += "running " + running + "\n";
  }
  return text;
}

namespace {

constexpr int coordinator_rank = 0;

// While waiting for the Job message or the hellos, a rank sleeps between looks: from the
// first value, doubling, up to the second. Never spinning matters here: the waiting
// workers share their cores with rank 0 reading the task file.
constexpr std::chrono::microseconds first_look_pause{200};
constexpr std::chrono::microseconds longest_look_pause{10'000};

// A probed message's bytes, received.
std::vector<std::byte> receive_probed(const MPI_Status& status, MPI_Comm comm, const char* what) {
  int bytes = 0;
  MPI_Get_count(&status, MPI_BYTE, &bytes);
  std::vector<std::byte> message(static_cast<std::size_t>(bytes));
  check_mpi(MPI_Recv(message.data(), bytes, MPI_BYTE, status.MPI_SOURCE, status.MPI_TAG, comm,
                     MPI_STATUS_IGNORE),
            what, status.MPI_SOURCE);
  return message;
}

}  // namespace

MpiSession::MpiSession(int argc, char** argv) : job_sends_(std::make_unique<SendQueue>()) {
  // Open MPI yields the core (sched_yield) in every MPI call that finds nothing to do when
  // ranks outnumber cores (--oversubscribe: the usual one coordinator beside one worker per
  // core). tasktrack never blocks in MPI: its loops poll and sleep on their own, so a yield
  // only puts a rank's next step behind a command's time slice, while a command waits for
  // its running notice (issue 14: 2,000 `true` under mpirun -np 3 on 2 cores, job wall
  // 1.33 s -> 1.04 s; xargs -P2 1.18 s). A value the user set (--mca mpi_yield_when_idle)
  // stays.
  setenv("OMPI_MCA_mpi_yield_when_idle", "0", /*overwrite=*/0);
  int provided = MPI_THREAD_SINGLE;
  check_mpi(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  funneled_ = provided >= MPI_THREAD_FUNNELED;
}

MpiSession::~MpiSession() {
  finalize();
}

void MpiSession::finalize() {
  if (finalized_) return;
  finalized_ = true;
  MPI_Finalize();
}

void MpiSession::abort(int exit_code) {
  MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::abort();  // MPI_Abort does not return; should it, the process still ends
}

JobMessage MpiSession::share_job(const JobMessage& decided) {
  const int tag = static_cast<int>(Tag::to_worker);  // the first message a worker gets
  if (rank_ == coordinator_rank) {
    const std::vector<std::byte> message = encode(decided);
    for (int rank = 1; rank < size_; ++rank)
      job_sends_->start(MPI_COMM_WORLD, rank, Tag::to_worker, message);
    // The workers' start is timed from here: reading the job (a large task file on a slow
    // file system) is rank 0's own time, not theirs.
    job_sent_ = std::chrono::steady_clock::now();
    if (!decided.run) {
      // Every rank leaves at once: the (small, eagerly sent) messages must be out before
      // MPI_Finalize.
      while (!job_sends_->empty()) {
        job_sends_->reap();
        std::this_thread::sleep_for(first_look_pause);
      }
    }
    return decided;
  }
  auto pause = first_look_pause;
  while (true) {
    int arrived = 0;
    MPI_Status status;
    check_mpi(MPI_Iprobe(coordinator_rank, tag, MPI_COMM_WORLD, &arrived, &status),
              "MPI_Iprobe for the job", coordinator_rank);
    if (arrived) return decode_job(receive_probed(status, MPI_COMM_WORLD, "MPI_Recv of the job"));
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, longest_look_pause);
  }
}

NodeShare MpiSession::worker_share_on_node(const std::string& coordinator_host) {
  int local_rank = 0;
  int local_size = 0;
  int rank0_here = 0;
  if (const std::optional<LocalPlace> place = launcher_local_place(process_environment)) {
    // Local ranks follow world ranks, so rank 0, where it runs, is local rank 0.
    local_rank = place->rank;
    local_size = place->size;
    rank0_here = rank_ == coordinator_rank || this_host_name() == coordinator_host ? 1 : 0;
  } else {
    MPI_Comm node;
    check_mpi(
        MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node),
        "MPI_Comm_split_type");
    MPI_Comm_size(node, &local_size);
    MPI_Comm_rank(node, &local_rank);  // ordered by world rank: rank 0 first where it is
    int is_rank0 = rank_ == coordinator_rank ? 1 : 0;
    check_mpi(MPI_Allreduce(&is_rank0, &rank0_here, 1, MPI_INT, MPI_SUM, node), "MPI_Allreduce");
    MPI_Comm_free(&node);
  }
  return NodeShare{static_cast<unsigned>(std::max(0, local_rank - rank0_here)),
                   static_cast<unsigned>(std::max(1, local_size - rank0_here))};
}

MpiSession::Hellos MpiSession::exchange_hellos(WorkerInfo mine,
                                               std::chrono::duration<double> limit) {
  // Point to point on the workers' tag: each Hello is the first message a worker sends, so
  // rank 0 probes each rank it has not heard from (not any source: a worker already heard
  // may send a heartbeat next) before the transport posts its receives.
  const int tag = static_cast<int>(Tag::to_coordinator);
  if (rank_ != coordinator_rank) {
    mine.rank = rank_;
    std::vector<std::byte> hello = encode(Hello{mine});
    check_mpi(MPI_Send(hello.data(), static_cast<int>(hello.size()), MPI_BYTE, coordinator_rank,
                       tag, MPI_COMM_WORLD),
              "MPI_Send of the hello", coordinator_rank);
    return {};
  }
  const auto deadline =
      job_sent_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(limit);
  std::vector<std::optional<WorkerInfo>> heard(static_cast<std::size_t>(size_));
  int waiting = size_ - 1;
  auto pause = first_look_pause;
  while (waiting > 0) {
    bool any = false;
    for (int rank = 1; rank < size_; ++rank) {
      if (heard[rank]) continue;
      int arrived = 0;
      MPI_Status status;
      check_mpi(MPI_Iprobe(rank, tag, MPI_COMM_WORLD, &arrived, &status), "MPI_Iprobe for a hello",
                rank);
      if (!arrived) continue;
      WorkerInfo worker =
          decode_hello(receive_probed(status, MPI_COMM_WORLD, "MPI_Recv of a hello")).worker;
      if (worker.rank != rank) {
        throw ProtocolError("hello from rank " + std::to_string(rank) + " says it is rank " +
                            std::to_string(worker.rank));
      }
      heard[rank] = std::move(worker);
      --waiting;
      any = true;
    }
    job_sends_->reap();
    if (waiting == 0 || std::chrono::steady_clock::now() >= deadline) break;
    if (any) {
      pause = first_look_pause;
    } else {
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, longest_look_pause);
    }
  }
  job_sends_->reap();  // a worker that said hello had its Job
  Hellos hellos;
  for (int rank = 1; rank < size_; ++rank) {
    if (heard[rank]) {
      hellos.workers.push_back(std::move(*heard[rank]));
    } else {
      hellos.missing.push_back(rank);
    }
  }
  return hellos;
}

WorkerLoop::Ending MpiSession::run_worker(const Kernel& kernel, Partition partition,
                                          WorkerOptions options, JobClock clock) {
  MpiWorkerChannel channel(MPI_COMM_WORLD);
  WorkerLoop loop(channel, kernel, partition, options, clock);
  return loop.run();
}

std::unique_ptr<Transport> MpiSession::connect_workers(const Hellos& hellos) {
  std::vector<WorkerInfo> workers = hellos.workers;
  for (const int rank : hellos.missing) {
    WorkerInfo unknown;
    unknown.rank = rank;
    unknown.host = "?";
    unknown.threads = 0;  // nothing is ever handed to it
    unknown.cores = 0;
    workers.push_back(std::move(unknown));
  }
  std::sort(workers.begin(), workers.end(),
            [](const WorkerInfo& a, const WorkerInfo& b) { return a.rank < b.rank; });
  return std::make_unique<MpiTransport>(MPI_COMM_WORLD, std::move(workers), hellos.missing);
}

}  // namespace tasktrack
