// The xbar commands' results as records and as the text they print: one summary per result type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "compiler/plan.h"
#include "compiler/program_gen.h"
#include "runtime/finetune.h"
#include "runtime/program_replay.h"
#include "runtime/results.h"
#include "runtime/trainer.h"
#include "runtime/yield.h"

namespace xbar::runtime {

/// xbar compile's record of `plan`, compiled from `model_path` for `chip_path` and written to `plan_path`.
CompileRecord MakeCompileRecord(const compiler::Plan& plan, const std::string& model_path,
                                const std::string& chip_path, const std::string& plan_path);

/// xbar compile's summary: tiles and cells used, every layer's quantisation error, the remap and
/// IR-drop compensation figures, and "wrote PLAN_PATH in S s".
std::string CompileSummary(const compiler::Plan& plan, const std::string& plan_path);

/// xbar program's record of `program` (written to or replayed from `program_path`; `scheme` as the
/// command was given it), replayed on `backend` in `seconds`.
ProgramRecord MakeProgramRecord(const compiler::PulseProgram& program, compiler::ProgramScheme scheme,
                                const ReplayResult& replay, const std::string& backend,
                                const std::string& program_path, double seconds);

/// xbar program's one-line summary of `record`, a program for `tiles` tiles.
std::string ProgramSummary(const ProgramRecord& record, std::size_t tiles);

/// xbar finetune's record of `run` on `dataset` at `age_s` with `compensation` (its name).
FinetuneRecord MakeFinetuneRecord(const FinetuneChipResult& run, const std::string& dataset, double age_s,
                                  const std::string& compensation);

/// xbar finetune's one-line summary: accuracy before and after, cells reprogrammed and their cost.
std::string FinetuneSummary(const FinetuneRecord& record);

/// xbar infer's record of `report`, evaluated with `options` on `backend` for the plan at
/// `plan_path`; `program` (null for a restored chip state) is the pulse program that programmed
/// chip instance `chip_seed`.
InferRecord MakeInferRecord(ChipEvalReport report, const ChipEvalOptions& options, const std::string& plan_path,
                            const std::string& dataset, const std::string& backend, uint64_t chip_seed,
                            const compiler::PulseProgram* program);

/// xbar infer's table: accuracy per (age, compensation) point, latency and energy per image at
/// `clock_hz`.
std::string InferSummary(const InferRecord& record, double clock_hz);

/// xbar yield's record of the run, before FillYieldRecord adds the population: `chips` chips
/// over `ranks` ranks in `seconds`, on `images` test images of `dataset`; `program_path` empty when
/// no pulse program gave the recipe.
YieldRecord MakeYieldRecord(const YieldOptions& options, const std::string& plan_path, const std::string& program_path,
                            const std::string& dataset, int64_t images, int64_t chips, int64_t ranks, double seconds);

/// xbar yield's table: the run, then per point the accuracy distribution and the chips at or
/// above `threshold`.
std::string YieldSummary(const YieldRecord& record, double threshold);

/// xbar train's line for one epoch of `epochs`.
std::string EpochSummary(const EpochStats& stats, int epochs);
/// What `xbar train` is about to do: "train mnist 784-256-10, 60000 images, T=100 P=20, batch 128,
/// 25 epochs, seed 1".
std::string TrainBanner(const std::string& dataset, const std::string& network, int64_t images,
                        const TrainOptions& options);

/// xbar train's JSON of one epoch (test_accuracy null when not measured).
Json ToJson(const EpochStats& stats);

}  // namespace xbar::runtime
