// The option groups several xbar commands share (declared in cli.h): chip evaluation, programmed
// chip inputs, tile wires.
#include "support/duration.h"
#include "tools/xbar/cli.h"

namespace xbar::tools {

void AddChipEvalAgeOptions(po::options_description& desc, ChipEvalFlags& flags, const char* ages_example) {
  desc.add_options()
      ("age", po::value(&flags.ages_text), "time since programming, e.g. 1d (default: the drift t0)")
      ("ages", po::value(&flags.ages_text), (std::string("several ages, e.g. ") + ages_example).c_str())
      ("compensation", po::value(&flags.compensation_text)->default_value(flags.compensation_text),
       "drift compensation modes to report, from none, global, column");
}

void AddChipEvalReadOptions(po::options_description& desc, ChipEvalFlags& flags, const char* calibration_help) {
  desc.add_options()
      ("limit", po::value(&flags.limit)->default_value(0), "test images (0: all)")
      ("calibration-images", po::value(&flags.calibration_images)->default_value(flags.calibration_images),
       calibration_help)
      ("no-ir-drop", po::bool_switch(&flags.no_ir_drop), "read the tiles without wire resistance")
      ("no-read-noise", po::bool_switch(&flags.no_read_noise), "read without read noise")
      ("no-drift", po::bool_switch(&flags.no_drift), "conductances do not drift");
}

void AddTimingOptions(po::options_description& desc, ChipEvalFlags& flags) {
  auto& timing = flags.timing;
  desc.add_options()
      ("sense-cycles", po::value(&timing.sense_cycles)->default_value(timing.sense_cycles),
       "clock cycles the tiles integrate their currents")
      ("neuron-cycles", po::value(&timing.neuron_cycles)->default_value(timing.neuron_cycles),
       "clock cycles of one neuron-array step");
}


Expected<runtime::ChipEvalOptions> FinishChipEvalOptions(const ChipEvalFlags& flags, const CommonOptions& common,
                                                         const po::variables_map& vm) {
  if (vm.count("age") && vm.count("ages")) return Fail(ErrorCode::kInvalidArgument, "give --age or --ages, not both");
  if (flags.limit < 0) {
    return Fail(ErrorCode::kInvalidArgument, "--limit " + std::to_string(flags.limit) + " must be >= 0");
  }
  if (flags.calibration_images < 1) {
    return Fail(ErrorCode::kInvalidArgument,
                "--calibration-images " + std::to_string(flags.calibration_images) + " must be >= 1");
  }
  runtime::ChipEvalOptions options;
  if (!flags.ages_text.empty()) {
    auto ages = ParseDurations(flags.ages_text);
    if (!ages) return std::unexpected(WithContext(ages.error(), vm.count("age") ? "--age" : "--ages"));
    options.ages_s = *ages;
  }
  auto compensations = runtime::ParseDriftCompensations(flags.compensation_text);
  if (!compensations) return std::unexpected(compensations.error());
  options.compensations = *compensations;
  options.ir_drop = !flags.no_ir_drop;
  options.read_noise = !flags.no_read_noise;
  options.drift = !flags.no_drift;
  options.timing = flags.timing;
  options.seed = common.seed;
  options.limit = flags.limit;
  options.threads = common.threads;
  return options;
}

void AddProgrammedChipOptions(po::options_description& desc, ProgrammedChipFlags& flags, const char* plan_help,
                              const char* program_help, const char* state_help) {
  desc.add_options()("plan", po::value(&flags.plan_path)->required(), plan_help)(
      "program", po::value(&flags.program_path), program_help);
  if (*state_help != '\0') desc.add_options()("chip-state", po::value(&flags.state_path), state_help);
}

Expected<void> CheckProgramOrState(const ProgrammedChipFlags& flags) {
  if (flags.program_path.empty() == flags.state_path.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "give exactly one of --program and --chip-state");
  }
  return {};
}

void AddWireOptions(po::options_description& desc, device_models::TileWires& wires) {
  desc.add_options()
      ("r-row", po::value(&wires.r_row_ohm)->required(), "row wire resistance per cell segment, ohm (0: ideal)")
      ("r-col", po::value(&wires.r_col_ohm)->required(), "column wire resistance per cell segment, ohm (0: ideal)")
      ("r-driver", po::value(&wires.r_driver_ohm)->default_value(0.0), "row driver resistance, ohm (0: ideal)")
      ("r-sense", po::value(&wires.r_sense_ohm)->default_value(0.0), "column sense resistance, ohm (0: ideal)");
}

void AddSpikeOptions(po::options_description& desc, SpikeFlags& flags, const std::string& what, bool outputs) {
  desc.add_options()
      ("spikes", po::value(&flags.spikes),
       (what + ": the input spike trains, a .npy array (T, input shape) or (N, T, input shape) of 0/1 or counts").c_str())
      ("labels", po::value(&flags.labels), (what + ": the N class labels (.npy), for an accuracy").c_str());
  if (!outputs) return;
  desc.add_options()
      ("out", po::value(&flags.out), (what + ": write the output spikes (.npy, (N,) T x outputs)").c_str())
      ("membranes", po::value(&flags.membranes),
       (what + ": write the output neurons' membrane voltages (.npy, as --out, file units)").c_str());
}

Expected<SpikeData> ReadSpikeData(const SpikeFlags& flags, int64_t classes) {
  if (flags.spikes.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "a NIR network runs on spike trains: give --spikes in.npy");
  }
  for (const std::string* path : {&flags.out, &flags.membranes}) {
    if (auto ok = CheckOutputFolder(*path); !ok) return std::unexpected(ok.error());
  }
  SpikeData data;
  auto spikes = ReadNpyTensor(flags.spikes);
  if (!spikes) return std::unexpected(spikes.error());
  data.spikes = std::move(*spikes);
  if (!flags.labels.empty()) {
    auto labels = runtime::ReadNirLabels(flags.labels, classes);
    if (!labels) return std::unexpected(labels.error());
    data.labels = std::move(*labels);
  }
  return data;
}

Expected<void> WriteSpikeOutputs(const SpikeFlags& flags, const runtime::NirBatch& batch) {
  if (!flags.out.empty()) {
    if (auto ok = WriteNpyTensor(flags.out, batch.outputs); !ok) return ok;
  }
  if (!flags.membranes.empty()) {
    if (auto ok = WriteNpyTensor(flags.membranes, batch.membranes); !ok) return ok;
  }
  return {};
}

}  // namespace xbar::tools
