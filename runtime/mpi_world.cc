// The MPI ranks of one xbar run: initialisation, failure agreement and gathering (the only MPI calls).
#include "runtime/mpi_world.h"

#include <cstddef>
#include <string>


#ifdef XBAR_HAVE_MPI
#define OMPI_SKIP_MPICXX 1  // the C API only: no deprecated C++ bindings to link
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#endif

#if defined(__SANITIZE_ADDRESS__)
#define XBAR_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define XBAR_LSAN 1
#endif
#endif
#ifdef XBAR_LSAN
#include <sanitizer/lsan_interface.h>
#endif

namespace xbar::runtime {

#ifdef XBAR_HAVE_MPI
namespace {

// Open MPI leaks small blocks in MPI_Init and MPI_Finalize; under LeakSanitizer (scripts/sanitize)
// what it allocates inside our calls on this thread is not ours to report, and xbar's own
// allocations stay checked. (With 2 or more ranks its progress thread leaks too: the tests run
// mpirun with leak detection off.)
struct OpenMpiAllocations {
#ifdef XBAR_LSAN
  OpenMpiAllocations() { __lsan_disable(); }
  ~OpenMpiAllocations() { __lsan_enable(); }
#else
  OpenMpiAllocations() {}
  ~OpenMpiAllocations() {}
#endif
  OpenMpiAllocations(const OpenMpiAllocations&) = delete;
  OpenMpiAllocations& operator=(const OpenMpiAllocations&) = delete;
};

}  // namespace

MpiWorld::MpiWorld() {
  OpenMpiAllocations mpi;
  int provided = 0;
  // Only the main thread calls MPI; OpenMP workers run between the calls.
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  initialised_ = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  MPI_Comm local;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local);
  MPI_Comm_size(local, &local_size_);
  MPI_Comm_free(&local);
}

MpiWorld::~MpiWorld() {
  OpenMpiAllocations mpi;
  if (initialised_) MPI_Finalize();
}

bool MpiWorld::Available() { return true; }

int MpiWorld::FirstFailure(bool ok) const {
  OpenMpiAllocations mpi;
  int mine = ok ? size_ : rank_, lowest = size_;
  MPI_Allreduce(&mine, &lowest, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  return lowest == size_ ? -1 : lowest;
}

std::vector<double> MpiWorld::GatherToRoot(const std::vector<double>& values) const {
  OpenMpiAllocations mpi;
  int count = static_cast<int>(values.size());
  std::vector<int> counts(rank_ == 0 ? static_cast<std::size_t>(size_) : 0);
  MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::vector<int> offsets(counts.size(), 0);
  int total = 0;
  for (std::size_t r = 0; r < counts.size(); ++r) {
    offsets[r] = total;
    total += counts[r];
  }
  std::vector<double> all(static_cast<std::size_t>(total));
  MPI_Gatherv(values.data(), count, MPI_DOUBLE, all.data(), counts.data(), offsets.data(), MPI_DOUBLE, 0,
              MPI_COMM_WORLD);
  return all;
}

#else

MpiWorld::MpiWorld() = default;
MpiWorld::~MpiWorld() = default;
bool MpiWorld::Available() { return false; }
int MpiWorld::FirstFailure(bool ok) const { return ok ? -1 : 0; }
std::vector<double> MpiWorld::GatherToRoot(const std::vector<double>& values) const { return values; }

#endif

std::optional<MpiWorld::Failure> MpiWorld::AgreeOnFailure(const Error* error) const {
  const int first = FirstFailure(error == nullptr);
  if (first < 0) return std::nullopt;
  if (error == nullptr) return Failure{Error{ErrorCode::kInternal, ""}, true};
  if (rank_ != first) return Failure{*error, true};
  if (size_ > 1 && rank_ > 0) return Failure{WithContext(*error, "rank " + std::to_string(rank_)), false};
  return Failure{*error, false};
}

}  // namespace xbar::runtime
