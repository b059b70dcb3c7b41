// The report's four figures as gnuplot data and scripts: accuracy over age, conductances, pulses, IR drop.
#pragma once

#include <string>
#include <vector>

#include "runtime/report/gnuplot.h"
#include "runtime/report/report.h"

namespace xbar::runtime::report {

/// Test accuracy (%) against the age on a log axis: one line per compensation mode of the main
/// run, the RTL subset as points, the software model as a dashed line.
GnuplotFigure AccuracyFigure(const Report& report);
/// Histograms of the target and programmed conductances (µS), counts on a log axis.
GnuplotFigure ConductanceFigure(const Report& report);
/// Histogram of write-verify pulses per cell (needs report.pulses).
GnuplotFigure PulseFigure(const Report& report);
/// Map of the voltage across each cell of the IR-drop tile (% of v_read), used block framed.
GnuplotFigure IrDropFigure(const Report& report);

/// The figures named in report.figures, in that order.
std::vector<GnuplotFigure> ReportFigures(const Report& report);

}  // namespace xbar::runtime::report
