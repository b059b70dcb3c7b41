// The report's one HTML page: headline tables (accuracy, per image, network, programming, fine-tuning, RTL) and the figures.
#include "runtime/report/html.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "compiler/plan.h"
#include "support/duration.h"
#include "support/format.h"

namespace xbar::runtime::report {
namespace {

constexpr const char* kStyle =
    "body{font-family:Helvetica,Arial,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}\n"
    "h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin:1.4em 0 .4em}\n"
    ".sub{color:#666;margin-top:0}table{border-collapse:collapse;margin:.4em 0}\n"
    "th,td{border:1px solid #ccc;padding:.25em .7em;text-align:right}th{background:#f3f3f3}\n"
    "td.l,th.l{text-align:left}.grid{display:grid;grid-template-columns:1fr 1fr;gap:1em}\n"
    ".cards{display:flex;flex-wrap:wrap;gap:1.5em;align-items:flex-start}\n"
    "figure{margin:0;border:1px solid #ddd;padding:.5em}figure img{width:100%}\n"
    "figcaption{font-size:.9em;color:#444}.note{color:#666;font-size:.9em}\n";

std::string Row(const std::string& label, const std::string& value) {
  return "<tr><td class=\"l\">" + label + "</td><td>" + value + "</td></tr>\n";
}

std::string Count(int64_t v) { return CountHtml(static_cast<double>(v)); }

void AccuracyCard(const Report& report, std::ostringstream& h) {
  const ReportInputs& in = report.inputs;
  const AccuracyTable& table = report.accuracy;
  h << "<div>\n<h2>Accuracy over the chip's life</h2>\n<table>\n<tr><th class=\"l\">age</th>";
  if (in.software) h << "<th>software</th>";
  for (auto mode : table.compensations) {
    h << "<th>chip, " << HtmlEscape(std::string(DriftCompensationName(mode))) << "</th>";
  }
  h << "</tr>\n";
  for (std::size_t a = 0; a < table.ages_s.size(); ++a) {
    h << "<tr><td class=\"l\">" << HtmlEscape(FormatDuration(table.ages_s[a])) << "</td>";
    if (in.software) h << "<td>" << PercentHtml(in.software->accuracy()) << "</td>";
    for (std::size_t c = 0; c < table.compensations.size(); ++c) {
      const auto& p = table.points[c][a];
      h << "<td>" << (p ? PercentHtml(p->accuracy) : "&ndash;") << "</td>";
    }
    h << "</tr>\n";
  }
  h << "</table>\n<p class=\"note\">" << Count(in.infer.evaluation.points.front().images) << " test images per point"
    << (in.software ? "; software: the model itself (xbar eval), " + Count(static_cast<int64_t>(in.software->samples)) +
                          " images"
                    : "")
    << ".</p>\n</div>\n";
}

void PerImageCard(const ChipEvalReport& r, std::ostringstream& h) {
  h << "<div>\n<h2>Per image</h2>\n<table>\n"
    << Row("latency", SiHtml(r.latency_s, "s"))
    << Row("controller cycles", CountHtml(static_cast<double>(r.cycles_per_image)))
    << Row("energy", SiHtml(r.energy_j(), "J"))
    << Row("&nbsp;&nbsp;tile reads", SiHtml(r.read_energy_j, "J"))
    << Row("&nbsp;&nbsp;word-line drivers", SiHtml(r.driver_energy_j, "J"))
    << Row("&nbsp;&nbsp;current stages", SiHtml(r.current_stage_energy_j, "J"))
    << Row("&nbsp;&nbsp;synapses", SiHtml(r.synapse_energy_j, "J"))
    << Row("&nbsp;&nbsp;neurons", SiHtml(r.neuron_energy_j, "J"))
    << Row("&nbsp;&nbsp;output ADC", SiHtml(r.adc_energy_j, "J")) << "</table>\n</div>\n";
}

// Each layer as the plan maps it: geometry, tiles, copies of a convolution's kernel matrix and the
// read cycles per time step they cost (the latency above follows from these).
void NetworkCard(const compiler::Plan& plan, std::ostringstream& h) {
  h << "<div>\n<h2>Network on the chip</h2>\n<table>\n<tr><th class=\"l\">layer</th><th class=\"l\">geometry</th>"
       "<th>in &rarr; out</th><th>tiles</th><th>copies</th><th>read cycles per step</th></tr>\n";
  for (std::size_t l = 0; l < plan.layers.size(); ++l) {
    const compiler::PlanLayer& layer = plan.layers[l];
    h << "<tr><td class=\"l\">" << l << "</td><td class=\"l\">"
      << HtmlEscape(std::string(compiler::LayerKindName(layer.shape.kind)) + " " + layer.shape.ToString()) << "</td><td>"
      << HtmlEscape(layer.shape.source.ToString()) << " &rarr; " << HtmlEscape(layer.shape.output().ToString())
      << "</td><td>" << layer.tiles.size() << "</td><td>" << layer.replicas << "</td><td>" << layer.read_cycles()
      << "</td></tr>\n";
  }
  h << "</table>\n<p class=\"note\">" << Count(plan.Neurons()) << " neurons; " << Count(plan.ReadCyclesPerStep())
    << " read cycles per time step.</p>\n</div>\n";
}

void ProgrammingCard(const Report& report, std::ostringstream& h) {
  const ConductanceHistogram& c = report.conductance;
  h << "<div>\n<h2>Programming</h2>\n<table>\n";
  if (const auto& p = report.pulses) {
    h << Row("cells programmed", Count(p->cells)) << Row("pulses", Count(p->pulses))
      << Row("pulses per cell, mean / max", FormatNumber(p->mean, 3) + " / " + std::to_string(p->max))
      << Row("cells not converged", Count(p->failed)) << Row("energy", SiHtml(p->energy_j, "J"))
      << Row("time (tiles in parallel)", SiHtml(p->chip_time_s, "s"));
  } else {
    h << Row("cells (plan)", Count(c.cells));
  }
  h << Row("mean |G &minus; target|", SiHtml(c.error_mean_s, "S"))
    << Row("within &plusmn;" + SiHtml(c.tolerance_s, "S"), PercentHtml(c.within_tolerance)) << "</table>\n</div>\n";
}

void FinetuneCard(const FinetuneRun& f, std::ostringstream& h) {
  h << "<div>\n<h2>Chip-in-the-loop fine-tuning</h2>\n<table>\n"
    << Row("at age, compensation", HtmlEscape(f.age.empty() ? "?" : f.age) + ", " +
                                       HtmlEscape(f.compensation.empty() ? "?" : f.compensation))
    << Row("accuracy before", PercentHtml(f.accuracy_before)) << Row("accuracy after", PercentHtml(f.accuracy_after))
    << Row("cells reprogrammed", Count(f.cells_reprogrammed)) << Row("delta pulses", Count(f.delta_pulses))
    << "</table>\n";
  if (f.images > 0) h << "<p class=\"note\">" << Count(f.images) << " test images.</p>\n";
  h << "</div>\n";
}

void RtlCard(const Report& report, std::ostringstream& h) {
  h << "<div>\n<h2>RTL controller subset</h2>\n<table>\n<tr><th class=\"l\">age, compensation</th><th>RTL</th>"
       "<th>behavioural</th></tr>\n";
  for (const auto& p : report.inputs.rtl->evaluation.points) {
    const AgePoint* b = report.Behavioural(p);
    h << "<tr><td class=\"l\">"
      << HtmlEscape(FormatDuration(p.age_s) + ", " + std::string(DriftCompensationName(p.compensation))) << "</td><td>"
      << PercentHtml(p.accuracy) << " (" << Count(p.images) << " images)</td><td>"
      << (b ? PercentHtml(b->accuracy) + " (" + Count(b->images) + " images)" : "&ndash;") << "</td></tr>\n";
  }
  h << "</table>\n<p class=\"note\">The RTL controller runs a subset of the test images: compare with the "
       "behavioural figure over its own image count in mind.</p>\n</div>\n";
}

void Figures(const Report& report, std::ostringstream& h) {
  const IrDropMap& f = report.ir_drop;
  h << "<h2>Figures</h2>\n<div class=\"grid\">\n"
    << "<figure><img src=\"accuracy_age.svg\" alt=\"accuracy against age\"><figcaption>Test accuracy against the "
       "time since programming, one line per drift compensation mode.</figcaption></figure>\n"
    << "<figure><img src=\"conductance.svg\" alt=\"conductance histograms\"><figcaption>Conductances of the "
    << Count(report.conductance.cells)
    << " used cells: targets of the plan and what the chip state holds.</figcaption></figure>\n";
  if (report.pulses) {
    h << "<figure><img src=\"pulses.svg\" alt=\"pulses per cell\"><figcaption>Write-verify pulses per cell ("
      << Count(report.pulses->cells) << " cells).</figcaption></figure>\n";
  } else {
    h << "<figure><p class=\"note\">No pulse program was given (<code>--program</code>): no pulses-per-cell "
         "figure.</p></figure>\n";
  }
  h << "<figure><img src=\"irdrop.svg\" alt=\"IR-drop map\"><figcaption>Voltage across each cell of plan tile "
    << f.plan_tile << " (physical " << f.physical_tile << ") with its " << f.rows
    << " used word lines at v<sub>read</sub> = " << FormatNumber(f.v_read_v) << " V: used cells see "
    << FormatNumber(f.min_used, 4) << "&ndash;100%, " << FormatNumber(f.mean_used, 4)
    << "% on average.</figcaption></figure>\n</div>\n";
}

}  // namespace

std::string HtmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string SiHtml(double v, const std::string& unit) {
  if (!std::isfinite(v)) return "&ndash;";
  struct Prefix {
    double scale;
    const char* name;
  };
  const Prefix prefixes[] = {{1e9, "G"}, {1e6, "M"}, {1e3, "k"}, {1, ""}, {1e-3, "m"},
                             {1e-6, "&micro;"}, {1e-9, "n"}, {1e-12, "p"}, {1e-15, "f"}};
  for (const auto& p : prefixes) {
    if (std::abs(v) >= p.scale || p.scale == 1e-15) return FormatNumber(v / p.scale, 3) + " " + p.name + unit;
  }
  return FormatNumber(v, 3) + " " + unit;
}

std::string PercentHtml(double fraction) {
  if (!std::isfinite(fraction)) return "&ndash;";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", 100 * fraction);
  return buf;
}

std::string CountHtml(double v) {
  if (!std::isfinite(v)) return "&ndash;";
  std::string digits = std::to_string(static_cast<long long>(std::llround(v)));
  std::string out;
  const std::size_t first = digits[0] == '-' ? 1 : 0;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > first && (digits.size() - i) % 3 == 0) out += "&#8239;";
    out.push_back(digits[i]);
  }
  return out;
}

