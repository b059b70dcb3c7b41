// xbar spice: ngspice netlists of a crossbar tile or of the MIF neuron, optionally run.
#include <algorithm>
#include <cstdio>

#include "compiler/plan_io.h"
#include "device_models/spice.h"
#include "runtime/backend.h"
#include "runtime/chip_eval.h"
#include "runtime/chip_spice.h"
#include "runtime/programmed_chip.h"
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

int Chip(const std::string& name, int argc, char** argv) {
  CommonOptions common;
  ProgrammedChipFlags inputs;
  ChipEvalFlags flags;
  flags.compensation_text = "none";
  std::string dataset = "mnist", out_path;
  int64_t image = 0, images = 1;
  int substeps = 10;
  bool run = false;
  po::options_description desc("options");
  AddCommonOptions(desc, common);
  AddProgrammedChipOptions(desc, inputs, "plan from xbar compile (.xbp) of a dense network",
                           "pulse program (.xbpulse): programs a fresh chip instance",
                           "or a programmed chip state (.xbcs)");
  desc.add_options()
      ("state", po::value(&inputs.state_path), "the same as --chip-state")
      ("dataset", po::value(&dataset)->default_value(dataset), "test images from this data set (e.g. mnist-7x7)")
      ("image", po::value(&image)->default_value(image), "index of the (first) test image")
      ("images", po::value(&images)->default_value(images), "--run: this many test images from --image on");
  AddChipEvalAgeOptions(desc, flags, "(one age only)");
  AddChipEvalReadOptions(desc, flags, "training images that calibrate the output amplifier");
  AddTimingOptions(desc, flags);
  desc.add_options()
      ("substeps", po::value(&substeps)->default_value(substeps),
       "steps of the behavioural reference per read window (it is also run at twice this)")
      ("run", po::bool_switch(&run), "also run ngspice and compare it with the reference and the deployed model")
      ("out,o", po::value(&out_path)->required(), "netlist of the first image to write (.cir)");
  po::positional_options_description positional;
  positional.add("plan", 1);
  po::variables_map vm;
  if (auto code = Parse(name, "PLAN.xbp (--state S.xbcs | --program P.xbpulse) --dataset D --image N -o chip.cir [--run]",
                        argc, argv, desc, &positional, vm)) {
    return *code;
  }
  if (auto ok = CheckProgramOrState(inputs); !ok) return ReportError(name, ok.error());
  auto options = FinishChipEvalOptions(flags, common, vm);
  if (!options) return ReportError(name, options.error());
  if (options->ages_s.size() > 1 || options->compensations.size() != 1) {
    return ReportError(name, Error{ErrorCode::kInvalidArgument, "give one --age and one --compensation"});
  }
  if (image < 0 || images < 1 || substeps < 1) {
    return ReportError(name, Error{ErrorCode::kInvalidArgument, "--image must be >= 0, --images and --substeps >= 1"});
  }
  auto plan = compiler::ReadPlan(inputs.plan_path);
  if (!plan) return ReportError(name, plan.error());
  auto backend = runtime::MakeBackend("behavioural", {});
  if (!backend) return ReportError(name, backend.error());
  auto chip = runtime::ProgrammedChip(*plan, inputs.program_path, inputs.state_path, **backend, nullptr);
  if (!chip) return ReportError(name, chip.error());
  const std::string data_dir = runtime::DataDir(common.data_dir);
  auto test = runtime::LoadDataset(dataset, data_dir, runtime::Split::kTest, image + images);
  if (!test) return ReportError(name, test.error());
  if (test->size() < image + images) {
    return ReportError(name, Error{ErrorCode::kInvalidArgument,
                                   "--image " + std::to_string(image) + " + --images " + std::to_string(images) +
                                       " exceeds the " + std::to_string(test->size()) + " test images of " + dataset});
  }
  auto calibration = runtime::LoadDataset(dataset, data_dir, runtime::Split::kTrain, flags.calibration_images);
  if (!calibration) return ReportError(name, calibration.error());

  // The chip as `xbar infer` sees it at this age.
  const double age = options->ages_s.empty() ? plan->chip.device.nonidealities.drift.t0_s : options->ages_s[0];
  auto at = runtime::ChipViewAtAge(*plan, *chip, *calibration, *options, age, options->compensations[0]);
  if (!at) return ReportError(name, WithContext(at.error(), inputs.plan_path));
  const auto& present = at->present;
  const runtime::ChipView* view = &at->view;
  auto schedule = runtime::AnalogSchedule::Of(*plan, *view);
  if (!schedule) return ReportError(name, WithContext(schedule.error(), inputs.plan_path));

  const auto first = runtime::InputCodes(test->images.col(image));
  if (auto ok = WriteFileAtomic(out_path, runtime::ChipNetlist(*plan, present, *view, first, out_path + ".data")); !ok) {
    return ReportError(name, ok.error());
  }
  const double k_max = view->MaxCurrentStageGain();  // within the chip's limit: Create checks it
  Json result = Json::object({{"netlist", out_path}, {"step_s", schedule->step_s}, {"window_s", schedule->window_s},
                              {"stop_s", schedule->StopTime()}, {"current_stage_gain_max", k_max}});
  if (!run) {
    if (!common.quiet) {
      std::fprintf(stderr, "wrote %s: %zu tiles, %d layers, %.3g s of transient (step %.3g s, read window %.3g s)\n",
                   out_path.c_str(), plan->tiles.size(), schedule->layers, schedule->StopTime(), schedule->step_s,
                   schedule->window_s);
    }
    EmitJson(common, result);
    return 0;
  }
  Json per_image = Json::array({});
  double worst = 0, worst_deployed = 0, worst_step = 0, worst_energy = 0, worst_energy_reference = 0;
  bool equal = true;
  for (int64_t n = image; n < image + images; ++n) {
    const auto codes = runtime::InputCodes(test->images.col(n));
    auto check = runtime::CheckChipWithNgspice(*plan, present, *view, codes, substeps);
    if (!check) return ReportError(name, WithContext(check.error(), "test image " + std::to_string(n)));
    if (!common.quiet) {
      std::fprintf(stderr, "image %lld (label %d): ngspice vs reference %.3f %% FS (reference step %.3f %% FS), deployed %.2f %% FS; "
                "decisions %d/%d/%d; energy %.4g J ngspice, %.4g J deployed (%.2f %%), %.4g J reference (%.2f %%); "
                "%d points, %.1f s\n",
                static_cast<long long>(n), test->labels[static_cast<std::size_t>(n)], 100 * check->max_membrane_error_fs,
                100 * check->reference_step_error_fs, 100 * check->deployed_error_fs, check->decision_spice,
                check->decision_reference, check->decision_deployed, check->spice_read_j + check->spice_neuron_j,
                check->deployed_read_j + check->deployed_neuron_j, 100 * check->energy_rel_error,
                check->reference_read_j + check->reference_neuron_j, 100 * check->reference_energy_rel_error,
                check->time_points, check->spice_seconds);
    }
    worst = std::max(worst, check->max_membrane_error_fs);
    worst_deployed = std::max(worst_deployed, check->deployed_error_fs);
    worst_step = std::max(worst_step, check->reference_step_error_fs);
    worst_energy = std::max(worst_energy, check->energy_rel_error);
    worst_energy_reference = std::max(worst_energy_reference, check->reference_energy_rel_error);
    equal = equal && check->decisions_equal();
    per_image.push_back(Json::object({
        {"image", n}, {"label", static_cast<int>(test->labels[static_cast<std::size_t>(n)])},
        {"max_membrane_error_fs", check->max_membrane_error_fs},
        {"reference_step_error_fs", check->reference_step_error_fs},
        {"deployed_membrane_error_fs", check->deployed_error_fs},
        {"decision_spice", check->decision_spice}, {"decision_reference", check->decision_reference},
        {"decision_deployed", check->decision_deployed}, {"decisions_equal", check->decisions_equal()},
        {"spice_read_j", check->spice_read_j}, {"spice_neuron_j", check->spice_neuron_j},
        {"deployed_read_j", check->deployed_read_j}, {"deployed_neuron_j", check->deployed_neuron_j},
        {"reference_read_j", check->reference_read_j}, {"reference_neuron_j", check->reference_neuron_j},
        {"energy_rel_error", check->energy_rel_error}, {"reference_energy_rel_error", check->reference_energy_rel_error},
        {"time_points", check->time_points}, {"spice_seconds", check->spice_seconds}}));
  }
  result["images"] = per_image;
  result["max_membrane_error_fs"] = worst;
  result["reference_step_error_fs"] = worst_step;
  result["deployed_membrane_error_fs"] = worst_deployed;
  result["decisions_equal"] = equal;
  result["energy_rel_error"] = worst_energy;
  result["reference_energy_rel_error"] = worst_energy_reference;
  EmitJson(common, result);
  return 0;
}

}  // namespace

int RunSpice(int argc, char** argv) {
  const std::string what = argc >= 2 ? argv[1] : "";
  if (what != "tile" && what != "neuron" && what != "chip") {
    if (what == "--help" || what == "-h") {
      std::printf("usage: xbar spice tile|neuron|chip [options]   (xbar spice tile --help, ...)\n"
                  "writes an ngspice netlist of a crossbar tile, of the MIF neuron, or of a whole programmed chip\n"
                  "inferring one image; --run also runs it and compares it with xbar's models\n");
      return 0;
    }
    std::fprintf(stderr, "xbar spice: error: expected 'tile', 'neuron' or 'chip' (see xbar spice --help)\n");
    return 2;
  }
  if (what == "tile") return Tile("spice tile", argc - 1, argv + 1);
  if (what == "neuron") return Neuron("spice neuron", argc - 1, argv + 1);
  return Chip("spice chip", argc - 1, argv + 1);
}

}  // namespace xbar::tools
