// Hardware-aware fine-tuning with the chip in the loop (docs/inference.md): the weights the
// programmed chip actually realises (read back at an age: drift, read noise, IR drop, drift
// compensation) are the forward pass (optionally with a fresh draw of read noise around them per
// minibatch); training moves the chosen layers from there, with gradients through the ideal network; the weight changes become conductance changes, and only cells whose
// target moves by more than the verify tolerance are reprogrammed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/model.h"
#include "compiler/plan.h"
#include "compiler/program_gen.h"
#include "device_models/chip_instance.h"
#include "runtime/analog_chip.h"
#include "runtime/backend.h"
#include "runtime/chip_eval.h"
#include "runtime/dataset.h"
#include "support/error.h"

namespace xbar::runtime {

struct FinetuneOptions {
  double age_s = 86400;  // the chip is read back as it will be used: at this age
  DriftCompensation compensation = DriftCompensation::kGlobal;
  bool ir_drop = true;
  bool drift = true;
  bool read_noise = true;
  int epochs = 1;
  double learning_rate = 1e-4;
  int batch_size = 128;
  /// Layers to train; empty: the last layer only (its tiles are few, so is the reprogramming).
  std::vector<bool> trainable;
  /// Every minibatch sees a fresh draw of read noise (at the age) around the read-back weights.
  bool inject_read_noise = false;
  uint64_t seed = 1;  // read-back noise (a realisation of its own, not the evaluation's) and shuffling
  int threads = 0;
  bool quiet = true;
};

struct FinetuneResult {
  compiler::Model chip_weights;   // what the chip realised when read back
  compiler::Model tuned_weights;  // after training
  compiler::Plan plan;            // the plan with the fine-tuned targets
  /// Targets of the cells to reprogram, NaN elsewhere, one entry per plan tile that has any.
  std::vector<compiler::TileTargets> delta;
  int64_t cells_changed = 0;
  double seconds = 0;
};

/// The network the chip computes, as weights: per output, scale times the bit-line pair
/// difference of the view's transfer matrices (IR drop and compensation included).
compiler::Model ChipWeights(const compiler::Plan& plan, const ChipView& view);

/// Fine-tunes `plan` against the programmed `chip` on `train`.
Expected<FinetuneResult> Finetune(const compiler::Plan& plan, const device_models::ChipInstance& chip,
                                  const Dataset& train, const FinetuneOptions& options);

/// The fine-tuning workflow on a programmed chip (xbar finetune), and what each stage produced.
struct FinetuneChipResult {
  ChipEvalReport before;          // the chip as programmed, at options.age_s and options.compensation
  FinetuneResult tuned;           // the fine-tuned plan and the cells to reprogram
  compiler::PulseProgram delta;   // write-verify of those cells on the same chip instance
  ChipEvalReport after;           // the reprogrammed chip with the fine-tuned plan, as `before`
};

/// The evaluation FinetuneChip runs before and after: options.age_s and options.compensation, the
/// same switches, seed and threads.
ChipEvalOptions FinetuneEvalOptions(const FinetuneOptions& options);

/// Evaluates `chip` on `test` (calibrated on `calibration`), fine-tunes `plan` against it on
/// `train`, reprograms the changed cells by write-verify on `chip` itself (seed stream 3 of
/// options.seed) and evaluates again with the fine-tuned plan. Errors name the stage ("before
/// fine-tuning: ...", "delta program: ...", "after fine-tuning: ...").
Expected<FinetuneChipResult> FinetuneChip(const compiler::Plan& plan, device_models::ChipInstance& chip,
                                          const Dataset& train, const Dataset& test, const Dataset& calibration,
                                          ChipBackend& backend, const FinetuneOptions& options);

/// The layers xbar finetune trains (--layers): "last", "all" or comma-separated 0-based indices of a
/// network of `count` layers; kInvalidArgument naming the item otherwise.
Expected<std::vector<bool>> ParseTrainableLayers(const std::string& text, std::size_t count);

}  // namespace xbar::runtime
