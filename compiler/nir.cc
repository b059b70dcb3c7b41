// NIR files through libhdf5's C API: ReadNir flattens the node tree into one graph, WriteNir
// builds the file in memory and writes it atomically.
#include "compiler/nir.h"

#include <hdf5.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <filesystem>
#include <functional>
#include <set>

#include "support/file_io.h"

namespace xbar::compiler {
namespace {

// Owns one HDF5 identifier and closes it with the matching call.
class Hid {
 public:
  Hid() = default;
  Hid(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;
  Hid(Hid&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)), close_(o.close_) {}
  Hid& operator=(Hid&& o) noexcept {
    std::swap(id_, o.id_);
    std::swap(close_, o.close_);
    return *this;
  }
  ~Hid() {
    if (id_ >= 0) close_(id_);
  }
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_ = H5I_INVALID_HID;
  herr_t (*close_)(hid_t) = nullptr;
};

// libhdf5 prints its error stack to stderr by default: xbar reports its own one-line errors.
void SilenceHdf5() {
  static const bool silenced = [] { return H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr) >= 0; }();
  (void)silenced;
}

constexpr std::array<std::pair<NirType, std::string_view>, 16> kTypeNames = {{
    {NirType::kInput, "Input"},       {NirType::kOutput, "Output"},     {NirType::kAffine, "Affine"},
    {NirType::kLinear, "Linear"},     {NirType::kScale, "Scale"},       {NirType::kConv2d, "Conv2d"},
    {NirType::kSumPool2d, "SumPool2d"}, {NirType::kAvgPool2d, "AvgPool2d"}, {NirType::kFlatten, "Flatten"},
    {NirType::kI, "I"},               {NirType::kIF, "IF"},             {NirType::kLI, "LI"},
    {NirType::kLIF, "LIF"},           {NirType::kCubaLI, "CubaLI"},     {NirType::kCubaLIF, "CubaLIF"},
    {NirType::kThreshold, "Threshold"},
}};

// Datasets stored as integers when xbar writes them.
const std::set<std::string> kIntegerParams = {"shape", "stride", "padding", "dilation", "groups", "kernel_size",
                                              "start_dim", "end_dim", "input_type", "input_shape"};

// The parameters each node type must have (optional ones are checked where they are used).
const std::map<NirType, std::vector<std::string>> kRequired = {
    {NirType::kInput, {"shape"}},
    {NirType::kOutput, {"shape"}},
    {NirType::kAffine, {"weight", "bias"}},
    {NirType::kLinear, {"weight"}},
    {NirType::kScale, {"scale"}},
    {NirType::kConv2d, {"weight", "stride", "dilation", "groups"}},
    {NirType::kSumPool2d, {"kernel_size", "stride", "padding"}},
    {NirType::kAvgPool2d, {"kernel_size", "stride", "padding"}},
    {NirType::kFlatten, {"start_dim", "end_dim"}},
    {NirType::kI, {"r"}},
    {NirType::kIF, {"r", "v_threshold"}},
    {NirType::kLI, {"tau", "r", "v_leak"}},
    {NirType::kLIF, {"tau", "r", "v_leak", "v_threshold"}},
    {NirType::kCubaLI, {"tau_syn", "tau_mem", "r", "v_leak"}},
    {NirType::kCubaLIF, {"tau_syn", "tau_mem", "r", "v_leak", "v_threshold"}},
    {NirType::kThreshold, {"threshold"}},
};

class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {}

