// The image data sets xbar trains and evaluates on (MNIST, Fashion-MNIST), loaded from idx files.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <vector>

#include "compiler/layer_shape.h"
#include "support/error.h"

namespace xbar::runtime {

/// Images as columns of pixels in [0, 1], with their labels.
struct Dataset {
  std::string name;
  Eigen::MatrixXf images;        // pixels x samples
  std::vector<uint8_t> labels;   // one per sample, 0 ... classes-1
  int classes = 10;
  int width = 0, height = 0;     // image shape; width * height == images.rows()
  Eigen::Index size() const { return images.cols(); }
};

enum class Split { kTrain, kTest };

/// The data directory: `override_dir` if not empty, else $XBAR_DATA, else ./data.
std::string DataDir(const std::string& override_dir);

/// Loads "mnist" or "fashion-mnist" from `data_dir`/<name>/ (the idx files scripts/setup puts
/// there). "<name>-<S>x<S>" (S dividing 28, e.g. "mnist-7x7") averages each image down to S x S
/// pixels, block by block: the small networks a whole-chip circuit simulation can hold. `limit` > 0 keeps the first `limit` samples. Errors: unknown name (kInvalidArgument),
/// missing files (kNotFound, saying to run scripts/setup), malformed files (kDataLoss).
Expected<Dataset> LoadDataset(const std::string& name, const std::string& data_dir, Split split,
                              int64_t limit = 0);

/// The remap pass's input weights for the first layer (xbar compile --activity): each crossbar
/// row's mean square input over `data`'s images, i.e. each pixel's for a dense layer, each kernel
/// element's over the images and output positions for a convolution (zero in the padding), and 1
/// for a bias row. kInvalidArgument when `data` (named `name`) does not have the layer's inputs.
Expected<std::vector<double>> InputActivity(const Dataset& data, const compiler::LayerShape& layer,
                                            const std::string& name);

}  // namespace xbar::runtime
