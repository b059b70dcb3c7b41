// The report's JSON: the infer, finetune and eval results read through their records
// (runtime/results.h), and report.json.
#pragma once

#include <string>

#include "runtime/report/report.h"
#include "runtime/trainer.h"
#include "support/error.h"
#include "support/json.h"

namespace xbar::runtime::report {

/// xbar infer --json, read by ReadInferRecord (the code xbar infer writes it with). kDataLoss naming
/// the file and the key for text that does not parse, a missing or ill-typed key, an accuracy
/// outside [0, 1].
Expected<ChipRun> ReadChipRun(const std::string& path);
/// xbar finetune --json, by ReadFinetuneRecord; errors as ReadChipRun.
Expected<FinetuneRun> ReadFinetuneRun(const std::string& path);
/// xbar eval --json, by ReadEvalRecord; errors as ReadChipRun.
Expected<EvalResult> ReadEvalResult(const std::string& path);

/// What report.json holds (and xbar report --json prints): the inputs' paths, the accuracies, the
/// per-image figures, conductance, IR-drop, programming, fine-tuning and RTL summaries, the figures.
Json ReportSummaryJson(const Report& report);

}  // namespace xbar::runtime::report
