// xbar tile-solve: column currents of one crossbar tile with IR drop, from .npy files.
#include <chrono>
#include <cstdio>

#include "device_models/tile_circuit.h"
#include "support/npy.h"
#include "tools/xbar/cli.h"

namespace xbar::tools {

int RunTileSolve(int argc, char** argv) {
  const std::string name = "tile-solve";
  CommonOptions common;
  std::string g_path, v_path, out_path, method = "auto", matrix_path;
  device_models::TileWires wires;
  double tolerance = 1e-13;
  po::options_description desc("options");
  AddCommonOptions(desc, common);
  desc.add_options()
      ("g", po::value(&g_path)->required(), "cell conductances, siemens (.npy, rows x columns; rows are word lines)")
      ("v", po::value(&v_path)->required(), "input voltages (.npy: one vector of length rows, or batch x rows)");
  AddWireOptions(desc, wires);
  desc.add_options()
      ("method", po::value(&method)->default_value(method), "auto, pcg, block, dissection or sparse")
      ("tolerance", po::value(&tolerance)->default_value(tolerance), "pcg relative residual")
      ("effective-matrix", po::value(&matrix_path), "also write the effective matrix M (columns x rows) here")
      ("out,o", po::value(&out_path)->required(), "column currents, ampere (.npy, like --v with columns)");
  po::variables_map vm;
  if (auto code = Parse(name, "--g G.npy --v V.npy --r-row OHM --r-col OHM --out I.npy [options]", argc, argv,
                        desc, nullptr, vm)) {
    return *code;
  }
  device_models::SolveOptions options;
  options.tolerance = tolerance;
  using Method = device_models::SolveOptions::Method;
  if (method == "auto") options.method = Method::kAuto;
  else if (method == "pcg") options.method = Method::kPcg;
  else if (method == "block") options.method = Method::kBlockDirect;
  else if (method == "dissection") options.method = Method::kDissection;
  else if (method == "sparse") options.method = Method::kSparseDirect;
  else return ReportError(name, Error{ErrorCode::kInvalidArgument, "--method '" + method + "' must be auto, pcg, block, dissection or sparse"});
  if (!(tolerance > 0 && tolerance < 1)) {
    return ReportError(name, Error{ErrorCode::kInvalidArgument, "--tolerance must lie in (0, 1)"});
  }
  auto g = ReadNpy(g_path);
  if (!g) return ReportError(name, g.error());
  if (g->ndim != 2) {
    return ReportError(name, Error{ErrorCode::kDataLoss, g_path + ": conductances must be a 2-D array (rows x columns)"});
  }
  auto v = ReadNpy(v_path);
  if (!v) return ReportError(name, v.error());
  // A batch file holds one input vector per row; the solver takes one per column.
  Eigen::MatrixXd inputs = v->ndim == 1 ? v->data : Eigen::MatrixXd(v->data.transpose());
  if (inputs.rows() != g->data.rows()) {
    return ReportError(name, Error{ErrorCode::kDataLoss,
                                   v_path + ": " + std::to_string(inputs.rows()) + " voltages per input vector but " +
                                       g_path + " has " + std::to_string(g->data.rows()) + " rows"});
  }
  auto tile = device_models::TileCircuit::Create(g->data, wires);
  if (!tile) return ReportError(name, WithContext(tile.error(), g_path));
  const auto t0 = std::chrono::steady_clock::now();
  auto solution = tile->Solve(inputs, options);
  if (!solution) return ReportError(name, solution.error());
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const Eigen::MatrixXd out = v->ndim == 1 ? solution->currents : Eigen::MatrixXd(solution->currents.transpose());
  if (auto ok = WriteNpy(out_path, out, v->ndim); !ok) return ReportError(name, ok.error());
  if (!matrix_path.empty()) {
    if (auto ok = WriteNpy(matrix_path, tile->EffectiveMatrix()); !ok) return ReportError(name, ok.error());
  }
  const double ideal = tile->IdealCurrents(inputs).cwiseAbs().sum();
  const double loss = ideal > 0 ? 1 - solution->currents.cwiseAbs().sum() / ideal : 0;
  if (!common.quiet) {
    std::fprintf(stderr, "%lldx%lld tile, %lld input vector(s): %s, %d iterations, residual %.1e, %.4f s; "
                         "|I| is %.2f %% below the ideal G^T V\n",
                 static_cast<long long>(tile->rows()), static_cast<long long>(tile->cols()),
                 static_cast<long long>(inputs.cols()), device_models::SolvePathName(solution->path),
                 solution->iterations, solution->residual, seconds, 100 * loss);
  }
  EmitJson(common, Json::object({{"out", out_path},
                                 {"rows", static_cast<int64_t>(tile->rows())},
                                 {"columns", static_cast<int64_t>(tile->cols())},
                                 {"inputs", static_cast<int64_t>(inputs.cols())},
                                 {"path", device_models::SolvePathName(solution->path)},
                                 {"iterations", solution->iterations},
                                 {"residual", solution->residual},
                                 {"seconds", seconds},
                                 {"ir_drop_current_loss", loss}}));
  return 0;
}

}  // namespace xbar::tools
