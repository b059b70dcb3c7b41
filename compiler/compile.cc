// The compile pipeline: the pass list, option text, and the driver that runs the passes in order.
#include "compiler/compile.h"

#include <chrono>

#include "compiler/pass_options.h"

namespace xbar::compiler {
namespace {

namespace dm = device_models;

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

}  // namespace

std::span<const PassInfo> Passes() {
  static const PassInfo passes[] = {QuantizePassInfo(), TilePassInfo(), ConvPassInfo(), PlacePassInfo(),
                                    RemapPassInfo(), CompensatePassInfo()};
  return passes;
}

std::string FormatPassList() {
  std::string out = "passes, in pipeline order (options are --<pass>-<option>):\n";
  for (const auto& pass : Passes()) {
    out += "\n  " + std::string(pass.name) + ": " + std::string(pass.summary) + "\n";
    for (const auto& option : pass.options) {
      out += "    " + PassFlag(pass.name, option.name) + " (" + std::string(option.type) + ", default " +
             option.default_value + "): " + std::string(option.help) + "\n";
    }
    for (const auto& stat : pass.statistics) {
      out += "    statistic " + std::string(stat.name) + " [" + std::string(stat.unit) + "]: " +
             std::string(stat.help) + "\n";
    }
  }
  return out;
}

Expected<void> SetPassOption(CompileOptions& options, std::string_view pass, std::string_view option,
                             std::string_view value) {
  const std::string flag = PassFlag(pass, option);
  for (const auto& info : Passes()) {
    if (info.name == pass && info.set_option != nullptr) return info.set_option(options, option, flag, value);
  }
  return std::unexpected(UnknownPassOption(flag));
}

Expected<CompileState> StartCompile(const Model& model, const dm::ChipSpec& chip) {
  if (auto ok = model.Validate(); !ok) return std::unexpected(WithContext(ok.error(), "model"));
  if (auto ok = chip.Validate(); !ok) return std::unexpected(WithContext(ok.error(), "chip"));
  CompileState state;
  state.model = &model;
  state.plan.model_name = model.name;
  state.plan.neuron = model.neuron;
  state.plan.encoding = model.encoding;
  state.plan.populations = model.populations;
  state.plan.chip = chip;
  return state;
}

void PopulatePipeline(const CompileOptions& options, std::vector<Pass>& pipeline) {
  pipeline.push_back({&QuantizePassInfo(), [q = options.quantize](CompileState& s, PassReport& r) {
                        return QuantizePass(q, s, r);
                      }});
  pipeline.push_back({&TilePassInfo(), [](CompileState& s, PassReport& r) { return TilePass(s, r); }});
  if (options.conv.replicas != 1) {
    pipeline.push_back({&ConvPassInfo(), [c = options.conv](CompileState& s, PassReport& r) {
                          return ConvPass(c, s, r);
                        }});
  }
  pipeline.push_back({&PlacePassInfo(), [](CompileState& s, PassReport& r) { return PlacePass(s, r); }});
  if (!options.remap.faults.empty()) {
    pipeline.push_back({&RemapPassInfo(), [&r = options.remap](CompileState& s, PassReport& report) {
                          return RemapPass(r, s, report);
                        }});
  }
  if (options.compensate.enabled) {
    pipeline.push_back({&CompensatePassInfo(), [c = options.compensate, threads = options.threads](
                                                   CompileState& s, PassReport& r) {
                          return CompensatePass(c, threads, s, r);
                        }});
  }
}

Expected<Plan> Compile(const Model& model, const dm::ChipSpec& chip, const CompileOptions& options) {
  const auto start = Clock::now();
  auto state = StartCompile(model, chip);
  if (!state) return std::unexpected(state.error());
  std::vector<Pass> pipeline;
  PopulatePipeline(options, pipeline);
  for (const Pass& pass : pipeline) {
    PassReport report;
    report.pass = std::string(pass.info->name);
    const auto pass_start = Clock::now();
    if (auto ok = pass.run(*state, report); !ok) return std::unexpected(ok.error());
    report.seconds = Seconds(pass_start);
    state->plan.passes.push_back(std::move(report));
  }
  state->plan.compile_seconds = Seconds(start);
  return std::move(state->plan);
}

}  // namespace xbar::compiler
