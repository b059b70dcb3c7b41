// xbar finetune: chip-in-the-loop fine-tuning of a programmed chip, and the delta pulse program
// that reprograms only the cells whose target changed.
#include <cstdio>
#include <string>
#include <vector>

#include "compiler/chip_state_io.h"
#include "compiler/plan_io.h"
#include "compiler/pulse_io.h"
#include "runtime/backend.h"
#include "runtime/finetune.h"
#include "runtime/programmed_chip.h"
#include "runtime/result_text.h"
#include "support/duration.h"
#include "tools/xbar/cli.h"

namespace xbar::tools {

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
  auto trainable = runtime::ParseTrainableLayers(layers_text, plan->layers.size());
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
    auto ok = compiler::WriteChipState(out_state, chip->State(run->tuned.plan.PhysicalTiles()));
    if (!ok) return ReportError(name, ok.error());
  }
  const runtime::FinetuneRecord record = runtime::MakeFinetuneRecord(*run, dataset, *age, compensation);
  if (!common.quiet) std::fputs(runtime::FinetuneSummary(record).c_str(), stderr);
  EmitJson(common, runtime::ToJson(record));
  return 0;
}

}  // namespace xbar::tools