  Expected<NirGraph> Read() {
    SilenceHdf5();
    if (!std::filesystem::exists(path_)) return Fail(ErrorCode::kNotFound, path_ + ": no such file");
    if (H5Fis_hdf5(path_.c_str()) <= 0) return Bad("not an HDF5 file (NIR files are HDF5)");
    Hid file(H5Fopen(path_.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    if (!file.ok()) return Bad("HDF5 file cannot be opened");
    auto version = ReadString(file.get(), "version");
    if (!version) return Bad("no root dataset 'version' (not a NIR file)");
    graph_.version = *version;
    const bool supported = graph_.version.starts_with("0.1.") || graph_.version.starts_with("0.2.") ||
                           graph_.version.starts_with("1.");
    if (!supported) {
      return Fail(ErrorCode::kFailedPrecondition,
                  path_ + ": NIR format version " + graph_.version + " is not supported (0.1.x, 0.2.x, 1.x)");
    }
    Hid root(H5Gopen2(file.get(), "node", H5P_DEFAULT), H5Gclose);
    if (!root.ok()) return Bad("no group 'node' (not a NIR file)");
    auto type = ReadString(root.get(), "type");
    if (!type || *type != "NIRGraph") return Bad("the root node is not a NIRGraph");
    if (auto ok = ReadGraph(root.get(), ""); !ok) return std::unexpected(ok.error());
    if (auto ok = RemoveIdentities(); !ok) return std::unexpected(ok.error());
    return std::move(graph_);
  }

 private:
  std::unexpected<Error> Bad(const std::string& what) const { return Fail(ErrorCode::kDataLoss, path_ + ": " + what); }
  std::unexpected<Error> Refuse(const std::string& what) const {
    return Fail(ErrorCode::kFailedPrecondition, path_ + ": " + what);
  }

  // Names of the members of group `group`, in name order.
  static std::vector<std::string> Members(hid_t group) {
    std::vector<std::string> names;
    auto visit = [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
      static_cast<std::vector<std::string>*>(data)->emplace_back(name);
      return 0;
    };
    H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, nullptr, visit, &names);
    return names;
  }

  static bool IsGroup(hid_t parent, const std::string& name) {
    Hid object(H5Oopen(parent, name.c_str(), H5P_DEFAULT), H5Oclose);
    return object.ok() && H5Iget_type(object.get()) == H5I_GROUP;
  }

  // The strings of a string dataset (variable- or fixed-length, any character set), C order.
  std::optional<std::vector<std::string>> ReadStrings(hid_t parent, const std::string& name,
                                                      std::vector<int64_t>* shape = nullptr) const {
    Hid set(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), H5Dclose);
    if (!set.ok()) return std::nullopt;
    Hid type(H5Dget_type(set.get()), H5Tclose);
    if (H5Tget_class(type.get()) != H5T_STRING) return std::nullopt;
    Hid space(H5Dget_space(set.get()), H5Sclose);
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank < 0 || rank > 2) return std::nullopt;
    std::array<hsize_t, 2> dims = {1, 1};
    H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
    std::size_t count = 1;
    if (shape != nullptr) shape->clear();
    for (int d = 0; d < rank; ++d) {
      count *= dims[static_cast<std::size_t>(d)];
      if (shape != nullptr) shape->push_back(static_cast<int64_t>(dims[static_cast<std::size_t>(d)]));
    }
    std::vector<std::string> out;
    if (count == 0) return out;
    Hid memory(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_cset(memory.get(), H5Tget_cset(type.get()));  // UTF-8 into UTF-8: libhdf5 converts no sets
    if (H5Tis_variable_str(type.get()) > 0) {
      H5Tset_size(memory.get(), H5T_VARIABLE);
      std::vector<char*> text(count, nullptr);
      if (H5Dread(set.get(), memory.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, text.data()) < 0) return std::nullopt;
      for (char* t : text) out.emplace_back(t == nullptr ? "" : t);
      H5Dvlen_reclaim(memory.get(), space.get(), H5P_DEFAULT, text.data());
      return out;
    }
    const std::size_t size = H5Tget_size(type.get());
    H5Tset_size(memory.get(), size);
    H5Tset_strpad(memory.get(), H5T_STR_NULLPAD);
    std::string buffer(count * size, '\0');
    if (H5Dread(set.get(), memory.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()) < 0) return std::nullopt;
    for (std::size_t k = 0; k < count; ++k) {
      std::string s = buffer.substr(k * size, size);
      s.erase(std::find(s.begin(), s.end(), '\0'), s.end());
      while (!s.empty() && s.back() == ' ') s.pop_back();  // space-padded strings
      out.push_back(std::move(s));
    }
    return out;
  }

  std::optional<std::string> ReadString(hid_t parent, const std::string& name) const {
    auto strings = ReadStrings(parent, name);
    if (!strings || strings->size() != 1) return std::nullopt;
    return (*strings)[0];
  }

