// xbar spice: ngspice netlists of a crossbar tile or of the MIF neuron, optionally run.
#include <algorithm>
#include <cstdio>

#include "device_models/spice.h"
#include "support/file_io.h"
#include "support/npy.h"
#include "tools/xbar/cli.h"

namespace xbar::tools {
namespace {

int Tile(const std::string& name, int argc, char** argv) {
  CommonOptions common;
  std::string g_path, v_path, out_path;
  device_models::TileWires wires;
  bool run = false;
  po::options_description desc("options");
  AddCommonOptions(desc, common);
  desc.add_options()
      ("g", po::value(&g_path)->required(), "cell conductances, siemens (.npy, rows x columns)")
      ("v", po::value(&v_path)->required(), "input voltages, one per row (.npy vector)");
  AddWireOptions(desc, wires);
  desc.add_options()
      ("run", po::bool_switch(&run), "also run ngspice and compare its currents with xbar's solver")
      ("out,o", po::value(&out_path)->required(), "netlist to write (.cir)");
  po::variables_map vm;
  if (auto code = Parse(name, "--g G.npy --v V.npy --r-row OHM --r-col OHM -o tile.cir [--run]", argc, argv, desc,
                        nullptr, vm)) {
    return *code;
  }
  auto g = ReadNpy(g_path);
  if (!g) return ReportError(name, g.error());
  auto v = ReadNpy(v_path);
  if (!v) return ReportError(name, v.error());
  if (v->data.cols() != 1 || v->data.rows() != g->data.rows() || !v->data.allFinite()) {
    return ReportError(name, Error{ErrorCode::kDataLoss, v_path + ": needs one finite voltage per row of " + g_path +
                                                             " (" + std::to_string(g->data.rows()) + ")"});
  }
  auto tile = device_models::TileCircuit::Create(g->data, wires);
  if (!tile) return ReportError(name, WithContext(tile.error(), g_path));
  const Eigen::VectorXd vin = v->data.col(0);
  const std::string netlist = device_models::TileNetlist(*tile, vin);
  if (auto ok = WriteFileAtomic(out_path, netlist); !ok) return ReportError(name, ok.error());
  Json result = Json::object({{"netlist", out_path}});
  if (run) {
    auto stdout_text = device_models::RunNgspice(netlist);
    if (!stdout_text) return ReportError(name, stdout_text.error());
    auto spice = device_models::ParseTileCurrents(*stdout_text, static_cast<int>(tile->cols()));
    if (!spice) return ReportError(name, spice.error());
    auto ours = tile->Solve(vin);
    if (!ours) return ReportError(name, ours.error());
    const double err = (ours->currents.col(0) - *spice).norm() / std::max(spice->norm(), 1e-300);
    std::printf("ngspice and xbar agree to %.2e (relative, %lld columns)\n", err,
                static_cast<long long>(tile->cols()));
    result["relative_difference"] = err;
  }
  EmitJson(common, result);
  return 0;
}

int Neuron(const std::string& name, int argc, char** argv) {
  CommonOptions common;
  std::string out_path;
  double impulse = 0.05, width = 1.0, edge = 0.1;
  device_models::NeuronTransientOptions tran;
  bool run = false;
  po::options_description desc("options");
  AddCommonOptions(desc, common);
  desc.add_options()
      ("impulse", po::value(&impulse)->default_value(impulse), "input impulse area (drive units, as one discrete impulse)")
      ("width", po::value(&width)->default_value(width), "pulse width, steps")
      ("edge", po::value(&edge)->default_value(edge), "pulse rise and fall time, steps")
      ("t-stop", po::value(&tran.t_stop_steps)->default_value(tran.t_stop_steps), "transient length, steps")
      ("max-step", po::value(&tran.max_step_steps)->default_value(tran.max_step_steps), "largest time step, steps")
      ("run", po::bool_switch(&run), "also run ngspice and report the membrane peak")
      ("out,o", po::value(&out_path)->required(), "netlist to write (.cir)");
  po::variables_map vm;
  if (auto code = Parse(name, "-o neuron.cir [--impulse A] [--run]", argc, argv, desc, nullptr, vm)) return *code;
  if (!(width > 2 * edge && edge > 0)) {
    return ReportError(name, Error{ErrorCode::kInvalidArgument, "--width must exceed 2 * --edge and --edge must be positive"});
  }
  if (!(tran.t_stop_steps > 0) || !(tran.max_step_steps > 0) || tran.max_step_steps > tran.t_stop_steps) {
    return ReportError(name, Error{ErrorCode::kInvalidArgument, "--t-stop and --max-step must be positive with max-step <= t-stop"});
  }
  const auto drive = device_models::PwlDrive::Pulse(impulse, 0.0, width, edge);
  const std::string netlist = device_models::NeuronNetlist(device_models::MifParams{}, drive, tran);
  if (auto ok = WriteFileAtomic(out_path, netlist); !ok) return ReportError(name, ok.error());
  Json result = Json::object({{"netlist", out_path}});
  if (run) {
    auto stdout_text = device_models::RunNgspice(netlist);
    if (!stdout_text) return ReportError(name, stdout_text.error());
    auto wave = device_models::ParseNeuronWaveform(*stdout_text, tran.t_stop_steps);
    if (!wave) return ReportError(name, wave.error());
    const auto peak = std::max_element(wave->v_mv.begin(), wave->v_mv.end()) - wave->v_mv.begin();
    std::printf("membrane peak %.4f mV at step %.4f (%zu time points)\n", wave->v_mv[static_cast<std::size_t>(peak)],
                wave->t_steps[static_cast<std::size_t>(peak)], wave->t_steps.size());
    result["peak_mv"] = wave->v_mv[static_cast<std::size_t>(peak)];
    result["peak_step"] = wave->t_steps[static_cast<std::size_t>(peak)];
  }
  EmitJson(common, result);
  return 0;
}

}  // namespace

int RunSpice(int argc, char** argv) {
  if (argc < 2 || (std::string(argv[1]) != "tile" && std::string(argv[1]) != "neuron")) {
    if (argc >= 2 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
      std::printf("usage: xbar spice tile|neuron [options]   (xbar spice tile --help, xbar spice neuron --help)\n"
                  "writes an ngspice netlist of a crossbar tile or of the MIF neuron; --run also runs it\n");
      return 0;
    }
    std::fprintf(stderr, "xbar spice: error: expected 'tile' or 'neuron' (see xbar spice --help)\n");
    return 2;
  }
  const std::string what = argv[1];
  return what == "tile" ? Tile("spice tile", argc - 1, argv + 1) : Neuron("spice neuron", argc - 1, argv + 1);
}

}  // namespace xbar::tools
