// The report's one HTML page: headline tables (accuracy, per image, programming, fine-tuning, RTL) and the figures.
#pragma once

#include <string>

#include "runtime/report/report.h"

namespace xbar::runtime::report {

/// The page: inline CSS, the tables from `report`'s data and <img> links to the SVG of every figure
/// in report.figures (a note where the pulses figure is missing). Self-contained but for the SVGs.
std::string ReportHtml(const Report& report);

/// `s` with &, <, > and " escaped for HTML text and attributes.
std::string HtmlEscape(const std::string& s);
/// "12.3 µJ": three significant digits with an SI prefix (HTML entities); "&ndash;" for NaN.
std::string SiHtml(double v, const std::string& unit);
/// "92.00%" of a fraction; "&ndash;" for NaN.
std::string PercentHtml(double fraction);
/// "12 345" (rounded, narrow no-break spaces between thousands); "&ndash;" for NaN.
std::string CountHtml(double v);

}  // namespace xbar::runtime::report
