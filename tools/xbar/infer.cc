// xbar infer: the test set through a programmed chip, at one or more ages, on either backend.
#include <cstdio>
#include <utility>

#include "compiler/plan_io.h"
#include "runtime/backend.h"
#include "runtime/chip_eval.h"
#include "runtime/programmed_chip.h"
#include "runtime/result_text.h"
#include "tools/xbar/cli.h"

namespace xbar::tools {
namespace {

// xbar infer --spikes: a NIR plan's chip on spike trains (docs/nir.md "On the chip").
int InferSpikes(const std::string& name, const CommonOptions& common, const ProgrammedChipFlags& inputs,
                const SpikeFlags& flags, const compiler::Plan& plan, const device_models::ChipInstance& chip,
                runtime::ChipBackend& backend, const runtime::ChipEvalOptions& options,
                const compiler::PulseProgram* program) {
  auto data = ReadSpikeData(flags, plan.layers.back().neurons());
  if (!data) return ReportError(name, data.error());
  runtime::NirBatch first;
  const runtime::SpikeInputs spikes{data->spikes, flags.spikes, flags.labels.empty() ? nullptr : &data->labels,
                                    flags.labels};
  auto report = runtime::EvaluateChipSpikes(plan, chip, spikes, backend, options, &first);
  if (!report) return ReportError(name, WithContext(report.error(), std::string(backend.name()) + " backend"));
  if (auto ok = WriteSpikeOutputs(flags, first); !ok) return ReportError(name, ok.error());
  runtime::InferRecord record = runtime::MakeInferRecord(std::move(*report), options, inputs.plan_path, flags.spikes,
                                                         std::string(backend.name()), chip.seed(), program);
  record.outputs_per_sample = first.output_total / static_cast<double>(first.samples);
  if (!flags.labels.empty()) record.labels = flags.labels;
  if (!common.quiet) std::fputs(runtime::InferSummary(record, plan.chip.clock_hz).c_str(), stderr);
  EmitJson(common, runtime::ToJson(record));
  return 0;
}

}  // namespace

int RunInfer(int argc, char** argv) {
  const std::string name = "infer";
  CommonOptions common;
  ProgrammedChipFlags inputs;
  ChipEvalFlags flags;
  flags.compensation_text = "none,column";
  std::string dataset = "mnist", backend_name = "behavioural", trace_path;
  SpikeFlags spike_flags;
  uint64_t cycle_budget = 10'000'000;
  po::options_description desc("options");
  AddCommonOptions(desc, common);
  AddProgrammedChipOptions(desc, inputs, "plan from xbar compile (.xbp)",
                           "pulse program (.xbpulse): programs a fresh chip instance",
                           "or a programmed chip state (.xbcs)");
  desc.add_options()
      ("dataset", po::value(&dataset)->default_value(dataset), "mnist or fashion-mnist (test split)")
      ("backend", po::value(&backend_name)->default_value(backend_name),
       "behavioural, or rtl: the SystemVerilog controller under Verilator drives the chip model");
  AddSpikeOptions(desc, spike_flags, "NIR plans (instead of --dataset)");
  AddChipEvalAgeOptions(desc, flags, "1s,1h,1d,1mo,1y,10y");
  AddChipEvalReadOptions(desc, flags, "training images that calibrate the output amplifier");
  AddTimingOptions(desc, flags);
  desc.add_options()
      ("trace", po::value(&trace_path), "rtl backend: write a VCD waveform here (one worker)")
      ("cycle-budget", po::value(&cycle_budget)->default_value(cycle_budget),
       "rtl backend: clock cycles one command may take before the run fails");
  po::positional_options_description positional;
  positional.add("plan", 1);
  po::variables_map vm;
  if (auto code = Parse(name,
                        "PLAN.xbp (--program P.xbpulse | --chip-state S.xbcs) [--dataset mnist] "
                        "[--ages 1s,1h,1d] [--backend rtl] [--spikes IN.npy [--labels Y.npy] [--out OUT.npy]]",
                        argc, argv, desc, &positional, vm)) {
    return *code;
  }
  if (auto ok = CheckProgramOrState(inputs); !ok) return ReportError(name, ok.error());
  auto options = FinishChipEvalOptions(flags, common, vm);
  if (!options) return ReportError(name, options.error());

  auto backend = runtime::MakeBackend(backend_name, {.trace_path = trace_path, .cycle_budget = cycle_budget});
  if (!backend) return ReportError(name, WithContext(backend.error(), "--backend"));
  auto plan = compiler::ReadPlan(inputs.plan_path);
  if (!plan) return ReportError(name, plan.error());
  if (spike_flags.any() && plan->populations.empty()) {
    return ReportError(name, Error{ErrorCode::kInvalidArgument,
                                   "--spikes and its outputs are for plans of NIR populations; " + inputs.plan_path +
                                       " is not one (it takes --dataset)"});
  }
  compiler::PulseProgram program;
  auto chip = runtime::ProgrammedChip(*plan, inputs.program_path, inputs.state_path, **backend, &program);
  if (!chip) return ReportError(name, chip.error());
  if (!plan->populations.empty()) {
    return InferSpikes(name, common, inputs, spike_flags, *plan, *chip, **backend, *options,
                       inputs.program_path.empty() ? nullptr : &program);
  }
  const std::string data_dir = runtime::DataDir(common.data_dir);
  auto test = runtime::LoadDataset(dataset, data_dir, runtime::Split::kTest, flags.limit);
  if (!test) return ReportError(name, test.error());
  auto calibration = runtime::LoadDataset(dataset, data_dir, runtime::Split::kTrain, flags.calibration_images);
  if (!calibration) return ReportError(name, calibration.error());

  auto report = runtime::EvaluateChip(*plan, *chip, *test, *calibration, **backend, *options);
  if (!report) return ReportError(name, WithContext(report.error(), std::string((*backend)->name()) + " backend"));
  const runtime::InferRecord record =
      runtime::MakeInferRecord(std::move(*report), *options, inputs.plan_path, dataset, std::string((*backend)->name()),
                               chip->seed(), inputs.program_path.empty() ? nullptr : &program);
  if (!common.quiet) std::fputs(runtime::InferSummary(record, plan->chip.clock_hz).c_str(), stderr);
  EmitJson(common, runtime::ToJson(record));
  return 0;
}

}  // namespace xbar::tools
