// Model import: xbar's own .xbm, ONNX exported from PyTorch, or a list of .npy weight matrices.
#pragma once

#include <string>

#include "compiler/model.h"
#include "compiler/nir_network.h"
#include "device_models/mif_neuron.h"
#include "support/error.h"

namespace xbar::compiler {

/// Neuron and encoding given to imported weights (ONNX and .npy files carry neither). The
/// defaults are those of `xbar train`.
struct ImportOptions {
  device_models::MifParams neuron;
  Encoding encoding;
  NirRunOptions nir;  // a NIR graph's discretisation: dt and reset (its neurons are its own)
};

/// What a model spec names.
enum class ModelFormat {
  kXbm,      // xbar's model file, read with ReadModel
  kOnnx,     // an ONNX file with Conv/MatMul/Gemm layers (docs/import.md)
  kNpyList,  // one or more .npy weight matrices (inputs x outputs), separated by commas
  kNir,      // a NIR graph (docs/nir.md): its own neuron populations, spike-train inputs
};

/// Classifies `spec` by its extension(s), case-insensitively: `.xbm`, `.onnx`, or `.npy` files
/// separated by commas, or `.nir`. Anything else is kInvalidArgument naming the spec and what is accepted.
Expected<ModelFormat> ModelFormatOf(const std::string& spec);

/// Reads the model named by `spec` (see ModelFormatOf). A .xbm file keeps its own neuron and
/// encoding; ONNX and .npy weights get those of `options`, which are checked first
/// (kInvalidArgument); a NIR graph becomes a model of its populations (compiler/nir_import.h),
/// discretised with `options.nir`. The rules for ONNX graphs are in docs/import.md. Files that are missing
/// are kNotFound; truncated or corrupt files kDataLoss; readable files that do not describe a MIF
/// crossbar network (unsupported ops or attributes, layers that do not chain, wrong array shapes)
/// kFailedPrecondition. Every message names the file.
Expected<Model> ImportModel(const std::string& spec, const ImportOptions& options = {});

}  // namespace xbar::compiler
