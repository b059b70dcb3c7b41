// NumPy .npy reader and writer (format versions 1.0, 2.0 and 3.0).
#include "support/npy.h"

#include <cstring>
#include <charconv>
#include <optional>
#include <regex>
#include <vector>

#include "support/file_io.h"

namespace xbar {
namespace {

uint64_t Le(const std::string& b, std::size_t at, int width) {
  uint64_t v = 0;
  for (int i = 0; i < width; ++i) v |= uint64_t{static_cast<unsigned char>(b[at + i])} << (8 * i);
  return v;
}

}  // namespace

namespace {
// Compiled once (the header fields of the .npy format, version 1.0-3.0).
const std::regex kDescr(R"('descr'\s*:\s*'([^']*)')");
const std::regex kFortran(R"('fortran_order'\s*:\s*(True|False))");
const std::regex kShape(R"('shape'\s*:\s*\(([^)]*)\))");
const std::regex kNumber(R"(\d+)");
}  // namespace

namespace {

// One element type of the .npy header: its size and how to widen it to double.
struct Dtype {
  int item = 0;
  double (*load)(const char*) = nullptr;
};

template <class T>
double Load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return static_cast<double>(v);
}

// Dtypes of the header's 'descr': floats always, integers and booleans for tensors.
std::optional<Dtype> DtypeOf(const std::string& descr, bool floats_only) {
  if (descr == "<f8") return Dtype{8, Load<double>};
  if (descr == "<f4") return Dtype{4, Load<float>};
  if (floats_only) return std::nullopt;
  if (descr == "|b1" || descr == "|u1") return Dtype{1, Load<uint8_t>};
  if (descr == "|i1") return Dtype{1, Load<int8_t>};
  if (descr == "<i2") return Dtype{2, Load<int16_t>};
  if (descr == "<u2") return Dtype{2, Load<uint16_t>};
  if (descr == "<i4") return Dtype{4, Load<int32_t>};
  if (descr == "<u4") return Dtype{4, Load<uint32_t>};
  if (descr == "<i8") return Dtype{8, Load<int64_t>};
  if (descr == "<u8") return Dtype{8, Load<uint64_t>};
  return std::nullopt;
}

constexpr std::size_t kMaxRank = 8;

Expected<NpyTensor> Parse(const std::string& bytes, const std::string& name, bool floats_only) {
  auto bad = [&](const std::string& what) { return Fail(ErrorCode::kDataLoss, name + ": " + what); };
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) return bad("not a .npy file (bad magic)");
  const int major = static_cast<unsigned char>(bytes[6]);
  if (major < 1 || major > 3) return bad(".npy format version " + std::to_string(major) + " is not supported (1-3)");
  const int len_width = major == 1 ? 2 : 4;
  const std::size_t header_start = 8 + static_cast<std::size_t>(len_width);
  if (bytes.size() < header_start) return bad("truncated .npy header");
  const uint64_t header_len = Le(bytes, 8, len_width);
  if (bytes.size() < header_start + header_len) return bad("truncated .npy header");
  const std::string header = bytes.substr(header_start, header_len);
  std::smatch m;
  if (!std::regex_search(header, m, kDescr)) return bad("no dtype in the .npy header");
  const std::string descr = m[1];
  const auto dtype = DtypeOf(descr, floats_only);
  if (!dtype) {
    return bad("dtype '" + descr + "' is not supported (use float64 '<f8' or float32 '<f4'" +
               (floats_only ? ")" : ", integers or booleans)"));
  }
  if (!std::regex_search(header, m, kFortran)) {
    return bad("no fortran_order in the .npy header");
  }
  if (m[1] == "True") return bad("Fortran-order arrays are not supported (save with C order)");
  if (!std::regex_search(header, m, kShape)) return bad("no shape in the .npy header");
  NpyTensor out;
  const std::string dims = m[1];
  uint64_t count = 1;
  for (auto it = std::sregex_iterator(dims.begin(), dims.end(), kNumber); it != std::sregex_iterator(); ++it) {
    uint64_t dim = 0;
    const std::string digits = it->str();
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), dim);
    if (ec != std::errc() || end != digits.data() + digits.size()) {
      return bad("shape dimension " + digits.substr(0, 24) + (digits.size() > 24 ? "..." : "") +
                 " is not a number below 2^64");
    }
    if (out.shape.size() == kMaxRank) return bad("arrays of more than 8 dimensions are not supported");
    if (dim > (1ull << 31) || (dim > 0 && count > (1ull << 31) / dim)) {
      return bad("the shape holds more than 2^31 values (the limit)");
    }
    count *= dim;
    out.shape.push_back(static_cast<int64_t>(dim));
  }
  const std::size_t data_start = header_start + header_len;
  const uint64_t have = bytes.size() - data_start;
  const uint64_t item = static_cast<uint64_t>(dtype->item);
  if (count * item != have) {
    return bad("data size mismatch: shape needs " + std::to_string(count * item) + " bytes, file has " +
               std::to_string(have));
  }
  out.values.resize(static_cast<std::size_t>(count));
  const char* p = bytes.data() + data_start;
  for (std::size_t k = 0; k < out.values.size(); ++k) out.values[k] = dtype->load(p + item * k);
  return out;
}

}  // namespace