  // A numeric dataset (any integer or float type, read as double).
  Expected<NirTensor> ReadTensor(hid_t parent, const std::string& name, const std::string& node) const {
    Hid set(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), H5Dclose);
    if (!set.ok()) return Bad("node '" + node + "': dataset '" + name + "' cannot be opened");
    Hid type(H5Dget_type(set.get()), H5Tclose);
    const H5T_class_t type_class = H5Tget_class(type.get());
    if (type_class != H5T_INTEGER && type_class != H5T_FLOAT) {
      return Refuse("node '" + node + "': parameter '" + name + "' is not a number");
    }
    Hid space(H5Dget_space(set.get()), H5Sclose);
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank < 0 || rank > 8) return Bad("node '" + node + "': parameter '" + name + "' has rank " + std::to_string(rank));
    std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
    H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
    NirTensor t;
    t.integer = type_class == H5T_INTEGER;
    std::size_t count = 1;
    for (hsize_t d : dims) {
      t.shape.push_back(static_cast<int64_t>(d));
      count *= d;
    }
    if (count > (std::size_t{1} << 31)) return Bad("node '" + node + "': parameter '" + name + "' is too large");
    t.values.resize(count);
    if (count > 0 && H5Dread(set.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.values.data()) < 0) {
      return Bad("node '" + node + "': parameter '" + name + "' cannot be read");
    }
    return t;
  }

  // Reads the graph in `group` with its members named prefix + name; nested graphs recurse.
  Expected<void> ReadGraph(hid_t group, const std::string& prefix) {
    Hid nodes(H5Gopen2(group, "nodes", H5P_DEFAULT), H5Gclose);
    if (!nodes.ok()) return Bad("graph '" + (prefix.empty() ? std::string("node") : prefix) + "' has no 'nodes' group");
    std::vector<std::string> graphs;  // nested graphs, by full name
    for (const std::string& member : Members(nodes.get())) {
      const std::string full = prefix + member;
      if (!IsGroup(nodes.get(), member)) return Bad("node '" + full + "' is not a group");
      Hid node(H5Gopen2(nodes.get(), member.c_str(), H5P_DEFAULT), H5Gclose);
      auto type = ReadString(node.get(), "type");
      if (!type) return Bad("node '" + full + "' has no 'type' string");
      if (*type == "NIRGraph") {
        subgraphs_.insert(full);
        if (auto ok = ReadGraph(node.get(), full + "."); !ok) return ok;
        continue;
      }
      auto parsed = ReadNode(node.get(), full, *type, !prefix.empty());
      if (!parsed) return std::unexpected(parsed.error());
      graph_.nodes.push_back(std::move(*parsed));
    }
    std::vector<int64_t> shape;
    auto edges = ReadStrings(group, "edges", &shape);
    if (!edges) {
      // An empty edge list is written as an empty numeric array by some writers.
      Hid set(H5Dopen2(group, "edges", H5P_DEFAULT), H5Dclose);
      Hid space(set.ok() ? H5Dget_space(set.get()) : H5I_INVALID_HID, H5Sclose);
      if (!space.ok() || H5Sget_simple_extent_npoints(space.get()) != 0) {
        return Bad("graph '" + (prefix.empty() ? std::string("node") : prefix) + "': 'edges' is not an (E, 2) string array");
      }
      return {};
    }
    if (!edges->empty() && (shape.size() != 2 || shape[1] != 2)) {
      return Bad("graph '" + (prefix.empty() ? std::string("node") : prefix) + "': 'edges' is not an (E, 2) string array");
    }
    for (std::size_t e = 0; e + 1 < edges->size(); e += 2) {
      pending_.push_back({prefix, (*edges)[e], (*edges)[e + 1]});
    }
    return {};
  }

  Expected<NirNode> ReadNode(hid_t group, const std::string& name, const std::string& type, bool nested) const {
    NirNode node;
    node.name = name;
    const auto known = std::find_if(kTypeNames.begin(), kTypeNames.end(), [&](const auto& t) { return t.second == type; });
    if (known == kTypeNames.end()) {
      return Refuse("node '" + name + "' has type " + type +
                    ", which xbar does not run (it runs Input, Output, Affine, Linear, Scale, Conv2d, SumPool2d, "
                    "AvgPool2d, Flatten, I, IF, LI, LIF, CubaLI, CubaLIF, Threshold and nested NIRGraph)");
    }
    node.type = known->first;
    for (const std::string& member : Members(group)) {
      if (member == "type") continue;
      if (IsGroup(group, member)) continue;  // metadata (NIR 1.0): no backend relies on it
      if (auto text = ReadString(group, member)) {
        node.strings[member] = *text;
        continue;
      }
      auto tensor = ReadTensor(group, member, name);
      if (!tensor) return std::unexpected(tensor.error());
      node.params[member] = std::move(*tensor);
    }
    for (const std::string& key : kRequired.at(node.type)) {
      if (node.params.count(key) == 0) {
        return Refuse("node '" + name + "' (" + type + ") has no parameter '" + key + "'");
      }
    }
    if (nested && (node.type == NirType::kInput || node.type == NirType::kOutput)) node.type = NirType::kIdentity;
    return node;
  }

  // The node an edge of graph `prefix` names: a member "prefix + name" (exact, so flat files with
  // dotted names work), or a nested graph's Input/Output members for "G" or "G.B" addressing.
  std::vector<int> Resolve(const std::string& prefix, const std::string& name, bool source) const {
    if (int i = graph_.Index(prefix + name); i >= 0) return {i};
    const std::string sub = prefix + name;
    if (!subgraphs_.count(sub)) return {};
    // The whole subgraph: its outputs as a source, its inputs as a destination. They are the
    // members with no edge out of (into) them inside the subgraph; Identity marks Input/Output.
    std::vector<int> ends;
    for (const auto& e : pending_) {
      if (e.prefix != sub + ".") continue;
      for (const std::string* end : {&e.from, &e.to}) {
        const int i = graph_.Index(sub + "." + *end);
        if (i < 0 || graph_.nodes[static_cast<std::size_t>(i)].type != NirType::kIdentity) continue;
        const bool is_output = end == &e.to;
        if (is_output == source && std::find(ends.begin(), ends.end(), i) == ends.end()) ends.push_back(i);
      }
    }
    return ends;
  }

  // Resolves the edges, then joins every identity node's predecessors to its successors.
  Expected<void> RemoveIdentities() {
    std::set<std::pair<int, int>> edges;
    for (const auto& e : pending_) {
      const auto from = Resolve(e.prefix, e.from, true), to = Resolve(e.prefix, e.to, false);
      if (from.empty() || to.empty()) {
        return Bad("edge " + e.from + " -> " + e.to + " names a node the graph does not have");
      }
      for (int f : from) {
        for (int t : to) edges.insert({f, t});
      }
    }
    const int n = static_cast<int>(graph_.nodes.size());
    for (int i = 0; i < n; ++i) {
      if (graph_.nodes[static_cast<std::size_t>(i)].type != NirType::kIdentity) continue;
      std::vector<int> in, out;
      for (const auto& [f, t] : edges) {
        if (t == i && f != i) in.push_back(f);
        if (f == i && t != i) out.push_back(t);
      }
      std::erase_if(edges, [i](const auto& e) { return e.first == i || e.second == i; });
      for (int f : in) {
        for (int t : out) edges.insert({f, t});
      }
    }
    std::vector<int> index(static_cast<std::size_t>(n), -1);
    std::vector<NirNode> kept;
    for (int i = 0; i < n; ++i) {
      if (graph_.nodes[static_cast<std::size_t>(i)].type == NirType::kIdentity) continue;
      index[static_cast<std::size_t>(i)] = static_cast<int>(kept.size());
      kept.push_back(std::move(graph_.nodes[static_cast<std::size_t>(i)]));
    }
    graph_.nodes = std::move(kept);
    for (const auto& [f, t] : edges) {
      graph_.edges.emplace_back(index[static_cast<std::size_t>(f)], index[static_cast<std::size_t>(t)]);
    }
    return {};
  }

  struct PendingEdge {
    std::string prefix, from, to;
  };
  std::string path_;
  NirGraph graph_;
  std::set<std::string> subgraphs_;
  std::vector<PendingEdge> pending_;
};

