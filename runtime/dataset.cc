// Loads MNIST-family idx files into a Dataset.
#include "runtime/dataset.h"

#include <cstdlib>
#include <filesystem>

#include "support/idx.h"

namespace xbar::runtime {

std::string DataDir(const std::string& override_dir) {
  if (!override_dir.empty()) return override_dir;
  if (const char* env = std::getenv("XBAR_DATA"); env != nullptr && *env != '\0') return env;
  return "data";
}

Expected<Dataset> LoadDataset(const std::string& name, const std::string& data_dir, Split split,
                              int64_t limit) {
  if (name != "mnist" && name != "fashion-mnist") {
    return Fail(ErrorCode::kInvalidArgument,
                "unknown dataset '" + name + "' (choose mnist or fashion-mnist)");
  }
  if (limit < 0) {
    return Fail(ErrorCode::kInvalidArgument, "limit = " + std::to_string(limit) + " must be >= 0");
  }
  const std::string prefix = split == Split::kTrain ? "train" : "t10k";
  const std::string dir = data_dir + "/" + name + "/";
  const std::string images_path = dir + prefix + "-images-idx3-ubyte";
  const std::string labels_path = dir + prefix + "-labels-idx1-ubyte";
  for (const auto& p : {images_path, labels_path}) {
    if (!std::filesystem::exists(p)) {
      return Fail(ErrorCode::kNotFound, p + ": data set file not found (run scripts/setup, or "
                                            "point --data-dir or XBAR_DATA at its folder)");
    }
  }
  auto images = ReadIdx(images_path, 3);
  if (!images) return std::unexpected(images.error());
  auto labels = ReadIdx(labels_path, 1);
  if (!labels) return std::unexpected(labels.error());
  const uint32_t count = images->dims[0];
  if (labels->dims[0] != count) {
    return Fail(ErrorCode::kDataLoss, labels_path + ": " + std::to_string(labels->dims[0]) +
                                          " labels for " + std::to_string(count) + " images");
  }
  const Eigen::Index pixels = Eigen::Index{images->dims[1]} * images->dims[2];
  if (pixels == 0) return Fail(ErrorCode::kDataLoss, images_path + ": images have zero pixels");
  Eigen::Index n = count;
  if (limit > 0 && limit < n) n = limit;
  Dataset d;
  d.name = name;
  d.height = static_cast<int>(images->dims[1]);
  d.width = static_cast<int>(images->dims[2]);
  d.images.resize(pixels, n);
  for (Eigen::Index s = 0; s < n; ++s) {
    for (Eigen::Index p = 0; p < pixels; ++p) {
      d.images(p, s) = static_cast<float>(images->data[static_cast<std::size_t>(s * pixels + p)]) / 255.0f;
    }
  }
  d.labels.assign(labels->data.begin(), labels->data.begin() + n);
  for (std::size_t s = 0; s < d.labels.size(); ++s) {
    if (d.labels[s] >= d.classes) {
      return Fail(ErrorCode::kDataLoss, labels_path + ": label " + std::to_string(d.labels[s]) +
                                            " of sample " + std::to_string(s) + " is not below " +
                                            std::to_string(d.classes));
    }
  }
  return d;
}

Expected<std::vector<double>> InputActivity(const Dataset& data, const compiler::LayerShape& layer,
                                            const std::string& name) {
  const Eigen::Index inputs = layer.source.size();
  if (data.images.rows() != inputs) {
    return Fail(ErrorCode::kInvalidArgument, "--activity " + name + " has " + std::to_string(data.images.rows()) +
                                                 " inputs, the model's first layer " + std::to_string(inputs));
  }
  const Eigen::VectorXd mean_square = data.images.cast<double>().array().square().rowwise().mean();
  std::vector<double> activity(mean_square.data(), mean_square.data() + mean_square.size());
  if (layer.kind == compiler::LayerKind::kConv) {
    // Kernel element (c, ky, kx) sees pixel (c, oy*S + ky - P, ox*S + kx - P) at output position
    // (oy, ox), and zero in the padding.
    const compiler::Shape3 in = layer.source, out = layer.output();
    const int k = layer.kernel;
    std::vector<double> kernel(static_cast<std::size_t>(layer.fan_in()), 0.0);
    for (int c = 0; c < in.c; ++c) {
      for (int ky = 0; ky < k; ++ky) {
        for (int kx = 0; kx < k; ++kx) {
          double sum = 0;
          for (int oy = 0; oy < out.h; ++oy) {
            const int y = oy * layer.stride + ky - layer.padding;
            for (int ox = 0; y >= 0 && y < in.h && ox < out.w; ++ox) {
              const int x = ox * layer.stride + kx - layer.padding;
              if (x >= 0 && x < in.w) sum += activity[static_cast<std::size_t>((c * in.h + y) * in.w + x)];
            }
          }
          kernel[static_cast<std::size_t>((c * k + ky) * k + kx)] = sum / layer.positions();
        }
      }
    }
    activity = std::move(kernel);
  }
  if (layer.bias) activity.push_back(1.0);  // the bias row is driven at the constant input 1
  return activity;
}

}  // namespace xbar::runtime
