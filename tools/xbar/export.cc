// xbar export: a spiking network as a NIR graph (docs/nir.md "Export"): a model as it is, or a
// programmed chip's network with the weights its conductances realise at an age.
#include <cstdio>

#include "compiler/import.h"
#include "compiler/nir.h"
#include "compiler/nir_import.h"
#include "compiler/plan_io.h"
#include "runtime/backend.h"
#include "runtime/chip_eval.h"
#include "runtime/chip_view.h"
#include "runtime/programmed_chip.h"
#include "support/duration.h"
#include "tools/xbar/cli.h"

namespace xbar::tools {

int RunExport(int argc, char** argv) {
  const std::string name = "export";
  CommonOptions common;
  ModelOptions model_options;
  std::string source, program_path, state_path, nir_path, age_text = "1s", compensation_text = "column";
  bool no_ir_drop = false, read_noise = false;
  po::options_description desc("options");
  AddCommonOptions(desc, common);
  desc.add_options()
      ("source", po::value(&source)->required(),
       "a spiking model (.xbm or .nir), or a plan (.xbp) with --chip-state or --program: its network with the "
       "weights the programmed chip's conductances realise")
      ("chip-state", po::value(&state_path), "the programmed chip (.xbcs from xbar program --state)")
      ("program", po::value(&program_path), "or the write-verify run to replay (.xbpulse)")
      ("age", po::value(&age_text)->default_value(age_text), "time since programming the conductances are read at")
      ("compensation", po::value(&compensation_text)->default_value(compensation_text),
       "drift compensation the chip applies: none, global or column (its reference reads right after programming)")
      ("no-ir-drop", po::bool_switch(&no_ir_drop), "the cells' conductances as they are, without the wires' IR drop")
      ("read-noise", po::bool_switch(&read_noise), "include one read-noise realisation (--seed)")
      ("nir", po::value(&nir_path)->required(), "NIR file to write (.nir)");
  AddModelOptions(desc, model_options);
  po::positional_options_description positional;
  positional.add("source", 1);
  po::variables_map vm;
  if (auto code = Parse(name, "(MODEL | PLAN.xbp --chip-state S.xbcs) --nir OUT.nir [--age 1d]", argc, argv, desc,
                        &positional, vm)) {
    return *code;
  }
  if (auto ok = FinishModelOptions(model_options); !ok) return ReportError(name, ok.error());
  if (auto ok = CheckOutputFolder(nir_path); !ok) return ReportError(name, ok.error());
  compiler::Model model;
  if (source.ends_with(".xbp")) {
    if (program_path.empty() == state_path.empty()) {
      return ReportError(name, Error{ErrorCode::kInvalidArgument, "a plan exports its programmed chip: give --chip-state or --program"});
    }
    auto plan = compiler::ReadPlan(source);
    if (!plan) return ReportError(name, plan.error());
    auto age = ParseDuration(age_text);
    if (!age) return ReportError(name, WithContext(age.error(), "--age"));
    auto backend = runtime::MakeBackend("behavioural");
    if (!backend) return ReportError(name, backend.error());
    auto chip = runtime::ProgrammedChip(*plan, program_path, state_path, **backend, nullptr);
    if (!chip) return ReportError(name, chip.error());
    auto compensation = runtime::ParseDriftCompensation(compensation_text);
    if (!compensation) return ReportError(name, WithContext(compensation.error(), "--compensation"));
    // The chip as inference reads it (runtime/chip_eval.h): reference reads right after
    // programming, the present ones at the age, one read-noise realisation when asked for.
    runtime::ChipEvalOptions reads;
    reads.read_noise = read_noise;
    reads.seed = common.seed;
    reads.threads = common.threads;
    const auto reference = runtime::ReferenceReads(*plan, *chip, reads);
    const auto present = runtime::ReadsAtAge(*plan, *chip, *age, reads);
    auto view = runtime::ChipView::Create(*plan, present, &reference,
                                          {.ir_drop = !no_ir_drop, .compensation = *compensation, .timing = {}, .threads = common.threads});
    if (!view) return ReportError(name, view.error());
    model = runtime::RealisedModel(*plan, *view);
  } else {
    for (const char* flag : {"chip-state", "program"}) {
      if (vm.count(flag)) {
        return ReportError(name, Error{ErrorCode::kInvalidArgument, std::string("--") + flag + " goes with a plan (.xbp); " +
                                                                        source + " is a model"});
      }
    }
    auto loaded = LoadModel(source, model_options, vm);
    if (!loaded) return ReportError(name, loaded.error());
    model = std::move(*loaded);
  }
  auto graph = compiler::NirFromModel(model);
  if (!graph) return ReportError(name, WithContext(graph.error(), source));
  if (auto ok = compiler::WriteNir(nir_path, *graph); !ok) return ReportError(name, ok.error());
  if (!common.quiet) {
    std::fprintf(stderr, "wrote %s: %s, NIR %s, %zu nodes\n", nir_path.c_str(), model.Describe().c_str(),
                 graph->version.c_str(), graph->nodes.size());
  }
  EmitJson(common, Json::object({{"nir", nir_path},
                                 {"architecture", model.Describe()},
                                 {"nir_version", graph->version},
                                 {"nodes", graph->nodes.size()}}));
  return 0;
}

}  // namespace xbar::tools
