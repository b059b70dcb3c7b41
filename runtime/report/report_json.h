// The report's one JSON adapter: reads xbar infer/finetune/eval --json results, writes report.json.
#pragma once

#include <string>

#include "runtime/report/report.h"
#include "runtime/trainer.h"
#include "support/error.h"
#include "support/json.h"

namespace xbar::runtime::report {

/// xbar infer --json: "dataset", "backend", "points" (each "age_s", "compensation", "accuracy" in
/// [0, 1], "images", "correct") and the per-image figures. kDataLoss naming the file (and
/// points[i]) for text that does not parse, a missing or ill-typed field, an accuracy outside [0, 1].
Expected<ChipRun> ReadChipRun(const std::string& path);
/// xbar finetune --json: "accuracy_before" and "accuracy_after" in [0, 1] required; errors as ReadChipRun.
Expected<FinetuneRun> ReadFinetuneRun(const std::string& path);
/// xbar eval --json: "accuracy" in [0, 1] and "samples" required; errors as ReadChipRun.
Expected<EvalResult> ReadEvalResult(const std::string& path);

/// What report.json holds (and xbar report --json prints): the inputs' paths, the accuracies, the
/// per-image figures, conductance, IR-drop, programming, fine-tuning and RTL summaries, the figures.
Json ReportSummaryJson(const Report& report);

}  // namespace xbar::runtime::report
