// xbar finetune: chip-in-the-loop fine-tuning of a programmed chip, and the delta pulse program
// that reprograms only the cells whose target changed.
#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "compiler/chip_state_io.h"
#include "compiler/plan_io.h"
#include "compiler/pulse_io.h"
#include "runtime/backend.h"
#include "runtime/finetune.h"
#include "runtime/programmed_chip.h"
#include "runtime/results.h"
#include "support/duration.h"
#include "tools/xbar/cli.h"

namespace xbar::tools {
namespace {

/// --layers: "last", "all" or comma-separated 0-based layer indices, for a network of `count` layers.
Expected<std::vector<bool>> ParseLayers(const std::string& text, std::size_t count) {
  std::vector<bool> trainable(count, text == "all");
  if (text == "last" || text == "all") {
    trainable.back() = true;
    return trainable;
  }
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, end - start);
    std::size_t used = 0;
    int index = -1;
    try {
      index = std::stoi(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size() || item.empty() || index < 0 || static_cast<std::size_t>(index) >= count) {
      return Fail(ErrorCode::kInvalidArgument, "--layers: '" + item + "' is not last, all or a layer index in [0, " +
                                                   std::to_string(count - 1) + "]");
    }
    trainable[static_cast<std::size_t>(index)] = true;
    start = end + 1;
  }
  return trainable;
}

}  // namespace

int RunFinetune(int argc, char** argv) {
  const std::string name = "finetune";
  CommonOptions common;
  ProgrammedChipFlags inputs;
  std::string dataset = "mnist", age_text = "1d", compensation = "global";
  std::string out_plan, delta_path, out_state, layers_text = "last";
  int64_t train_limit = 0, limit = 0;
  bool no_ir_drop = false;
  runtime::FinetuneOptions options;
  po::options_description desc("options");
  AddCommonOptions(desc, common);
  AddProgrammedChipOptions(desc, inputs, "plan the chip was programmed with (.xbp)", "its pulse program (.xbpulse)",
                           "or its programmed chip state (.xbcs)");
  desc.add_options()
      ("dataset", po::value(&dataset)->default_value(dataset), "mnist or fashion-mnist")
      ("age", po::value(&age_text)->default_value(age_text), "age at which the chip is read back and used")
      ("compensation", po::value(&compensation)->default_value(compensation), "drift compensation: none, global, column")
      ("epochs", po::value(&options.epochs)->default_value(options.epochs), "fine-tuning epochs")
      ("lr", po::value(&options.learning_rate)->default_value(options.learning_rate), "Adam step size")
      ("train-limit", po::value(&train_limit)->default_value(0), "training images (0: all)")
      ("limit", po::value(&limit)->default_value(0), "test images for the before/after report (0: all)")
      ("out,o", po::value(&out_plan)->required(), "fine-tuned plan to write (.xbp)")
      ("delta", po::value(&delta_path)->required(), "delta pulse program to write (.xbpulse)")
      ("state", po::value(&out_state), "also write the reprogrammed chip state (.xbcs)")
      ("layers", po::value(&layers_text)->default_value(layers_text),
       "layers to train: last, all, or 0-based indices like 0,1 (stuck devices stay where they are)")
      ("no-ir-drop", po::bool_switch(&no_ir_drop), "read the tiles without wire resistance (faster)")
      ("inject-read-noise", po::bool_switch(&options.inject_read_noise),
       "train against a fresh draw of read noise around the read-back weights every minibatch");
  po::positional_options_description positional;
  positional.add("plan", 1);
  po::variables_map vm;
  if (auto code = Parse(name,
                        "PLAN.xbp (--program P.xbpulse | --chip-state S.xbcs) -o TUNED.xbp --delta D.xbpulse "
                        "[--dataset mnist] [--age 1d]",
                        argc, argv, desc, &positional, vm)) {
    return *code;
  }
  if (auto ok = CheckProgramOrState(inputs); !ok) return ReportError(name, ok.error());
  if (train_limit < 0 || limit < 0) {
    return ReportError(name, Error{ErrorCode::kInvalidArgument, "--train-limit and --limit must be >= 0"});
  }
  auto age = ParseDuration(age_text);
  if (!age) return ReportError(name, WithContext(age.error(), "--age"));
  auto mode = runtime::ParseDriftCompensation(compensation);
  if (!mode) return ReportError(name, WithContext(mode.error(), "--compensation"));
  options.age_s = *age;
  options.compensation = *mode;
  options.seed = common.seed;
  options.threads = common.threads;
  options.quiet = common.quiet;
  options.ir_drop = !no_ir_drop;

  auto backend = runtime::MakeBackend("behavioural");
  if (!backend) return ReportError(name, backend.error());
  auto plan = compiler::ReadPlan(inputs.plan_path);
  if (!plan) return ReportError(name, plan.error());
  auto trainable = ParseLayers(layers_text, plan->layers.size());
  if (!trainable) return ReportError(name, trainable.error());
  options.trainable = *trainable;
  auto chip = runtime::ProgrammedChip(*plan, inputs.program_path, inputs.state_path, **backend, nullptr);
  if (!chip) return ReportError(name, chip.error());
  const std::string data_dir = runtime::DataDir(common.data_dir);
  auto train = runtime::LoadDataset(dataset, data_dir, runtime::Split::kTrain, train_limit);
  if (!train) return ReportError(name, train.error());
  auto test = runtime::LoadDataset(dataset, data_dir, runtime::Split::kTest, limit);
  if (!test) return ReportError(name, test.error());
  auto calibration = runtime::LoadDataset(dataset, data_dir, runtime::Split::kTrain, 256);
  if (!calibration) return ReportError(name, calibration.error());

  auto run = runtime::FinetuneChip(*plan, *chip, *train, *test, *calibration, **backend, options);
  if (!run) return ReportError(name, run.error());
  if (auto ok = compiler::WritePlan(out_plan, run->tuned.plan); !ok) return ReportError(name, ok.error());
  if (auto ok = compiler::WritePulseProgram(delta_path, run->delta); !ok) return ReportError(name, ok.error());
  if (!out_state.empty()) {
    std::vector<int> tiles;
    for (const auto& t : run->tuned.plan.tiles) tiles.push_back(t.physical_index);
    if (auto ok = compiler::WriteChipState(out_state, chip->State(tiles)); !ok) return ReportError(name, ok.error());
  }
  const auto& s = run->delta.statistics;
  runtime::FinetuneRecord record;
  record.dataset = dataset;
  record.age = FormatDuration(*age);
  record.compensation = compensation;
  record.accuracy_before = run->before.points.front().accuracy;
  record.accuracy_after = run->after.points.front().accuracy;
  record.images = run->after.points.front().images;
  record.cells_reprogrammed = run->tuned.cells_changed;
  record.delta_pulses = s.pulses;
  record.delta_energy_j = s.pulse_energy_j + s.read_energy_j;
  record.finetune_seconds = run->tuned.seconds;
  if (!common.quiet) {
    std::fprintf(stderr,
                 "%s at %s (%s compensation), %lld test images: %.2f%% before, %.2f%% after fine-tuning; "
                 "%lld cells reprogrammed with %lld pulses (%.3g J); %.1f s\n",
                 dataset.c_str(), record.age.c_str(), compensation.c_str(), static_cast<long long>(record.images),
                 100 * record.accuracy_before, 100 * record.accuracy_after,
                 static_cast<long long>(record.cells_reprogrammed), static_cast<long long>(s.pulses),
                 record.delta_energy_j, record.finetune_seconds);
  }
  EmitJson(common, runtime::ToJson(record));
  return 0;
}

}  // namespace xbar::tools
