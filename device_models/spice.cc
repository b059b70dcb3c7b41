// SPICE interop: tile and MIF-neuron netlists for ngspice, their output parsers, and the runner.
#include "device_models/spice.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include "support/format.h"

namespace xbar::device_models {
namespace {


std::string Short(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string_view TrimLeft(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  return s;
}

std::string_view Trim(std::string_view s) {
  s = TrimLeft(s);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool ParseDouble(std::string_view s, double& out) {
  s = Trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size() && std::isfinite(out);
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

std::vector<std::string_view> Tokens(std::string_view line) {
  std::vector<std::string_view> tokens;
  line = TrimLeft(line);
  while (!line.empty()) {
    std::size_t n = 0;
    while (n < line.size() && !std::isspace(static_cast<unsigned char>(line[n]))) ++n;
    tokens.push_back(line.substr(0, n));
    line = TrimLeft(line.substr(n));
  }
  return tokens;
}

void CheckDrive(const PwlDrive& u) {
  XBAR_CHECK(!u.points.empty());
  for (std::size_t k = 0; k < u.points.size(); ++k) {
    const auto [t, v] = u.points[k];
    XBAR_CHECK(std::isfinite(t) && std::isfinite(v) && t >= 0);
    XBAR_CHECK(k == 0 || t > u.points[k - 1].first);
  }
}

}  // namespace

std::string SpiceNumber(double v) { return FormatNumber(v, 17); }
std::string SpiceExprNumber(double v) { return v < 0 ? "(" + SpiceNumber(v) + ")" : SpiceNumber(v); }

Expected<std::vector<std::vector<double>>> ParseWrdata(const std::string& data, const std::vector<std::string>& names) {
  std::vector<std::vector<double>> columns(names.size());
  bool header = false;
  int line_no = 0;
  for (std::string_view line : Lines(data)) {
    ++line_no;
    const auto tokens = Tokens(line);
    if (tokens.empty()) continue;
    auto bad = [&](const std::string& why) {
      return Fail(ErrorCode::kDataLoss, "ngspice data line " + std::to_string(line_no) + ": " + why);
    };
    if (tokens.size() != names.size()) {
      return bad(std::to_string(tokens.size()) + (header ? " values" : " columns") + ", expected " +
                 std::to_string(names.size()));
    }
    if (!header) {
      for (std::size_t c = 0; c < names.size(); ++c) {
        if (tokens[c] != names[c]) return bad("column '" + std::string(tokens[c]) + "', expected '" + names[c] + "'");
      }
      header = true;
      continue;
    }
    for (std::size_t c = 0; c < names.size(); ++c) {
      double value = 0;
      if (!ParseDouble(tokens[c], value)) return bad("'" + std::string(tokens[c]) + "' is not a finite number");
      columns[c].push_back(value);
    }
    if (columns[0].size() > 1 && !(columns[0].back() > columns[0][columns[0].size() - 2])) {
      return bad("time does not increase");
    }
  }
  if (columns.empty() || columns[0].empty()) {
    return Fail(ErrorCode::kDataLoss, "ngspice data has no rows (did the transient run?)");
  }
  return columns;
}

// ---------------------------------------------------------------------------------------------
// Tile

void AppendTileElements(std::string& s, const TileCircuit& tile, const std::string& prefix) {
  const Eigen::Index R = tile.rows(), C = tile.cols();
  const TileWires& w = tile.wires();
  const Eigen::MatrixXd& g = tile.conductances();
  const std::string r_row = SpiceNumber(w.r_row_ohm), r_col = SpiceNumber(w.r_col_ohm);
  // Node names after merging zero-resistance connections: a row collapses onto its cell-0 node,
  // which is the driven node itself without a driver resistance; likewise for columns.
  auto row_node = [&](Eigen::Index i, Eigen::Index j) {
    if (w.r_row_ohm == 0) j = 0;
    if (j == 0 && w.r_driver_ohm == 0) return "in_" + prefix + std::to_string(i);
    return "r_" + prefix + std::to_string(i) + "_" + std::to_string(j);
  };
  auto col_node = [&](Eigen::Index i, Eigen::Index j) {
    if (w.r_col_ohm == 0) i = R - 1;
    if (i == R - 1 && w.r_sense_ohm == 0) return "s_" + prefix + std::to_string(j);
    return "c_" + prefix + std::to_string(i) + "_" + std::to_string(j);
  };
  s.reserve(s.size() + static_cast<std::size_t>(R * C) * 96 + 1024);
  if (w.r_driver_ohm > 0) {
    for (Eigen::Index i = 0; i < R; ++i) {
      const std::string is = prefix + std::to_string(i);
      s += "rd_" + is + " in_" + is + " " + row_node(i, 0) + " " + SpiceNumber(w.r_driver_ohm) + "\n";
    }
  }
  s += "* cells: rg_<i>_<j> = 1/G between row node (i, j) and column node (i, j); G = 0 is left open\n";
  for (Eigen::Index i = 0; i < R; ++i) {
    for (Eigen::Index j = 0; j < C; ++j) {
      if (g(i, j) == 0) continue;
      s += "rg_" + prefix + std::to_string(i) + "_" + std::to_string(j) + " " + row_node(i, j) + " " +
           col_node(i, j) + " " + SpiceNumber(1.0 / g(i, j)) + "\n";
    }
  }
  if (w.r_row_ohm > 0) {
    s += "* row wire segments rw_<i>_<j> between (i, j) and (i, j+1)\n";
    for (Eigen::Index i = 0; i < R; ++i) {
      for (Eigen::Index j = 0; j + 1 < C; ++j) {
        s += "rw_" + prefix + std::to_string(i) + "_" + std::to_string(j) + " " + row_node(i, j) + " " +
             row_node(i, j + 1) + " " + r_row + "\n";
      }
    }
  }
  if (w.r_col_ohm > 0) {
    s += "* column wire segments rb_<i>_<j> between (i, j) and (i+1, j)\n";
    for (Eigen::Index j = 0; j < C; ++j) {
      for (Eigen::Index i = 0; i + 1 < R; ++i) {
        s += "rb_" + prefix + std::to_string(i) + "_" + std::to_string(j) + " " + col_node(i, j) + " " +
             col_node(i + 1, j) + " " + r_col + "\n";
      }
    }
  }
  if (w.r_sense_ohm > 0) {
    for (Eigen::Index j = 0; j < C; ++j) {
      const std::string js = prefix + std::to_string(j);
      s += "rs_" + js + " " + col_node(R - 1, j) + " s_" + js + " " + SpiceNumber(w.r_sense_ohm) + "\n";
    }
  }
}

std::string TileNetlist(const TileCircuit& tile, const Eigen::VectorXd& v_in_v) {
  const Eigen::Index R = tile.rows(), C = tile.cols();
  XBAR_CHECK(v_in_v.size() == R);
  XBAR_CHECK(v_in_v.allFinite());
  const TileWires& w = tile.wires();
  std::string s;
  s += "xbar tile " + std::to_string(R) + "x" + std::to_string(C) + ": r_row " + Short(w.r_row_ohm) +
       " ohm, r_col " + Short(w.r_col_ohm) + " ohm, r_driver " + Short(w.r_driver_ohm) +
       " ohm, r_sense " + Short(w.r_sense_ohm) + " ohm\n";
  s += "* rows: vin_<i> drives row i at its cell-0 end";
  s += w.r_driver_ohm > 0 ? " through rd_<i>\n" : " directly\n";
  for (Eigen::Index i = 0; i < R; ++i) {
    const std::string is = std::to_string(i);
    s += "vin_" + is + " in_" + is + " 0 DC " + SpiceNumber(v_in_v(i)) + "\n";
  }
  AppendTileElements(s, tile, "");
  s += "* columns: sensed at the cell-(R-1) end";
  s += w.r_sense_ohm > 0 ? " through rs_<j>" : " directly";
  s += " into the 0 V source vsense_<j>\n";
  for (Eigen::Index j = 0; j < C; ++j) {
    const std::string js = std::to_string(j);
    s += "vsense_" + js + " s_" + js + " 0 DC 0\n";
  }
  s += ".op\n.control\nset numdgt=16\nrun\n";
  for (Eigen::Index j = 0; j < C; ++j) s += "print i(vsense_" + std::to_string(j) + ")\n";
  s += "quit 0\n.endc\n.end\n";
  return s;
}

Expected<Eigen::VectorXd> ParseTileCurrents(const std::string& ngspice_stdout, int columns) {
  if (columns < 1) {
    return Fail(ErrorCode::kInvalidArgument, "columns = " + std::to_string(columns) + " must be at least 1");
  }
  constexpr std::string_view kPrefix = "i(vsense_";
  Eigen::VectorXd currents = Eigen::VectorXd::Zero(columns);
  std::vector<bool> seen(static_cast<std::size_t>(columns), false);
  for (std::string_view line : Lines(ngspice_stdout)) {
    line = TrimLeft(line);
    if (!line.starts_with(kPrefix)) continue;
    line.remove_prefix(kPrefix.size());
    int j = -1;
    const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), j);
    std::string_view rest(end, static_cast<std::size_t>(line.data() + line.size() - end));
    double value = 0;
    if (ec != std::errc() || !rest.starts_with(")") || !TrimLeft(rest.substr(1)).starts_with("=") ||
        !ParseDouble(TrimLeft(rest.substr(1)).substr(1), value)) {
      return Fail(ErrorCode::kDataLoss, "ngspice output line 'i(vsense_" + std::string(line) +
                                            "' is not '<name> = <finite number>'");
    }
    if (j < 0 || j >= columns) {
      return Fail(ErrorCode::kDataLoss, "ngspice output has a current for column " + std::to_string(j) +
                                            " but the tile has " + std::to_string(columns) + " columns");
    }
    if (seen[static_cast<std::size_t>(j)]) {
      return Fail(ErrorCode::kDataLoss, "ngspice output has two currents for column " + std::to_string(j));
    }
    seen[static_cast<std::size_t>(j)] = true;
    currents(j) = value;  // + node on the column side: the printed branch current is the column's
  }
  const auto missing = std::find(seen.begin(), seen.end(), false);
  if (missing != seen.end()) {
    return Fail(ErrorCode::kDataLoss, "ngspice output has no current for column " +
                                          std::to_string(missing - seen.begin()) + " of " +
                                          std::to_string(columns) + " (did the .op run fail?)");
  }
  return currents;
}

// ---------------------------------------------------------------------------------------------
// Neuron

PwlDrive PwlDrive::Pulse(double area, double t0_steps, double width_steps, double edge_steps) {
  XBAR_CHECK(std::isfinite(area) && std::isfinite(t0_steps) && std::isfinite(width_steps));
  XBAR_CHECK(t0_steps >= 0 && edge_steps > 0 && width_steps > 2 * edge_steps);
  const double h = area / (width_steps - edge_steps);
  return PwlDrive{{{t0_steps, 0.0},
                   {t0_steps + edge_steps, h},
                   {t0_steps + width_steps - edge_steps, h},
                   {t0_steps + width_steps, 0.0}}};
}

double PwlDrive::Integral(double t0_steps, double t1_steps) const {
  CheckDrive(*this);
  XBAR_CHECK(t1_steps >= t0_steps);
  auto at = [&](double t) {
    if (t <= points.front().first) return points.front().second;
    if (t >= points.back().first) return points.back().second;
    const auto hi = std::upper_bound(points.begin(), points.end(), t,
                                     [](double x, const auto& p) { return x < p.first; });
    const auto lo = hi - 1;
    return lo->second + (hi->second - lo->second) * (t - lo->first) / (hi->first - lo->first);
  };
  // u is linear between consecutive breakpoints, so the trapezoid rule on them is exact.
  double sum = 0, t = t0_steps, u = at(t0_steps);
  for (const auto& [tk, uk] : points) {
    if (tk <= t0_steps) continue;
    if (tk >= t1_steps) break;
    sum += 0.5 * (u + uk) * (tk - t);
    t = tk;
    u = uk;
  }
  return sum + 0.5 * (u + at(t1_steps)) * (t1_steps - t);
}

std::string NeuronNetlist(const MifParams& p, const PwlDrive& u, const NeuronTransientOptions& tran) {
  XBAR_CHECK(p.Validate().has_value());
  CheckDrive(u);
  XBAR_CHECK(tran.t_stop_steps > 0 && tran.max_step_steps > 0 && tran.reltol > 0);
  const std::string on = SpiceExprNumber(p.v_on_mv), off = SpiceExprNumber(p.v_off_mv), k = SpiceExprNumber(p.k_mv);
  const std::string tau = SpiceExprNumber(p.tau_steps);
  auto conductance = [&](const std::string& x) {
    return "(V(" + x + ")/" + SpiceNumber(p.r_on_ohm) + " + (1-V(" + x + "))/" + SpiceNumber(p.r_off_ohm) + ")";
  };
  auto rate = [&](const std::string& x, const std::string& e) {
    const std::string vm = "V(mem," + e + ")";
    return "((1-V(" + x + "))*sig((" + vm + "-" + on + ")/" + k + ") - V(" + x + ")*sig((" + off + "-" + vm +
           ")/" + k + "))/" + tau;
  };
  std::string s;
  s += "xbar mif neuron: 1 V = 1 model mV, 1 s = 1 step\n";
  s += ".func sig(z) {1/(1+exp(-z))}\n";
  s += "* membrane: C dv/dt = I - G1(x1) (v - E1) - G2(x2) (v - E2)\n";
  s += "cm mem 0 " + SpiceNumber(p.c) + " ic=0\n";
  s += "ve1 e1 0 DC " + SpiceNumber(p.e1_mv) + "\n";
  s += "ve2 e2 0 DC " + SpiceNumber(p.e2_mv) + "\n";
  s += "bm1 mem e1 I = " + conductance("x1") + " * V(mem,e1)\n";
  s += "bm2 mem e2 I = " + conductance("x2") + " * V(mem,e2)\n";
  s += "* memristor states: dx/dt = [(1 - x) sig((v - E - V_on)/k) - x sig((V_off - (v - E))/k)] / tau\n";
  s += "cx1 x1 0 1 ic=" + SpiceNumber(p.x0) + "\n";
  s += "bx1 0 x1 I = " + rate("x1", "e1") + "\n";
  s += "cx2 x2 0 1 ic=" + SpiceNumber(p.x0) + "\n";
  s += "bx2 0 x2 I = " + rate("x2", "e2") + "\n";
  s += "* alpha synapse: da/dt = -a/tau_a + u(t), dI/dt = (a - I)/tau_a; I flows into mem\n";
  s += "ca a 0 1 ic=0\n";
  s += "ra a 0 " + SpiceNumber(p.tau_alpha_steps) + "\n";
  s += "iu 0 a PWL(";
  std::vector<std::pair<double, double>> pts = u.points;
  if (pts.front().first > 0) pts.insert(pts.begin(), {0.0, pts.front().second});
  for (std::size_t n = 0; n < pts.size(); ++n) {
    if (n > 0) s += n % 4 == 0 ? "\n+ " : " ";
    s += SpiceNumber(pts[n].first) + " " + SpiceNumber(pts[n].second);
  }
  s += ")\n";
  s += "ci isyn 0 1 ic=0\n";
  s += "ri isyn 0 " + SpiceNumber(p.tau_alpha_steps) + "\n";
  s += "gi 0 isyn a 0 " + SpiceNumber(1.0 / p.tau_alpha_steps) + "\n";
  s += "gsyn 0 mem isyn 0 1\n";
  s += ".options reltol=" + SpiceNumber(tran.reltol) + " abstol=1e-15 vntol=1e-9 method=gear\n";
  s += ".tran " + SpiceNumber(tran.max_step_steps) + " " + SpiceNumber(tran.t_stop_steps) + " 0 " + SpiceNumber(tran.max_step_steps) +
       " uic\n";
  s += ".control\nset numdgt=16\nset nobreak\nrun\nprint v(mem)\nquit 0\n.endc\n.end\n";
  return s;
}

Expected<NeuronWaveform> ParseNeuronWaveform(const std::string& ngspice_stdout, double t_stop_steps) {
  NeuronWaveform w;
  bool header = false;
  int line_no = 0;
  for (std::string_view line : Lines(ngspice_stdout)) {
    ++line_no;
    const auto tokens = Tokens(line);
    if (tokens.size() >= 3 && tokens[0] == "Index" && tokens[1] == "time" && tokens[2] == "v(mem)") {
      header = true;
      continue;
    }
    if (!header || tokens.empty() || !std::isdigit(static_cast<unsigned char>(tokens[0].front()))) continue;
    double t = 0, v = 0;
    if (tokens.size() != 3 || !ParseDouble(tokens[1], t) || !ParseDouble(tokens[2], v)) {
      return Fail(ErrorCode::kDataLoss, "ngspice output line " + std::to_string(line_no) + " '" +
                                            std::string(Trim(line)) + "' is not '<index> <time> <v(mem)>'");
    }
    if (!w.t_steps.empty() && !(t > w.t_steps.back())) {
      return Fail(ErrorCode::kDataLoss, "ngspice output line " + std::to_string(line_no) + ": time " + SpiceNumber(t) +
                                            " does not increase (previous " + SpiceNumber(w.t_steps.back()) + ")");
    }
    w.t_steps.push_back(t);
    w.v_mv.push_back(v);
  }
  if (w.t_steps.empty()) {
    return Fail(ErrorCode::kDataLoss, "ngspice output has no v(mem) rows (did the transient run fail?)");
  }
  if (w.t_steps.back() < t_stop_steps * (1 - 1e-9)) {
    return Fail(ErrorCode::kDataLoss, "ngspice transient ends at t = " + Short(w.t_steps.back()) +
                                          " steps, before t_stop = " + Short(t_stop_steps) + " (aborted?)");
  }
  return w;
}

// ---------------------------------------------------------------------------------------------
// Runner

namespace {

// Temporary files, removed (and closed) on every exit path.
class TempFiles {
 public:
  ~TempFiles() {
    for (auto& [path, fd] : files_) {
      if (fd >= 0) ::close(fd);
      ::unlink(path.c_str());
    }
  }
  // Creates an empty file with the given suffix; returns its index, or -1 with errno set.
  int Create(const std::string& suffix) {
    std::error_code ec;  // TMPDIR naming no directory: fall back to /tmp rather than throw
    std::filesystem::path dir = std::filesystem::temp_directory_path(ec);
    if (ec) dir = "/tmp";
    std::string path = (dir / ("xbar-spice-XXXXXX" + suffix)).string();
    const int fd = ::mkstemps(path.data(), static_cast<int>(suffix.size()));
    if (fd < 0) return -1;
    files_.emplace_back(path, fd);
    return static_cast<int>(files_.size()) - 1;
  }
  const std::string& path(int n) const { return files_[static_cast<std::size_t>(n)].first; }
  int fd(int n) const { return files_[static_cast<std::size_t>(n)].second; }

