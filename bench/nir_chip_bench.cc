// A NIR graph's inference on the programmed chip, side by side in one process: the Sinabs CNN of
// tests/data/nir on the default chip at 1 day (column drift compensation, read noise) with IR drop
// solved, against the same chip read without IR drop and against the software run of the graph
// (xbar eval --model net.nir --spikes). Seeded random spike trains (2x34x34 inputs, each spiking
// with probability 0.05 per step). Prints medians, spike inputs per second and the ratios with
// their targets.
// Usage: nir_chip_bench [--samples 64] [--steps 20] [--repeats 3] [--threads 2]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_support.h"
#include "compiler/artifact_check.h"
#include "compiler/chip_io.h"
#include "compiler/compile.h"
#include "compiler/import.h"
#include "compiler/nir.h"
#include "compiler/program_gen.h"
#include "runtime/chip_eval.h"
#include "runtime/chip_spikes.h"
#include "runtime/nir_sim.h"
#include "support/rng.h"

namespace {

using namespace xbar;  // NOLINT: a benchmark's main

template <typename T>
T Must(Expected<T> e, const char* what) {
  return bench::Must(std::move(e), "nir_chip_bench", what);
}

using bench::Median;
using bench::Seconds;

}  // namespace

int main(int argc, char** argv) {
  const std::string src = XBAR_SOURCE_DIR;
  const std::string graph_path = src + "/tests/data/nir/cnn_sinabs.nir";
  int64_t samples = 64, steps = 20;
  int repeats = 3, threads = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--samples") samples = std::atoll(value.c_str());
    else if (flag == "--steps") steps = std::atoll(value.c_str());
    else if (flag == "--repeats") repeats = std::atoi(value.c_str());
    else if (flag == "--threads") threads = std::atoi(value.c_str());
    else {
      std::fprintf(stderr, "nir_chip_bench: unknown option %s\n", flag.c_str());
      return 2;
    }
  }
  auto model = Must(compiler::ImportModel(graph_path), "import");
  auto spec = Must(compiler::ReadChipText(src + "/chips/default.textproto"), "chip");
  auto plan = Must(compiler::Compile(model, spec, {}), "compile");
  auto chip = Must(compiler::CreateChipInstance(plan, 1), "chip instance");
  Must(compiler::GenerateProgram(compiler::PlanTargets(plan), chip, {}), "program");
  auto net = Must(runtime::NirNetwork::Create(Must(compiler::ReadNir(graph_path), "read"), {}, graph_path), "graph");

  // Seeded spike trains, (samples, steps, 2, 34, 34).
  NpyTensor spikes;
  spikes.shape = {samples, steps};
  for (int64_t d : net.input_shape()) spikes.shape.push_back(d);
  spikes.values.resize(static_cast<std::size_t>(samples * steps * net.inputs()));
  Rng rng(1);
  std::bernoulli_distribution spike(0.05);
  double input_spikes = 0;
  for (double& v : spikes.values) input_spikes += v = spike(rng) ? 1.0 : 0.0;

  runtime::ChipEvalOptions options;
  options.threads = threads;
  const auto reference = runtime::ReferenceReads(plan, chip, options);
  const auto present = runtime::ReadsAtAge(plan, chip, 86400.0, options);
  runtime::ChipViewOptions with_ir{.ir_drop = true, .compensation = runtime::DriftCompensation::kColumn,
                                   .timing = {}, .threads = threads};
  runtime::ChipViewOptions without_ir = with_ir;
  without_ir.ir_drop = false;
  const auto view_start = std::chrono::steady_clock::now();
  auto view = Must(runtime::ChipView::Create(plan, present, &reference, with_ir), "view");
  const double view_seconds = Seconds(view_start);
  auto ideal = Must(runtime::ChipView::Create(plan, present, &reference, without_ir), "view");

  std::printf("cnn_sinabs.nir (%s), %zu plan tiles of the default chip; %lld spike trains x %lld steps, %.0f input "
              "spikes; 1 day, column compensation, read noise; %d workers, medians of %d\n",
              model.Describe().c_str(), plan.tiles.size(), static_cast<long long>(samples),
              static_cast<long long>(steps), input_spikes, threads, repeats);
  std::vector<double> chip_s, ideal_s, software_s;
  double agreement = 0;
  for (int r = 0; r < repeats; ++r) {
    auto start = std::chrono::steady_clock::now();
    auto on_chip = Must(runtime::RunChipSpikes(view, spikes, "spikes", threads), "chip run");
    chip_s.push_back(Seconds(start));
    start = std::chrono::steady_clock::now();
    Must(runtime::RunChipSpikes(ideal, spikes, "spikes", threads), "chip run");
    ideal_s.push_back(Seconds(start));
    start = std::chrono::steady_clock::now();
    auto software = Must(runtime::RunNirSpikes(net, spikes, "spikes", threads), "software run");
    software_s.push_back(Seconds(start));
    int64_t same = 0;
    for (std::size_t s = 0; s < software.decisions.size(); ++s) same += software.decisions[s] == on_chip.batch.decisions[s];
    agreement = static_cast<double>(same) / static_cast<double>(samples);
  }
  const double on_chip = Median(chip_s), no_ir = Median(ideal_s), software = Median(software_s);
  std::printf("  chip, IR drop solved (view built once in %.2f s): %.3f s = %.0f spike trains/s, %.3g input spikes/s\n",
              view_seconds, on_chip, samples / on_chip, input_spikes / on_chip);
  std::printf("  chip, ideal wires: %.3f s; IR drop costs %.3fx per run (target <= 1.2x)\n", no_ir, on_chip / no_ir);
  std::printf("  software run of the graph: %.3f s; the chip model takes %.2fx its time (target <= 3x)\n", software,
              on_chip / software);
  std::printf("  decisions equal to the software run of the file's graph on %.1f %% of the trains\n", 100 * agreement);
  return 0;
}