std::string ReportHtml(const Report& report) {
  const ReportOptions& o = report.options;
  const ReportInputs& in = report.inputs;
  const compiler::Plan& plan = in.plan;
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>xbar report: "
    << HtmlEscape(plan.model_name.empty() ? o.plan_path : plan.model_name) << "</title>\n<style>\n"
    << kStyle << "</style>\n</head>\n<body>\n";
  h << "<h1>xbar report: " << HtmlEscape(plan.model_name.empty() ? "model" : plan.model_name) << " on "
    << HtmlEscape(plan.chip.name) << "</h1>\n<p class=\"sub\">" << plan.TilesUsed() << " tiles of "
    << plan.chip.tiles.rows << "&times;" << plan.chip.tiles.columns << ", "
    << HtmlEscape(compiler::MappingSchemeName(plan.scheme)) << " mapping; test set "
    << HtmlEscape(in.infer.dataset.empty() ? "?" : in.infer.dataset) << " on the "
    << HtmlEscape(in.infer.backend.empty() ? "?" : in.infer.backend) << " backend. Plan <code>"
    << HtmlEscape(o.plan_path) << "</code>, chip state <code>" << HtmlEscape(o.state_path) << "</code>.</p>\n";
  h << "<div class=\"cards\">\n";
  AccuracyCard(report, h);
  PerImageCard(in.infer.evaluation, h);
  NetworkCard(plan, h);
  ProgrammingCard(report, h);
  if (in.finetune) FinetuneCard(*in.finetune, h);
  if (in.rtl) RtlCard(report, h);
  h << "</div>\n";
  Figures(report, h);
  h << "<p class=\"note\">Data and gnuplot scripts sit next to this page (<code>*.dat</code>, <code>*.gp</code>); "
       "PNG copies of the figures too. Made by <code>xbar report</code>.</p>\n</body>\n</html>\n";
  return h.str();
}

}  // namespace xbar::runtime::report
