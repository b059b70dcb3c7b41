// Inference on the programmed chip: images per second on the behavioural backend and on the RTL
// backend (the SystemVerilog controller under Verilator driving the same chip model) side by side
// in one process, simulated controller cycles per second, cycles and latency per image at the
// chip's clock, and the cost of solving IR drop (the tiles' exact transfer matrices) against
// reading ideal tiles. Model: the shipped MNIST model on the default chip, programmed by
// write-verify, read at 1 day with every nonideality on.
// Usage: infer_bench [images=2000] [rtl_images=200] [repeats=3]   (XBAR_DATA as for the tests)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "compiler/chip_io.h"
#include "compiler/artifact_check.h"
#include "compiler/compile.h"
#include "compiler/model_io.h"
#include "compiler/program_gen.h"
#include "runtime/backend.h"
#include "runtime/analog_chip.h"
#include "runtime/dataset.h"

namespace {

using namespace xbar;  // NOLINT: a benchmark's main

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <typename T>
T Must(Expected<T> e, const char* what) {
  if (!e) {
    std::fprintf(stderr, "infer_bench: %s: %s\n", what, e.error().message.c_str());
    std::exit(1);
  }
  return std::move(*e);
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t images = argc > 1 ? std::atoll(argv[1]) : 2000;
  const int64_t rtl_images = argc > 2 ? std::atoll(argv[2]) : 200;
  const int repeats = argc > 3 ? std::atoi(argv[3]) : 3;
  const std::string src = XBAR_SOURCE_DIR;
  auto model = Must(compiler::ReadModel(src + "/models/mnist.xbm"), "model");
  auto spec = Must(compiler::ReadChipText(src + "/chips/default.textproto"), "chip");
  auto plan = Must(compiler::Compile(model, spec, {}), "compile");
  auto chip = Must(compiler::CreateChipInstance(plan, 1), "chip instance");
  Must(compiler::GenerateProgram(compiler::PlanTargets(plan), chip, {}), "program");
  auto test = Must(runtime::LoadDataset("mnist", runtime::DataDir(""), runtime::Split::kTest, images), "data");
  auto calibration = Must(runtime::LoadDataset("mnist", runtime::DataDir(""), runtime::Split::kTrain, 256), "data");

  const double t0 = plan.chip.device.nonidealities.drift.t0_s;
  const auto reference = runtime::ReadConductances(plan, chip, {.age_s = t0, .seed = 1});
  const auto present = runtime::ReadConductances(plan, chip, {.age_s = 86400, .seed = 2});
  auto behavioural = Must(runtime::MakeBackend("behavioural"), "backend");
  auto rtl = Must(runtime::MakeBackend("rtl"), "backend");

  // IR drop on (transfer matrices solved, then every image) against off (ideal tiles).
  std::vector<double> with_ir, without_ir;
  runtime::ChipView view;
  double accuracy_ir = 0, accuracy_ideal = 0;
  for (int r = 0; r < repeats; ++r) {
    for (bool ir : {true, false}) {
      const auto start = std::chrono::steady_clock::now();
      runtime::ChipViewOptions options;
      options.ir_drop = ir;
      options.compensation = runtime::DriftCompensation::kColumn;
      auto v = Must(runtime::ChipView::Create(plan, present, &reference, options), "view");
      v.set_output_gain(Must(runtime::CalibrateOutputGain(v, calibration), "calibration"));
      auto run = Must(behavioural->Infer(v, test, {}), "behavioural inference");
      (ir ? with_ir : without_ir).push_back(Seconds(start));
      (ir ? accuracy_ir : accuracy_ideal) = run.accuracy();
      if (ir) view = std::move(v);
    }
  }
  const double ir_s = Median(with_ir), ideal_s = Median(without_ir);
  std::printf("inference of %lld MNIST images, 1 day, all nonidealities (view + calibration + images):\n",
              static_cast<long long>(images));
  std::printf("  IR drop solved: %.2f s (accuracy %.2f %%); ideal tiles: %.2f s (%.2f %%); cost ratio %.3f "
              "(target <= 1.2)\n",
              ir_s, 100 * accuracy_ir, ideal_s, 100 * accuracy_ideal, ir_s / ideal_s);

  // Behavioural against RTL on the same images, same view.
  test.images.conservativeResize(Eigen::NoChange, rtl_images);
  test.labels.resize(static_cast<std::size_t>(rtl_images));
  std::vector<double> b_s, r_s;
  uint64_t cycles = 0;
  for (int r = 0; r < repeats; ++r) {
    auto start = std::chrono::steady_clock::now();
    auto b = Must(behavioural->Infer(view, test, {}), "behavioural inference");
    b_s.push_back(Seconds(start));
    start = std::chrono::steady_clock::now();
    auto x = Must(rtl->Infer(view, test, {}), "rtl inference");
    r_s.push_back(Seconds(start));
    cycles = x.cycles_per_image;
    if (x.correct != b.correct) {
      std::fprintf(stderr, "infer_bench: backends disagree (%lld vs %lld correct)\n",
                   static_cast<long long>(x.correct), static_cast<long long>(b.correct));
      return 1;
    }
  }
  const double b_rate = static_cast<double>(rtl_images) / Median(b_s);
  const double r_rate = static_cast<double>(rtl_images) / Median(r_s);
  std::printf("%lld images, median of %d, 2 workers:\n", static_cast<long long>(rtl_images), repeats);
  std::printf("  behavioural %.0f images/s, rtl %.0f images/s: rtl slower by %.2fx (target <= 20x)\n", b_rate,
              r_rate, b_rate / r_rate);
  std::printf("  rtl simulates %.2f M controller cycles/s (target >= 1 M); %llu cycles per image = %.1f us at "
              "%.0f MHz (%llu of them loading the 784 inputs)\n",
              r_rate * static_cast<double>(cycles) / 1e6, static_cast<unsigned long long>(cycles),
              static_cast<double>(cycles) / plan.chip.clock_hz * 1e6, plan.chip.clock_hz / 1e6,
              static_cast<unsigned long long>(runtime::InputLoadCycles(784)));
  return 0;
}