// Writes into an in-memory HDF5 file; Image() returns its bytes.
class Writer {
 public:
  Writer() {
    SilenceHdf5();
    Hid access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
    H5Pset_fapl_core(access.get(), 1 << 16, 0);  // in memory, no backing store
    // A distinct name per image: libhdf5 refuses to create a file of the name of one still open.
    static std::atomic<uint64_t> count{0};
    const std::string name = "xbar-nir-image-" + std::to_string(count++);
    file_ = Hid(H5Fcreate(name.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get()), H5Fclose);
  }
  bool ok() const { return file_.ok(); }
  hid_t file() const { return file_.get(); }

  static bool String(hid_t parent, const std::string& name, const std::string& value) {
    return Strings(parent, name, {value}, {});
  }

  // A variable-length UTF-8 string dataset of `shape` (empty: scalar).
  static bool Strings(hid_t parent, const std::string& name, const std::vector<std::string>& values,
                      const std::vector<hsize_t>& shape) {
    Hid type(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(type.get(), H5T_VARIABLE);
    H5Tset_cset(type.get(), H5T_CSET_UTF8);
    Hid space(shape.empty() ? H5Screate(H5S_SCALAR) : H5Screate_simple(static_cast<int>(shape.size()), shape.data(), nullptr),
              H5Sclose);
    Hid set(H5Dcreate2(parent, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
    if (!set.ok()) return false;
    std::vector<const char*> text;
    for (const auto& v : values) text.push_back(v.c_str());
    return values.empty() || H5Dwrite(set.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, text.data()) >= 0;
  }

  static bool Tensor(hid_t parent, const std::string& name, const NirTensor& t) {
    std::vector<hsize_t> dims(t.shape.begin(), t.shape.end());
    Hid space(dims.empty() ? H5Screate(H5S_SCALAR) : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
              H5Sclose);
    const hid_t file_type = t.integer ? H5T_STD_I64LE : H5T_IEEE_F64LE;
    Hid set(H5Dcreate2(parent, name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
    if (!set.ok()) return false;
    return t.values.empty() || H5Dwrite(set.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.values.data()) >= 0;
  }

  std::optional<std::string> Image() const {
    if (H5Fflush(file_.get(), H5F_SCOPE_GLOBAL) < 0) return std::nullopt;
    const ssize_t size = H5Fget_file_image(file_.get(), nullptr, 0);
    if (size <= 0) return std::nullopt;
    std::string bytes(static_cast<std::size_t>(size), '\0');
    if (H5Fget_file_image(file_.get(), bytes.data(), bytes.size()) != size) return std::nullopt;
    return bytes;
  }

 private:
  Hid file_;
};

}  // namespace

std::string_view NirTypeName(NirType type) {
  if (type == NirType::kIdentity) return "Identity";
  for (const auto& [t, name] : kTypeNames) {
    if (t == type) return name;
  }
  return "?";
}

const NirTensor* NirNode::Find(const std::string& key) const {
  auto it = params.find(key);
  return it == params.end() ? nullptr : &it->second;
}

int NirGraph::Index(const std::string& name) const {
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

bool NirGraph::HasResetValues() const { return !version.starts_with("0."); }

Expected<NirGraph> ReadNir(const std::string& path) { return Reader(path).Read(); }

Expected<void> WriteNir(const std::string& path, const NirGraph& graph) {
  Writer w;
  auto fail = [&](const std::string& what) { return Fail(ErrorCode::kInternal, path + ": " + what); };
  if (!w.ok()) return fail("cannot create the HDF5 image");
  if (!Writer::String(w.file(), "version", graph.version.empty() ? "1.0.0" : graph.version)) return fail("version");
  Hid root(H5Gcreate2(w.file(), "node", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  Hid nodes(H5Gcreate2(root.get(), "nodes", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  if (!root.ok() || !nodes.ok() || !Writer::String(root.get(), "type", "NIRGraph")) return fail("graph groups");
  for (const NirNode& node : graph.nodes) {
    if (node.type == NirType::kIdentity) return fail("node '" + node.name + "' is an identity node");
    Hid group(H5Gcreate2(nodes.get(), node.name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    if (!group.ok() || !Writer::String(group.get(), "type", std::string(NirTypeName(node.type)))) {
      return fail("node '" + node.name + "'");
    }
    for (const auto& [key, tensor] : node.params) {
      NirTensor t = tensor;
      t.integer = t.integer || kIntegerParams.count(key) > 0;
      if (!Writer::Tensor(group.get(), key, t)) return fail("node '" + node.name + "' parameter '" + key + "'");
    }
    for (const auto& [key, text] : node.strings) {
      if (!Writer::String(group.get(), key, text)) return fail("node '" + node.name + "' parameter '" + key + "'");
    }
  }
  std::vector<std::string> edges;
  for (const auto& [f, t] : graph.edges) {
    edges.push_back(graph.nodes[static_cast<std::size_t>(f)].name);
    edges.push_back(graph.nodes[static_cast<std::size_t>(t)].name);
  }
  if (!Writer::Strings(root.get(), "edges", edges, {graph.edges.size(), 2})) return fail("edges");
  nodes = Hid();
  root = Hid();
  auto image = w.Image();
  if (!image) return fail("cannot take the HDF5 image");
  return WriteFileAtomic(path, *image);
}

}  // namespace xbar::compiler
