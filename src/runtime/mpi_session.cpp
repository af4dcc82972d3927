#include "runtime/mpi_session.hpp"

#include <fmt/format.h>

#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>

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
}  // namespace

MpiSession::MpiSession(int argc, char** argv) {
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
  std::vector<std::byte> message;
  if (rank_ == coordinator_rank) message = encode(decided);
  std::uint64_t bytes = message.size();
  check_mpi(MPI_Bcast(&bytes, 1, MPI_UINT64_T, coordinator_rank, MPI_COMM_WORLD), "MPI_Bcast");
  message.resize(bytes);
  check_mpi(MPI_Bcast(message.data(), static_cast<int>(bytes), MPI_BYTE, coordinator_rank,
                      MPI_COMM_WORLD),
            "MPI_Bcast");
  return decode_job(message);
}

NodeShare MpiSession::worker_share_on_node() {
  MPI_Comm node;
  check_mpi(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node),
            "MPI_Comm_split_type");
  int local_size = 0;
  int local_rank = 0;
  MPI_Comm_size(node, &local_size);
  MPI_Comm_rank(node, &local_rank);  // ordered by world rank: rank 0 first where it is
  int is_rank0 = rank_ == coordinator_rank ? 1 : 0;
  int rank0_here = 0;
  check_mpi(MPI_Allreduce(&is_rank0, &rank0_here, 1, MPI_INT, MPI_SUM, node), "MPI_Allreduce");
  MPI_Comm_free(&node);
  return NodeShare{static_cast<unsigned>(std::max(0, local_rank - rank0_here)),
                   static_cast<unsigned>(std::max(1, local_size - rank0_here))};
}

std::vector<WorkerInfo> MpiSession::exchange_hellos(WorkerInfo mine) {
  // Point to point on the workers' tag: each Hello is the first message a worker sends, so
  // rank 0 reads it before the transport posts its receives.
  if (rank_ != coordinator_rank) {
    mine.rank = rank_;
    std::vector<std::byte> hello = encode(Hello{mine});
    check_mpi(MPI_Send(hello.data(), static_cast<int>(hello.size()), MPI_BYTE, coordinator_rank,
                       static_cast<int>(Tag::to_coordinator), MPI_COMM_WORLD),
              "MPI_Send of the hello", coordinator_rank);
    return {};
  }
  std::vector<WorkerInfo> workers;
  for (int rank = 1; rank < size_; ++rank) {
    MPI_Status status;
    check_mpi(MPI_Probe(rank, static_cast<int>(Tag::to_coordinator), MPI_COMM_WORLD, &status),
              "MPI_Probe for a hello", rank);
    int bytes = 0;
    MPI_Get_count(&status, MPI_BYTE, &bytes);
    std::vector<std::byte> hello(static_cast<std::size_t>(bytes));
    check_mpi(MPI_Recv(hello.data(), bytes, MPI_BYTE, rank, static_cast<int>(Tag::to_coordinator),
                       MPI_COMM_WORLD, MPI_STATUS_IGNORE),
              "MPI_Recv of a hello", rank);
    WorkerInfo worker = decode_hello(hello).worker;
    if (worker.rank != rank) {
      throw ProtocolError("hello from rank " + std::to_string(rank) + " says it is rank " +
                          std::to_string(worker.rank));
    }
    workers.push_back(std::move(worker));
  }
  return workers;
}

WorkerLoop::Ending MpiSession::run_worker(const Kernel& kernel, Partition partition,
                                          WorkerOptions options, JobClock clock) {
  MpiWorkerChannel channel(MPI_COMM_WORLD);
  WorkerLoop loop(channel, kernel, partition, options, clock);
  return loop.run();
}

std::unique_ptr<Transport> MpiSession::connect_workers(std::vector<WorkerInfo> workers) {
  return std::make_unique<MpiTransport>(MPI_COMM_WORLD, std::move(workers));
}

}  // namespace tasktrack
