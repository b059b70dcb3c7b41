// A NIR graph's inference on the programmed chip, side by side in one process: the Sinabs N-MNIST
// CNN of tests/data/nir on the default chip at 1 day (column drift compensation, read noise) with
// IR drop solved, against the same chip read without IR drop and against the software run of the
// graph (xbar eval --model net.nir --spikes). The spike trains are MNIST test digits as N-MNIST
// records them, roughly (SaccadeSpikes). Prints medians, spike inputs per second, the ratios with
// their targets, and how the chip's decisions and output spike counts agree with the software's.
// Usage: nir_chip_bench [--samples 200] [--steps 30] [--repeats 3] [--threads 2]   (XBAR_DATA as for
// the tests)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cmath>
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
#include "runtime/dataset.h"
#include "runtime/nir_sim.h"

namespace {

using namespace xbar;  // NOLINT: a benchmark's main

template <typename T>
T Must(Expected<T> e, const char* what) {
  return bench::Must(std::move(e), "nir_chip_bench", what);
}

using bench::Median;
using bench::Seconds;

// MNIST digits as N-MNIST records them, roughly: the 28x28 image on a 34x34 sensor, moved along a
// cycle of four positions (y, x) = (0, 0), (1, 1), (0, 2), (-1, 1), one move per step; an ON event
// (channel 0) where a pixel brightens by more than 0.1 from one position to the next, an OFF event
// (channel 1) where it darkens. (samples, steps, 2, 34, 34).
NpyTensor SaccadeSpikes(const runtime::Dataset& data, int64_t steps) {
  constexpr int kSide = 34, kPad = 3, kDigit = 28;
  constexpr int kCycle[4][2] = {{0, 0}, {1, 1}, {0, 2}, {-1, 1}};
  const int64_t n = data.size();
  NpyTensor t;
  t.shape = {n, steps, 2, kSide, kSide};
  t.values.assign(static_cast<std::size_t>(n * steps * 2 * kSide * kSide), 0.0);
  auto pixel = [&](int64_t s, int y, int x, const int* shift) {
    const int yy = y - kPad - shift[0], xx = x - kPad - shift[1];
    if (yy < 0 || yy >= kDigit || xx < 0 || xx >= kDigit) return 0.0;
    return static_cast<double>(data.images(yy * kDigit + xx, s));
  };
  for (int64_t s = 0; s < n; ++s) {
    for (int64_t k = 0; k < steps; ++k) {
      const int* from = kCycle[k % 4];
      const int* to = kCycle[(k + 1) % 4];
      double* frame = &t.values[static_cast<std::size_t>((s * steps + k) * 2 * kSide * kSide)];
      for (int y = 0; y < kSide; ++y) {
        for (int x = 0; x < kSide; ++x) {
          const double d = pixel(s, y, x, to) - pixel(s, y, x, from);
          frame[y * kSide + x] = d > 0.1 ? 1.0 : 0.0;
          frame[kSide * kSide + y * kSide + x] = d < -0.1 ? 1.0 : 0.0;
        }
      }
    }
  }
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string src = XBAR_SOURCE_DIR;
  const std::string graph_path = src + "/tests/data/nir/cnn_sinabs.nir";
  int64_t samples = 200, steps = 30;
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

  const auto test = Must(runtime::LoadDataset("mnist", runtime::DataDir(""), runtime::Split::kTest, samples), "data");
  const NpyTensor spikes = SaccadeSpikes(test, steps);
  double input_spikes = 0;
  for (double v : spikes.values) input_spikes += v;
  const std::vector<int> labels(test.labels.begin(), test.labels.end());

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

  std::printf("cnn_sinabs.nir (%s), %zu plan tiles of the default chip; %lld MNIST test digits as saccade spike "
              "trains x %lld steps, %.0f input spikes; 1 day, column compensation, read noise; %d workers, medians of "
              "%d\n",
              model.Describe().c_str(), plan.tiles.size(), static_cast<long long>(samples),
              static_cast<long long>(steps), input_spikes, threads, repeats);
  std::vector<double> chip_s, ideal_s, software_s;
  runtime::ChipSpikeBatch on_chip;
  runtime::NirBatch software;
  for (int r = 0; r < repeats; ++r) {
    auto start = std::chrono::steady_clock::now();
    on_chip = Must(runtime::RunChipSpikes(view, spikes, "spikes", threads), "chip run");
    chip_s.push_back(Seconds(start));
    start = std::chrono::steady_clock::now();
    Must(runtime::RunChipSpikes(ideal, spikes, "spikes", threads), "chip run");
    ideal_s.push_back(Seconds(start));
    start = std::chrono::steady_clock::now();
    software = Must(runtime::RunNirSpikes(net, spikes, "spikes", threads), "software run");
    software_s.push_back(Seconds(start));
  }
  // Agreement: decisions, and per train and output the spike count over the steps.
  int64_t same_decision = 0, same_count = 0, pairs = 0;
  double count_error = 0, software_spikes = 0;
  const int64_t outputs = net.outputs();
  for (int64_t n = 0; n < samples; ++n) {
    same_decision += software.decisions[static_cast<std::size_t>(n)] == on_chip.batch.decisions[static_cast<std::size_t>(n)];
    for (int64_t o = 0; o < outputs; ++o, ++pairs) {
      double a = 0, b = 0;
      for (int64_t t = 0; t < steps; ++t) {
        const auto k = static_cast<std::size_t>((n * steps + t) * outputs + o);
        a += on_chip.batch.outputs.values[k];
        b += software.outputs.values[k];
      }
      same_count += a == b;
      count_error += std::abs(a - b);
      software_spikes += b;
    }
  }
  const double chip_accuracy =
      static_cast<double>(Must(on_chip.batch.Correct(labels, "labels"), "labels")) / static_cast<double>(samples);
  const double software_accuracy =
      static_cast<double>(Must(software.Correct(labels, "labels"), "labels")) / static_cast<double>(samples);
  const double chip_s_median = Median(chip_s), no_ir = Median(ideal_s), software_s_median = Median(software_s);
  std::printf("  chip, IR drop solved (view built once in %.2f s): %.3f s = %.0f spike trains/s, %.3g input spikes/s\n",
              view_seconds, chip_s_median, samples / chip_s_median, input_spikes / chip_s_median);
  std::printf("  chip, ideal wires: %.3f s; IR drop costs %.3fx per run (target <= 1.2x)\n", no_ir, chip_s_median / no_ir);
  std::printf("  software run of the graph: %.3f s; the chip model takes %.2fx its time (target <= 3x)\n",
              software_s_median, chip_s_median / software_s_median);
  std::printf("  accuracy: chip %.2f %%, software run of the file's graph %.2f %%; decisions equal on %.1f %% of the "
              "trains; output spike counts equal on %.1f %% of (train, output) pairs, |chip - software| summed = "
              "%.1f %% of the software's spikes; membranes at a rail %.2f %% of neuron-steps\n",
              100 * chip_accuracy, 100 * software_accuracy, 100.0 * static_cast<double>(same_decision) / samples,
              100.0 * static_cast<double>(same_count) / static_cast<double>(pairs), 100 * count_error / software_spikes,
              100 * on_chip.energy.range.at_rail_fraction());
  return 0;
}
