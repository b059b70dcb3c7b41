// Inference on the programmed chip, side by side in one process: the whole run as `xbar infer` does
// it (reference reads, output calibration, the chip at 1 day with column drift compensation, the
// test images) with IR drop solved against ideal tiles, and the behavioural backend against the RTL
// backend (the SystemVerilog controller under Verilator driving the same chip model) on the same
// images. Prints medians, the ratios and their targets, cycles and latency per image.
// Usage: infer_bench [--model models/mnist-rails.xbm] [--dataset mnist] [--images 10000] [--rtl-images 200]
//                    [--repeats 3] [--conv-replicas auto|N]        (XBAR_DATA as for the tests)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench/bench_support.h"
#include "compiler/artifact_check.h"
#include "compiler/chip_io.h"
#include "compiler/compile.h"
#include "compiler/model_io.h"
#include "compiler/program_gen.h"
#include "runtime/analog_chip.h"
#include "runtime/backend.h"
#include "runtime/chip_eval.h"
#include "runtime/dataset.h"

namespace {

using namespace xbar;  // NOLINT: a benchmark's main

template <typename T>
T Must(Expected<T> e, const char* what) {
  return bench::Must(std::move(e), "infer_bench", what);
}

using bench::Median;
using bench::Seconds;

}  // namespace

int main(int argc, char** argv) {
  const std::string src = XBAR_SOURCE_DIR;
  std::string model_path = src + "/models/mnist-rails.xbm", dataset = "mnist", replicas = "auto";
  int64_t images = 10000, rtl_images = 200;
  int repeats = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--model") model_path = value;
    else if (flag == "--dataset") dataset = value;
    else if (flag == "--images") images = std::atoll(value.c_str());
    else if (flag == "--rtl-images") rtl_images = std::atoll(value.c_str());
    else if (flag == "--repeats") repeats = std::atoi(value.c_str());
    else if (flag == "--conv-replicas") replicas = value;
    else {
      std::fprintf(stderr, "infer_bench: unknown option %s\n", flag.c_str());
      return 2;
    }
  }
  auto model = Must(compiler::ReadModel(model_path), "model");
  auto spec = Must(compiler::ReadChipText(src + "/chips/default.textproto"), "chip");
  compiler::CompileOptions compile_options;
  compile_options.conv.replicas = replicas == "auto" ? compiler::kAutoReplicas : std::atoi(replicas.c_str());
  auto plan = Must(compiler::Compile(model, spec, compile_options), "compile");
  auto chip = Must(compiler::CreateChipInstance(plan, 1), "chip instance");
  Must(compiler::GenerateProgram(compiler::PlanTargets(plan), chip, {}), "program");
  auto test = Must(runtime::LoadDataset(dataset, runtime::DataDir(""), runtime::Split::kTest, images), "data");
  auto calibration = Must(runtime::LoadDataset(dataset, runtime::DataDir(""), runtime::Split::kTrain, 256), "data");
  std::printf("%s (%s), %zu plan tiles of the default chip, conv replicas %s; %lld %s test images, 1 day, "
              "column compensation, every nonideality on; 2 workers, medians of %d\n",
              model_path.substr(model_path.rfind('/') + 1).c_str(), model.Describe().c_str(), plan.tiles.size(),
              replicas.c_str(), static_cast<long long>(test.size()), dataset.c_str(), repeats);

  // The whole run, as xbar infer makes it, with IR drop solved and with ideal tiles.
  auto behavioural = Must(runtime::MakeBackend("behavioural"), "backend");
  std::vector<double> with_ir, without_ir;
  double accuracy[2] = {0, 0};
  for (int r = 0; r < repeats; ++r) {
    for (bool ir : {true, false}) {
      runtime::ChipEvalOptions options;
      options.ages_s = {86400};
      options.compensations = {runtime::DriftCompensation::kColumn};
      options.ir_drop = ir;
      const auto start = std::chrono::steady_clock::now();
      auto report = Must(runtime::EvaluateChip(plan, chip, test, calibration, *behavioural, options), "run");
      (ir ? with_ir : without_ir).push_back(Seconds(start));
      accuracy[ir ? 0 : 1] = report.points.front().accuracy;
    }
  }
  const double ir_s = Median(with_ir), ideal_s = Median(without_ir);
  std::printf("  whole run, IR drop solved: %.2f s = %.0f images/s (accuracy %.2f %%); ideal tiles: %.2f s "
              "(%.2f %%); IR drop costs %.3fx (target <= 1.2x)\n",
              ir_s, static_cast<double>(test.size()) / ir_s, 100 * accuracy[0], ideal_s, 100 * accuracy[1],
              ir_s / ideal_s);

  // Behavioural against RTL on the same images and the same view.
  const double t0 = plan.chip.device.nonidealities.drift.t0_s;
  const auto reference = runtime::ReadConductances(plan, chip, {.age_s = t0, .seed = 1});
  const auto present = runtime::ReadConductances(plan, chip, {.age_s = 86400, .seed = 2});
  runtime::ChipViewOptions view_options;
  view_options.compensation = runtime::DriftCompensation::kColumn;
  auto view = Must(runtime::ChipView::Create(plan, present, &reference, view_options), "view");
  view.set_output_gain(Must(runtime::CalibrateOutputGain(view, calibration), "calibration"));
  auto rtl = Must(runtime::MakeBackend("rtl"), "backend");
  test.images.conservativeResize(Eigen::NoChange, std::min<int64_t>(rtl_images, test.size()));
  test.labels.resize(static_cast<std::size_t>(test.images.cols()));
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
    if (x.correct != b.correct || x.cycles_per_image != b.cycles_per_image) {
      std::fprintf(stderr, "infer_bench: backends disagree (%lld vs %lld correct)\n",
                   static_cast<long long>(x.correct), static_cast<long long>(b.correct));
      return 1;
    }
  }
  const double b_rate = static_cast<double>(test.size()) / Median(b_s);
  const double r_rate = static_cast<double>(test.size()) / Median(r_s);
  std::printf("  %lld images: behavioural %.0f images/s, rtl %.0f images/s: rtl slower by %.2fx (target <= 20x)\n",
              static_cast<long long>(test.size()), b_rate, r_rate, b_rate / r_rate);
  std::printf("  rtl simulates %.2f M controller cycles/s; %llu cycles per image = %.1f us at %.0f MHz "
              "(%llu of them loading the %d inputs)\n",
              r_rate * static_cast<double>(cycles) / 1e6, static_cast<unsigned long long>(cycles),
              static_cast<double>(cycles) / plan.chip.clock_hz * 1e6, plan.chip.clock_hz / 1e6,
              static_cast<unsigned long long>(runtime::InputLoadCycles(model.inputs())), model.inputs());
  return 0;
}