Expected<NpyTensor> ParseNpyTensor(const std::string& bytes, const std::string& name) {
  return Parse(bytes, name, false);
}

Expected<NpyTensor> ReadNpyTensor(const std::string& path) {
  auto bytes = ReadFile(path);
  if (!bytes) return std::unexpected(bytes.error());
  return ParseNpyTensor(*bytes, path);
}

Expected<NpyArray> ParseNpy(const std::string& bytes, const std::string& name) {
  auto tensor = Parse(bytes, name, true);
  if (!tensor) return std::unexpected(tensor.error());
  const std::size_t rank = tensor->shape.size();
  if (rank == 0 || rank > 2) {
    return Fail(ErrorCode::kDataLoss,
                name + ": " + std::to_string(rank) + "-dimensional arrays are not supported (1-D or 2-D)");
  }
  const int64_t rows = tensor->shape[0], cols = rank == 2 ? tensor->shape[1] : 1;
  NpyArray out;
  out.ndim = static_cast<int>(rank);
  out.data = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      tensor->values.data(), rows, cols);
  return out;
}

Expected<NpyArray> ReadNpy(const std::string& path) {
  auto bytes = ReadFile(path);
  if (!bytes) return std::unexpected(bytes.error());
  return ParseNpy(*bytes, path);
}

namespace {

std::string NpyBytes(const std::string& shape, const double* data, std::size_t count) {
  std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad so that magic + version + length + header is a multiple of 64, ending in a newline.
  const std::size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::string out = "\x93NUMPY";
  out.push_back('\x01');
  out.push_back('\x00');
  out.push_back(static_cast<char>(header.size() & 0xFF));
  out.push_back(static_cast<char>(header.size() >> 8));
  out += header;
  out.append(reinterpret_cast<const char*>(data), count * sizeof(double));
  return out;
}

}  // namespace

Expected<void> WriteNpy(const std::string& path, const Eigen::MatrixXd& data, int ndim) {
  XBAR_CHECK(ndim == 2 || (ndim == 1 && data.cols() == 1));
  std::string shape = ndim == 1 ? "(" + std::to_string(data.rows()) + ",)"
                                : "(" + std::to_string(data.rows()) + ", " + std::to_string(data.cols()) + ")";
  const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rm = data;
  return WriteFileAtomic(path, NpyBytes(shape, rm.data(), static_cast<std::size_t>(rm.size())));
}

Expected<void> WriteNpyTensor(const std::string& path, const NpyTensor& tensor) {
  std::string shape = "(";
  std::size_t count = 1;
  for (int64_t d : tensor.shape) {
    shape += std::to_string(d) + (tensor.shape.size() == 1 ? ",)" : ", ");
    count *= static_cast<std::size_t>(d);
  }
  if (tensor.shape.size() != 1) {
    if (tensor.shape.size() > 1) shape.resize(shape.size() - 2);
    shape += ")";
  }
  XBAR_CHECK(count == tensor.values.size());
  return WriteFileAtomic(path, NpyBytes(shape, tensor.values.data(), count));
}

}  // namespace xbar