 private:
  std::vector<std::pair<std::string, int>> files_;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// ngspice's first error report on its error stream, with up to two following lines, on one line.
std::string FirstError(const std::string& err) {
  const auto lines = Lines(err);
  for (std::size_t n = 0; n < lines.size(); ++n) {
    const std::string low = Lower(lines[n]);
    if (low.find("error") == std::string::npos && low.find("aborted") == std::string::npos &&
        low.find("too small") == std::string::npos) {
      continue;
    }
    std::string msg;
    for (std::size_t m = n, taken = 0; m < lines.size() && taken < 3; ++m) {
      const std::string_view part = Trim(lines[m]);
      if (part.empty()) continue;
      if (!msg.empty()) msg += "; ";
      for (std::size_t c = 0; c < part.size(); ++c) {  // collapse runs of blanks
        if (std::isspace(static_cast<unsigned char>(part[c])) && !msg.empty() && msg.back() == ' ') continue;
        msg += std::isspace(static_cast<unsigned char>(part[c])) ? ' ' : part[c];
      }
      ++taken;
    }
    return Lower(msg);
  }
  return "";
}

}  // namespace

namespace {

// Runs ngspice -b on `netlist`, written to a temporary file of `files`; its standard output.
Expected<std::string> RunNgspiceIn(TempFiles& files, const std::string& netlist) {
  const int cir = files.Create(".cir"), out = files.Create(".out"), err = files.Create(".err");
  if (cir < 0 || out < 0 || err < 0) {
    return Fail(ErrorCode::kInternal, std::string("cannot create a temporary file for ngspice: ") +
                                          std::strerror(errno));
  }
  {
    std::ofstream f(files.path(cir), std::ios::binary | std::ios::trunc);
    f << netlist;
    if (!f.flush()) {
      return Fail(ErrorCode::kInternal, "cannot write the netlist to " + files.path(cir));
    }
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, files.fd(out), 1);
  posix_spawn_file_actions_adddup2(&actions, files.fd(err), 2);
  std::string arg0 = "ngspice", arg1 = "-b", arg2 = files.path(cir);
  char* argv[] = {arg0.data(), arg1.data(), arg2.data(), nullptr};
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, "ngspice", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned == ENOENT) return Fail(ErrorCode::kNotFound, "ngspice not found (run scripts/setup)");
  if (spawned != 0) {
    return Fail(ErrorCode::kInternal, std::string("cannot start ngspice: ") + std::strerror(spawned));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return Fail(ErrorCode::kInternal, std::string("cannot wait for ngspice: ") + std::strerror(errno));
    }
  }
  std::string stdout_text = ReadAll(files.path(out));
  const std::string error_line = FirstError(ReadAll(files.path(err)));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const std::string how = WIFEXITED(status) ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                              : "was killed by signal " + std::to_string(WTERMSIG(status));
    return Fail(ErrorCode::kInternal, "ngspice " + how + (error_line.empty() ? "" : ": " + error_line));
  }
  if (!error_line.empty()) return Fail(ErrorCode::kInternal, "ngspice reported: " + error_line);
  return stdout_text;
}

}  // namespace

Expected<std::string> RunNgspice(const std::string& netlist) {
  TempFiles files;
  return RunNgspiceIn(files, netlist);
}

Expected<std::string> RunNgspiceData(const std::function<std::string(const std::string& data_path)>& make_netlist) {
  TempFiles files;
  const int data = files.Create(".data");
  if (data < 0) {
    return Fail(ErrorCode::kInternal, std::string("cannot create a temporary file for ngspice: ") +
                                          std::strerror(errno));
  }
  auto out = RunNgspiceIn(files, make_netlist(files.path(data)));
  if (!out) return std::unexpected(out.error());
  std::string text = ReadAll(files.path(data));
  if (text.empty()) return Fail(ErrorCode::kDataLoss, "ngspice wrote no data (did the transient run?)");
  return text;
}

}  // namespace xbar::device_models
