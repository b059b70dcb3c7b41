// NumPy .npy reader and writer (format versions 1.0, 2.0 and 3.0).
#include "support/npy.h"

#include <cstring>
#include <charconv>
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

Expected<NpyArray> ParseNpy(const std::string& bytes, const std::string& name) {
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
  int item = 0;
  if (descr == "<f8") {
    item = 8;
  } else if (descr == "<f4") {
    item = 4;
  } else {
    return bad("dtype '" + descr + "' is not supported (use float64 '<f8' or float32 '<f4')");
  }
  if (!std::regex_search(header, m, kFortran)) {
    return bad("no fortran_order in the .npy header");
  }
  if (m[1] == "True") return bad("Fortran-order arrays are not supported (save with C order)");
  if (!std::regex_search(header, m, kShape)) return bad("no shape in the .npy header");
  std::vector<uint64_t> shape;
  const std::string dims = m[1];
  for (auto it = std::sregex_iterator(dims.begin(), dims.end(), kNumber); it != std::sregex_iterator(); ++it) {
    uint64_t dim = 0;
    const std::string digits = it->str();
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), dim);
    if (ec != std::errc() || end != digits.data() + digits.size()) {
      return bad("shape dimension " + digits.substr(0, 24) + (digits.size() > 24 ? "..." : "") +
                 " is not a number below 2^64");
    }
    shape.push_back(dim);
  }
  if (shape.empty() || shape.size() > 2) {
    return bad(std::to_string(shape.size()) + "-dimensional arrays are not supported (1-D or 2-D)");
  }
  const uint64_t rows = shape[0], cols = shape.size() == 2 ? shape[1] : 1;
  if (rows > (1ull << 31) || cols > (1ull << 31)) return bad("array too large");
  const uint64_t count = rows * cols;
  const std::size_t data_start = header_start + header_len;
  const uint64_t have = bytes.size() - data_start;
  if (count > have / item || count * item != have) {  // count * item can pass 2^64: compare by division
    const std::string need = count > UINT64_MAX / item ? "more than 2^64" : std::to_string(count * item);
    return bad("data size mismatch: shape needs " + need + " bytes, file has " + std::to_string(have));
  }
  NpyArray out;
  out.ndim = static_cast<int>(shape.size());
  out.data.resize(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
  const char* p = bytes.data() + data_start;
  for (uint64_t r = 0; r < rows; ++r) {
    for (uint64_t c = 0; c < cols; ++c) {
      const std::size_t k = static_cast<std::size_t>(r * cols + c);
      double v;
      if (item == 8) {
        std::memcpy(&v, p + 8 * k, 8);
      } else {
        float f;
        std::memcpy(&f, p + 4 * k, 4);
        v = f;
      }
      out.data(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c)) = v;
    }
  }
  return out;
}

Expected<NpyArray> ReadNpy(const std::string& path) {
  auto bytes = ReadFile(path);
  if (!bytes) return std::unexpected(bytes.error());
  return ParseNpy(*bytes, path);
}

Expected<void> WriteNpy(const std::string& path, const Eigen::MatrixXd& data, int ndim) {
  XBAR_CHECK(ndim == 2 || (ndim == 1 && data.cols() == 1));
  std::string shape = ndim == 1 ? "(" + std::to_string(data.rows()) + ",)"
                                : "(" + std::to_string(data.rows()) + ", " + std::to_string(data.cols()) + ")";
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
  const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rm = data;
  out.append(reinterpret_cast<const char*>(rm.data()), static_cast<std::size_t>(rm.size()) * sizeof(double));
  return WriteFileAtomic(path, out);
}

}  // namespace xbar
