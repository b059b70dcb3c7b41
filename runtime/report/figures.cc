// The report's four figures as gnuplot data and scripts: accuracy over age, conductances, pulses, IR drop.
#include "runtime/report/figures.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "support/format.h"

namespace xbar::runtime::report {
namespace {

std::string Num(double v, int significant = 6) { return std::isfinite(v) ? FormatNumber(v, significant) : "NaN"; }

/// Age ticks people read (log axis), within [lo, hi] seconds.
std::string AgeTics(double lo, double hi) {
  struct Tick {
    double s;
    const char* label;
  };
  constexpr double kDay = 86400;
  const Tick ticks[] = {{1, "1s"},           {60, "1min"},          {3600, "1h"},
                        {kDay, "1d"},        {7 * kDay, "1w"},      {30 * kDay, "1mo"},
                        {365.25 * kDay, "1y"}, {3652.5 * kDay, "10y"}, {36525 * kDay, "100y"}};
  std::string out;
  for (const auto& t : ticks) {
    if (t.s < lo || t.s > hi) continue;
    out += (out.empty() ? "" : ", ") + std::string("'") + t.label + "' " + Num(t.s, 10);
  }
  return out.empty() ? "" : "set xtics (" + out + ")\n";
}

std::string DataLine(const AgePoint& p) {
  return Num(p.age_s, 10) + " " + Num(100 * p.accuracy, 8) + " " + std::to_string(p.images) + "\n";
}

}  // namespace

GnuplotFigure AccuracyFigure(const Report& report) {
  const ReportInputs& in = report.inputs;
  const AccuracyTable& table = report.accuracy;
  std::string dat = "# xbar report: test accuracy of the programmed chip against its age (" +
                    report.options.infer_path + ")\n# one block per drift compensation mode" +
                    std::string(in.rtl ? ", then the RTL subset" : "") + "\n# age_s accuracy_pct images\n";
  std::string plot = "plot ";
  int index = 0;
  for (std::size_t c = 0; c < table.compensations.size(); ++c) {
    const std::string mode(DriftCompensationName(table.compensations[c]));
    dat += "# compensation: " + mode + "\n";
    for (const auto& p : table.points[c]) {
      if (p) dat += DataLine(*p);
    }
    dat += "\n\n";
    plot += std::string(index ? ", \\\n     " : "") + "'accuracy_age.dat' index " + std::to_string(index) +
            " using 1:2 with linespoints lw 2 pt 7 ps 0.8 title 'chip, " + mode + " compensation'";
    ++index;
  }
  if (in.rtl) {
    dat += "# RTL controller subset (" + report.options.rtl_path + ")\n";
    for (const auto& p : in.rtl->evaluation.points) dat += DataLine(p);
    dat += "\n\n";
    plot += ", \\\n     'accuracy_age.dat' index " + std::to_string(index) +
            " using 1:2 with points pt 9 ps 1.6 lc rgb 'black' title 'RTL controller subset'";
  }
  if (in.software) {
    plot += ", \\\n     " + Num(100 * in.software->accuracy(), 8) +
            " with lines dt 2 lw 2 lc rgb 'gray40' title 'software model'";
  }
  // Age axis: every positive age, widened by a factor of two each way.
  double lo = std::numeric_limits<double>::infinity(), hi = 0;
  std::vector<double> ages = table.ages_s;
  if (in.rtl) {
    for (const auto& p : in.rtl->evaluation.points) ages.push_back(p.age_s);
  }
  for (double age : ages) {
    if (age > 0) {
      lo = std::min(lo, age);
      hi = std::max(hi, age);
    }
  }
  if (!(hi > 0)) {
    lo = 1;
    hi = 1;
  }
  lo /= 2;
  hi *= 2;
  // Accuracy axis: every point and the software line, with a margin, within [0, 100].
  double a_lo = 100, a_hi = 0;
  auto cover = [&](double fraction) {
    a_lo = std::min(a_lo, 100 * fraction);
    a_hi = std::max(a_hi, 100 * fraction);
  };
  for (const auto& p : in.infer.evaluation.points) cover(p.accuracy);
  if (in.rtl) {
    for (const auto& p : in.rtl->evaluation.points) cover(p.accuracy);
  }
  if (in.software) cover(in.software->accuracy());
  const double margin = std::max(0.5, 0.08 * (a_hi - a_lo));
  const std::string& dataset = in.infer.dataset;
  const std::string settings = "set logscale x\nset xrange [" + Num(lo, 10) + ":" + Num(hi, 10) + "]\n" +
                               "set yrange [" + Num(std::max(0.0, a_lo - margin), 4) + ":" +
                               Num(std::min(100.0, a_hi + margin), 4) + "]\n" + AgeTics(lo, hi) +
                               "set xlabel 'time since programming'\nset ylabel 'test accuracy (%)'\n"
                               "set grid\nset key bottom left\nset title 'Accuracy against age" +
                               (dataset.empty() ? std::string() : " (" + dataset + ")") + "'\n";
  return {"accuracy_age", dat,
          GnuplotScript("accuracy_age", "Test accuracy of the programmed chip against its age.", settings, plot)};
}

GnuplotFigure ConductanceFigure(const Report& report) {
  const ConductanceHistogram& c = report.conductance;
  std::string dat = "# xbar report: conductance of the " + std::to_string(c.cells) +
                    " used cells of the plan, target (" + report.options.plan_path + ") and programmed (" +
                    report.options.state_path + ")\n# bin_center_us target_cells programmed_cells\n";
  for (std::size_t k = 0; k < c.target.size(); ++k) {
    dat += Num(c.Center(k), 8) + " " + std::to_string(c.target[k]) + " " + std::to_string(c.programmed[k]) + "\n";
  }
  const std::string settings = "set style fill transparent solid 0.45 noborder\nset boxwidth " + Num(c.bin_us, 8) +
                               "\nset logscale y\nset yrange [0.8:*]\nset format y '10^{%T}'\n"
                               "set xlabel 'conductance (µS)'\nset ylabel 'cells'\nset grid\nset key top right\n"
                               "set title 'Conductances of the used cells: target and programmed'\n";
  const std::string plot =
      "plot 'conductance.dat' using 1:($2 > 0 ? $2 : 1/0) with boxes lc rgb '#1f77b4' title 'target', \\\n"
      "     '' using 1:($3 > 0 ? $3 : 1/0) with boxes lc rgb '#d62728' title 'programmed'";
  return {"conductance", dat,
          GnuplotScript("conductance", "Histogram of the target and programmed conductances.", settings, plot)};
}

GnuplotFigure PulseFigure(const Report& report) {
  const PulseHistogram& p = *report.pulses;
  std::string dat = "# xbar report: programming pulses per cell (" + report.options.program_path + "), " +
                    std::to_string(p.cells) + " cells\n# first_pulse_count_of_bin cells\n";
  for (std::size_t k = 0; k < p.counts.size(); ++k) {
    dat += std::to_string(k * p.bin) + " " + std::to_string(p.counts[k]) + "\n";
  }
  const std::string settings = "set style fill solid 0.6 noborder\nset boxwidth " + Num(0.9 * p.bin) +
                               "\nset logscale y\nset yrange [0.8:*]\nset format y '10^{%T}'\n"
                               "set xrange [" + Num(-0.6 * p.bin) +
                               ":*]\nset xlabel 'programming pulses'\nset ylabel 'cells'\nset grid\nunset key\n"
                               "set title 'Write-verify pulses per cell (mean " + Num(p.mean, 3) + ")'\n";
  const std::string plot = "plot 'pulses.dat' using ($1 + " + Num((p.bin - 1) / 2.0) +
                           "):($2 > 0 ? $2 : 1/0) with boxes lc rgb '#2ca02c'";
  return {"pulses", dat, GnuplotScript("pulses", "Histogram of programming pulses per cell.", settings, plot)};
}

GnuplotFigure IrDropFigure(const Report& report) {
  const IrDropMap& f = report.ir_drop;
  std::string dat = "# xbar report: voltage across each cell of plan tile " + std::to_string(f.plan_tile) +
                    " (physical tile " + std::to_string(f.physical_tile) + "), % of v_read = " + Num(f.v_read_v) +
                    " V, with its " + std::to_string(f.rows) +
                    " used word lines driven\n# one line per word line, one number per bit line; NaN: word line not "
                    "driven\n";
  for (Eigen::Index r = 0; r < f.percent.rows(); ++r) {
    for (Eigen::Index c = 0; c < f.percent.cols(); ++c) dat += (c ? " " : "") + Num(f.percent(r, c), 6);
    dat += "\n";
  }
  const std::string settings =
      "set xrange [-0.5:" + Num(f.percent.cols() - 0.5) + "]\nset yrange [" + Num(f.percent.rows() - 0.5) +
      ":-0.5]\nset size ratio -1\nset xlabel 'bit line'\nset ylabel 'word line'\n"
      "set cblabel 'voltage across the cell (% of v_{read})'\n"
      "set palette defined (0 '#440154', 0.25 '#3b528b', 0.5 '#21918c', 0.75 '#5ec962', 1 '#fde725')\n" +
      (f.top_left ? "set object 1 rect from -0.5,-0.5 to " + Num(f.used_columns - 0.5) + "," + Num(f.rows - 0.5) +
                        " front fillstyle empty border lc rgb 'white' lw 1.5\n"
                  : std::string()) +
      "unset key\nset title 'IR drop on plan tile " + std::to_string(f.plan_tile) + " (physical tile " +
      std::to_string(f.physical_tile) + (f.top_left ? "): used block framed'\n" : "): remapped around stuck cells'\n");
  return {"irdrop", dat,
          GnuplotScript("irdrop", "Map of the voltage each cell of one tile sees (IR drop).", settings,
                        "plot 'irdrop.dat' matrix with image")};
}

std::vector<GnuplotFigure> ReportFigures(const Report& report) {
  std::vector<GnuplotFigure> figures;
  for (const std::string& stem : report.figures) {
    if (stem == "accuracy_age") figures.push_back(AccuracyFigure(report));
    if (stem == "conductance") figures.push_back(ConductanceFigure(report));
    if (stem == "pulses") figures.push_back(PulseFigure(report));
    if (stem == "irdrop") figures.push_back(IrDropFigure(report));
  }
  return figures;
}

}  // namespace xbar::runtime::report
