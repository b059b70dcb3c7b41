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

namespace {

// "<base>-<S>x<S>": the base set averaged down to S x S pixels; size -1 for the base set itself.
struct DatasetName {
  std::string base;
  int size = -1;
};

Expected<DatasetName> ParseDatasetName(const std::string& name) {
  auto unknown = [&] {
    return Fail(ErrorCode::kInvalidArgument, "unknown dataset '" + name +
                                                 "' (choose mnist or fashion-mnist, or one averaged down to "
                                                 "S x S pixels with S dividing 28, e.g. mnist-7x7)");
  };
  DatasetName parsed{name, -1};
  const auto dash = name.rfind('-');
  const auto x = name.rfind('x');
  if (dash != std::string::npos && x != std::string::npos && x > dash + 1 && x + 1 < name.size()) {
    const std::string a = name.substr(dash + 1, x - dash - 1), b = name.substr(x + 1);
    const bool digits = a.find_first_not_of("0123456789") == std::string::npos &&
                        b.find_first_not_of("0123456789") == std::string::npos && a.size() <= 3;
    if (digits) {
      if (a != b) return unknown();
      parsed = DatasetName{name.substr(0, dash), std::stoi(a)};
    }
  }
  if (parsed.base != "mnist" && parsed.base != "fashion-mnist") return unknown();
  if (parsed.size != -1 && (parsed.size < 1 || parsed.size > 28 || 28 % parsed.size != 0)) return unknown();
  return parsed;
}

}  // namespace

Expected<Dataset> LoadDataset(const std::string& name, const std::string& data_dir, Split split,
                              int64_t limit) {
  auto parsed = ParseDatasetName(name);
  if (!parsed) return std::unexpected(parsed.error());
  if (limit < 0) {
    return Fail(ErrorCode::kInvalidArgument, "limit = " + std::to_string(limit) + " must be >= 0");
  }
  const std::string prefix = split == Split::kTrain ? "train" : "t10k";
  const std::string dir = data_dir + "/" + parsed->base + "/";
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
  if (parsed->size != -1 && parsed->size != d.width) {
    // Each pixel of the small image is the mean of a block of the full one (box filter).
    const int out = parsed->size;
    if (d.width != d.height || d.width % out != 0) {
      return Fail(ErrorCode::kDataLoss, images_path + ": " + std::to_string(d.height) + " x " +
                                            std::to_string(d.width) + " images cannot be averaged down to " +
                                            std::to_string(out) + " x " + std::to_string(out));
    }
    const int block = d.width / out;
    Eigen::MatrixXf small = Eigen::MatrixXf::Zero(Eigen::Index{out} * out, n);
    for (Eigen::Index s = 0; s < n; ++s) {
      for (int y = 0; y < d.height; ++y) {
        for (int x = 0; x < d.width; ++x) small((y / block) * out + x / block, s) += d.images(y * d.width + x, s);
      }
    }
    d.images = small / static_cast<float>(block * block);
    d.width = d.height = out;
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
