// Model import: dispatch on the spec's format, and .npy weight lists.
#include "compiler/import.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <vector>

#include "compiler/model_io.h"
#include "compiler/nir_import.h"
#include "compiler/onnx_io.h"
#include "support/npy.h"

namespace xbar::compiler {
namespace {

std::vector<std::string> SplitCommas(const std::string& text) {
  std::vector<std::string> items;
  std::size_t pos = 0;
  while (true) {
    const std::size_t comma = text.find(',', pos);
    items.push_back(text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
    if (comma == std::string::npos) return items;
    pos = comma + 1;
  }
}

std::string LowerExtension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

/// Layers from .npy files, each inputs x outputs; every message names the file.
Expected<Model> ReadNpyList(const std::vector<std::string>& paths, const ImportOptions& options) {
  Model model;
  model.name = std::filesystem::path(paths.front()).stem().string();
  model.neuron = options.neuron;
  model.encoding = options.encoding;
  for (std::size_t l = 0; l < paths.size(); ++l) {
    auto array = ReadNpy(paths[l]);
    if (!array) return std::unexpected(array.error());
    if (array->ndim != 2) {
      return Fail(ErrorCode::kFailedPrecondition,
                  paths[l] + ": weights must be a 2-D array of inputs x outputs, not 1-D with " +
                      std::to_string(array->data.rows()) + " values");
    }
    if (array->data.size() == 0) {
      return Fail(ErrorCode::kFailedPrecondition,
                  paths[l] + ": weights of shape " + std::to_string(array->data.rows()) + "x" +
                      std::to_string(array->data.cols()) + " are empty");
    }
    if (!array->data.allFinite()) {
      return Fail(ErrorCode::kFailedPrecondition, paths[l] + ": weights are not all finite");
    }
    if (l > 0 && array->data.rows() != model.weights.back().rows()) {
      return Fail(ErrorCode::kFailedPrecondition,
                  paths[l] + ": " + std::to_string(array->data.rows()) + " inputs but " + paths[l - 1] +
                      " has " + std::to_string(model.weights.back().rows()) +
                      " outputs (each file is inputs x outputs; layers must chain)");
    }
    model.weights.push_back(array->data.transpose().cast<float>());
  }
  if (auto ok = model.Validate(); !ok) {
    Error error = WithContext(ok.error(), paths.front());
    error.code = ErrorCode::kFailedPrecondition;
    return std::unexpected(error);
  }
  return model;
}

}  // namespace

Expected<ModelFormat> ModelFormatOf(const std::string& spec) {
  const std::vector<std::string> items = SplitCommas(spec);
  const bool all_npy = std::all_of(items.begin(), items.end(), [](const std::string& item) {
    return LowerExtension(item) == ".npy" && std::filesystem::path(item).stem() != "";
  });
  if (all_npy) return ModelFormat::kNpyList;
  if (items.size() == 1 && LowerExtension(spec) == ".xbm") return ModelFormat::kXbm;
  if (items.size() == 1 && LowerExtension(spec) == ".onnx") return ModelFormat::kOnnx;
  if (items.size() == 1 && LowerExtension(spec) == ".nir") return ModelFormat::kNir;
  return Fail(ErrorCode::kInvalidArgument,
              "model '" + spec +
                  "' is not a .xbm file, a .onnx file, a .nir file or a comma-separated list of .npy weight files");
}

Expected<Model> ImportModel(const std::string& spec, const ImportOptions& options) {
  auto format = ModelFormatOf(spec);
  if (!format) return std::unexpected(format.error());
  if (*format == ModelFormat::kXbm) return ReadModel(spec);
  if (*format == ModelFormat::kNir) {
    auto graph = ReadNir(spec);
    if (!graph) return std::unexpected(graph.error());
    auto net = NirNetwork::Create(std::move(*graph), options.nir, spec);
    if (!net) return std::unexpected(net.error());
    return ModelFromNir(*net, spec);
  }
  if (auto ok = options.neuron.Validate(); !ok) return std::unexpected(ok.error());
  if (auto ok = options.encoding.Validate(); !ok) return std::unexpected(ok.error());
  if (*format == ModelFormat::kOnnx) return ReadOnnxModel(spec, options);
  return ReadNpyList(SplitCommas(spec), options);
}

}  // namespace xbar::compiler
